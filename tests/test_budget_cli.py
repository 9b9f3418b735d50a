"""`hwsim budget`: formats, exit codes, output files, errors."""
import json

import pytest

from hwsim import cli


def run(capsys, *argv):
    code = cli.main(["budget", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_default_table_lists_every_layer_and_ends_with_a_verdict(capsys):
    code, out, _ = run(capsys)
    assert code == 0
    assert "squeezenet1_1 3x227x227" in out
    assert "budget 10 MiB = 83,886,080 bits" in out
    assert "% packing efficiency" in out and "frames/s" in out
    for name in ("conv1", "pool1", "fire2.squeeze1x1", "fire9.concat", "dropout", "conv10", "pool10"):
        assert f"\n{name} " in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("FITS: ") and "of 10 MiB (" in last


def test_exceeds_exit_3(capsys):
    code, out, _ = run(capsys, "--model", "alexnet", "--precision", "ap_fixed<32,16>")
    assert code == 3
    assert out.strip().splitlines()[-1].startswith("EXCEEDS: ")


def test_device_exceeded_exit_3(capsys):
    code, out, _ = run(capsys, "--model", "squeezenet1_0", "--precision", "ap_fixed<32,16>", "--device", "ZU3EG")
    assert code == 3
    assert "but not ZU3EG: BRAM18" in out.strip().splitlines()[-1]


def test_json_schema(capsys):
    code, out, _ = run(capsys, "--format", "json", "--device", "u250", "--budget", "80Mb")
    assert code == 0
    d = json.loads(out)
    assert d["schema"] == "hwsim.budget/1" and d["budget_bits"] == 80_000_000 and d["fits"] is True
    for key in ("params", "weight_bits", "activation_bits", "onchip_bits", "bram18", "uram", "dsp"):
        assert key in d["totals"]
    for key in ("name", "kind", "params", "weight_bits", "activation_bits", "bram18", "uram",
                "lutram_bits", "dsp", "cycles"):
        assert key in d["layers"][1]
    assert d["device"]["name"] == "Alveo U250"
    assert {c["resource"] for c in d["device"]["checks"]} == {"BRAM18", "URAM", "DSP", "LUT"}
    assert d["totals"]["onchip_bits"] == d["totals"]["weight_bits"] + d["totals"]["activation_bits"]


def test_markdown_and_html_to_files(tmp_path, capsys):
    md, page, png = tmp_path / "r.md", tmp_path / "r.html", tmp_path / "r.png"
    code, out, _ = run(capsys, "--model", "fire", "--format", "md", "-o", str(md))
    assert code == 0 and out.startswith("FITS: ")
    text = md.read_text()
    assert text.startswith("# Memory budget: fire") and "| fire.expand3x3 | conv |" in text
    code, _, _ = run(capsys, "--model", "squeezenet_mini", "--format", "html", "-o", str(page),
                     "--plot", str(png), "--arch", "layer")
    assert code == 0
    html = page.read_text()
    assert "<svg" in html and "budget 10 MiB" in html and "fire4.expand3x3" in html
    assert "src=" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.md", "r.png"]   # no temp files left


def test_deep_compression_options(capsys):
    code, out, _ = run(capsys, "--model", "squeezenet1_0", "--prune", "table1", "--codebook", "6", "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["totals"]["stored_params"] == 421_098
    assert d["compression"] == {"prune": "table1", "codebook_bits": 6, "index_bits": 4}


def test_weights_offchip_and_overrides(capsys):
    _, out, _ = run(capsys, "--weights-offchip", "--clock-mhz", "100", "--fifo-depth", "4", "--format", "json")
    d = json.loads(out)
    assert d["weights"] == "offchip" and d["totals"]["onchip_bits"] == d["totals"]["activation_bits"]
    assert d["estimate"]["clock_mhz"] == 100 and d["estimate"]["fifo_depth"] == 4


def test_lists(capsys):
    code, out, _ = run(capsys, "--list-devices")
    assert code == 0 and "ZU9EG" in out and "Stratix 10 GX2800" in out and "M20K" in out
    code, out, _ = run(capsys, "--list-models")
    assert code == 0 and "squeezenet1_1" in out.split()


@pytest.mark.parametrize("argv,msg", [
    (["--budget", "10 apples"], "budget '10 apples'"), (["--device", "nope"], "unknown device 'nope'"),
    (["--model", "vgg"], "unknown model 'vgg'"), (["--prune", "2"], "--prune '2'"),
    (["--plot", "chart.svg"], "give a file name ending in .png"),
    (["-o", "/nonexistent/dir/r.txt"], "folder /nonexistent/dir does not exist")])
def test_bad_input_exit_2(capsys, argv, msg):
    code, out, err = run(capsys, *argv)
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1


def test_bad_choice_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["budget", "--format", "pdf"])
    assert e.value.code == 2
    capsys.readouterr()


def test_help_documents_exit_codes(capsys):
    with pytest.raises(SystemExit):
        cli.main(["budget", "--help"])
    out = capsys.readouterr().out
    assert "0 the network fits" in out and "3 it does not" in out and "2 bad input" in out


def test_config_file_sets_model_parallelism_and_device(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("model: squeezenet1_0\n"
                    "parallel: {layers: {conv10: {reuse_factor: 256}}}\n"
                    "hardware: {device: vu9p}\n")
    code, out, _ = run(capsys, "--config", str(path), "--format", "json")
    d = json.loads(out)
    conv10 = next(l for l in d["layers"] if l["name"] == "conv10")
    assert d["model"] == "squeezenet1_0" and d["input_shape"] == [3, 227, 227]
    assert conv10["reuse_factor"] == 256 and conv10["multipliers"] == 2000    # 512000 / 256
    assert d["device"]["name"] == "VU9P" and code == 0
