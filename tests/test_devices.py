"""Device catalog: the counts of ARCHITECTURE.md section 4, lookup and aliases."""
import pytest

from hwsim.spec import devices

# name -> (BRAM18 or M20K, URAM, DSP), transcribed from the datasheet table in ARCHITECTURE.md
EXPECTED = {
    "Zynq-7020": (280, 0, 220), "Zynq-7045": (1090, 0, 900), "ZU3EG": (432, 0, 360),
    "ZU7EV": (624, 96, 1728), "ZU9EG": (1824, 0, 2520), "KU115": (4320, 0, 5520),
    "VU9P": (4320, 960, 6840), "Alveo U50": (2688, 640, 5952), "Alveo U250": (5376, 1280, 12288),
    "Alveo U280": (4032, 960, 9024), "Arria 10 GX1150": (2713, 0, 1518),
    "Stratix 10 GX2800": (11721, 0, 5760),
}


def test_catalog_counts():
    assert set(devices.names()) == set(EXPECTED)
    for name, (blocks, uram, dsp) in EXPECTED.items():
        d = devices.get(name)
        assert (d.bram18, d.uram, d.dsp) == (blocks, uram, dsp), name


def test_every_row_has_a_source_and_xilinx_rows_a_part():
    for d in devices.DEVICES:
        assert d.source
        if d.vendor == "xilinx":
            assert d.part and d.part.startswith("xc") and d.block_kind == "BRAM18"
        else:
            assert d.part is None and d.block_kind == "M20K" and d.block_bits == 20480
    assert "DS891" in devices.get("zcu102").source
    assert "DS190" in devices.get("7020").source
    assert "DS890" in devices.get("vu9p").source


@pytest.mark.parametrize("alias,name", [
    ("zcu102", "ZU9EG"), ("ZCU102", "ZU9EG"), ("7020", "Zynq-7020"), ("xc7z020", "Zynq-7020"),
    ("XC7Z020", "Zynq-7020"), ("zynq_7020", "Zynq-7020"), ("xczu9eg-ffvb1156-2-e", "ZU9EG"),
    ("xc7z020clg484-1", "Zynq-7020"), ("alveo-u250", "Alveo U250"), ("u280", "Alveo U280"),
    ("zc706", "Zynq-7045"), ("ultra96", "ZU3EG"), ("zcu104", "ZU7EV"), ("gx2800", "Stratix 10 GX2800"),
    ("Arria 10 GX1150", "Arria 10 GX1150"), ("ku115", "KU115")])
def test_aliases(alias, name):
    assert devices.get(alias).name == name


def test_unknown_device_lists_valid_names():
    with pytest.raises(ValueError) as e:
        devices.get("zcu999")
    msg = str(e.value)
    assert "unknown device 'zcu999'" in msg
    for name in EXPECTED:
        assert name in msg


@pytest.mark.parametrize("bad", ["", "   ", None, 7020])
def test_bad_names(bad):
    with pytest.raises(ValueError):
        devices.get(bad)


def test_capacities():
    zu7 = devices.get("zu7ev")
    assert zu7.block_total_bits == 624 * 18 * 1024
    assert zu7.uram_total_bits == 96 * 72 * 4096
    assert devices.get("s10").block_total_bits == 11721 * 20 * 1024
