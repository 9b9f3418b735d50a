"""Physical memory mapping: BRAM18 (UG573), M20K, URAM, LUTRAM rules; size parsing."""
import pytest

from hwsim.spec import devices
from hwsim.hw.blocks import block_count, map_memory, uram_count
from hwsim.spec.devices import M20K_MODES
from hwsim.spec.units import format_budget, parse_size

# (width, depth) -> BRAM18 blocks, worked by hand from the UG573 modes
# 36x512, 18x1024, 9x2048, 4x4096, 2x8192, 1x16384: min over modes of ceil(W/w) * ceil(D/d).
BRAM18_TABLE = [
    ((1, 16384), 1),        # 1x16384
    ((1, 16385), 2),        # 1x16384 twice deep (2x8192: 1 x 3 = 3)
    ((2, 8192), 1),
    ((4, 4096), 1),
    ((9, 2048), 1),
    ((18, 1024), 1),
    ((36, 512), 1),
    ((36, 513), 2),         # 36x512: 1 x 2; 18x1024: 2 x 1
    ((16, 1000), 1),        # 18x1024
    ((32, 1024), 2),        # 36x512: 1 x 2 = 18x1024: 2 x 1
    ((72, 512), 2),
    ((10, 2048), 2),        # 9x2048: 2 x 1; 18x1024: 1 x 2
    ((8, 4096), 2),         # 4x4096: 2 x 1
    ((512, 16), 15),        # 36x512: ceil(512/36) = 15
    ((64, 96), 2),
    ((5, 3000), 2),         # 9x2048: 1 x 2; 4x4096: 2 x 1
    ((3, 10000), 3),        # 4x4096: 1 x 3; 1x16384: 3 x 1; 2x8192: 2 x 2 = 4
    ((1536, 111), 43),      # a 96-channel 16-bit line buffer row: ceil(1536/36)
    ((100, 5000), 30),      # 36x512: 3 x 10 = 30; 18x1024: 6 x 5 = 30; 9x2048: 12 x 3 = 36;
                            # 4x4096: 25 x 2 = 50; 2x8192: 50; 1x16384: 100
]


@pytest.mark.parametrize("shape,blocks", BRAM18_TABLE)
def test_bram18_blocks_follow_ug573(shape, blocks):
    assert block_count(*shape)[0] == blocks


def test_bram18_prefers_widest_mode_on_ties():
    assert block_count(32, 1024) == (2, (36, 512))


@pytest.mark.parametrize("shape,blocks", [((40, 512), 1), ((32, 1024), 2), ((10, 2048), 1),
                                          ((5, 4096), 1), ((41, 512), 2), ((20, 1500), 2)])
def test_m20k_blocks(shape, blocks):
    assert block_count(*shape, modes=M20K_MODES)[0] == blocks


@pytest.mark.parametrize("shape,n", [((72, 4096), 1), ((73, 4096), 2), ((144, 4097), 4), ((1, 1), 1)])
def test_uram_blocks(shape, n):
    assert uram_count(*shape) == n


def test_auto_style_rules():
    assert map_memory("m", 512, 64).style == "lutram"           # shallow: one LUT column
    assert map_memory("m", 512, 65).style == "bram"
    assert map_memory("m", 10, 100).style == "lutram"           # 1000 bits <= 1024
    assert map_memory("m", 11, 100).style == "bram"
    vu9p, zu9 = devices.get("vu9p"), devices.get("zu9eg")
    assert map_memory("m", 72, 4096, device=vu9p).style == "uram"
    assert map_memory("m", 72, 4096, device=zu9).style == "bram"        # no URAM on ZU9EG
    assert map_memory("m", 72, 1024, device=vu9p).style == "bram"       # a URAM 1/4 full
    m20k = map_memory("m", 40, 512, device=devices.get("stratix10"))
    assert (m20k.style, m20k.blocks, m20k.block_bits) == ("bram", 1, 20480)


def test_forced_styles_and_counts():
    m = map_memory("w", 36, 512, "bram", count=3)
    assert (m.blocks, m.bits, m.efficiency) == (3, 3 * 36 * 512, 1.0)
    u = map_memory("w", 72, 2048, "uram")
    assert (u.uram, u.efficiency) == (1, 0.5)
    l = map_memory("w", 100, 1000, "lutram")
    assert (l.lutram_bits, l.blocks) == (100_000, 0)
    r = map_memory("w", 16, 9, "reg")
    assert r.reg_bits == 144
    half = map_memory("w", 18, 512, "bram")                      # 18x1024 mode, half deep
    assert half.efficiency == pytest.approx(0.5)


@pytest.mark.parametrize("bad", [(0, 4), (4, 0), (2.5, 4), (True, 4)])
def test_bad_dimensions(bad):
    with pytest.raises(ValueError, match="must be a positive int"):
        map_memory("m", *bad)


def test_bad_style():
    with pytest.raises(ValueError, match="ram style 'block'"):
        map_memory("m", 8, 8, "block")


@pytest.mark.parametrize("text,bits", [
    ("10MiB", 10 * 2**20 * 8), ("10MB", 10 * 10**6 * 8), ("80Mb", 80 * 10**6),
    ("4.5MiB", 4.5 * 2**20 * 8), ("512KiB", 512 * 1024 * 8), ("1000", 8000), ("1.5", 12),
    ("12b", 12), ("3 Kib", 3072), ("2kB", 16000), ("1GiB", 2**33), (" 7 B ", 56)])
def test_parse_size(text, bits):
    assert parse_size(text) == bits


@pytest.mark.parametrize("text,msg", [("10M", "say B"), ("ten MiB", "not a size"), ("0.1b", "whole number"),
                                      ("0MiB", "positive"), ("", "not a size"), ("-1MiB", "must be positive"),
                                      ("10 mb", "not a size")])
def test_parse_size_errors(text, msg):
    with pytest.raises(ValueError, match=msg):
        parse_size(text)


def test_format_budget():
    assert format_budget(parse_size("10MiB")) == "10 MiB"
    assert format_budget(parse_size("4.5MiB")) == "4.5 MiB"
    assert format_budget(parse_size("80Mb")) == "9.54 MiB"
