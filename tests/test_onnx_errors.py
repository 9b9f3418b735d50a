"""Malformed and unsupported ONNX files (tests/onnx_cases.py, ERROR_CASES) fail cleanly: the importer
raises one InputError of one line naming the file and, where there is one, the node (name and op
type); `hwsim budget --model bad.onnx` and `hwsim import bad.onnx -o out.yaml` exit 2 with that one
line on stderr, no traceback, and import writes nothing. tools/onnx_error_table.py prints the table."""
import pytest

pytest.importorskip("onnx")

from hwsim import cli  # noqa: E402
from hwsim.ir.onnx_graph import import_onnx  # noqa: E402
from hwsim.util.errors import InputError  # noqa: E402
from onnx_cases import ERROR_CASES  # noqa: E402

IDS = [c.id for c in ERROR_CASES]


def _build(case, tmp_path):
    path = tmp_path / f"{case.id}.onnx"
    case.build(path)
    return path


def _shape_args(case):
    return ["--input-shape", "x".join(map(str, case.input_shape))] if case.input_shape else []


def test_enough_distinct_cases():
    assert len(ERROR_CASES) >= 18 and len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("case", ERROR_CASES, ids=IDS)
def test_importer_raises_one_line_naming_the_node(tmp_path, case):
    path = _build(case, tmp_path)
    with pytest.raises(InputError) as e:
        import_onnx(str(path), case.input_shape)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: ")
    assert case.match in msg
    if case.node is not None:
        name, op = case.node
        assert f"node {name!r} ({op}): " in msg


@pytest.mark.parametrize("case", ERROR_CASES, ids=IDS)
def test_cli_exit_2_one_line_nothing_written(tmp_path, capsys, case):
    path = _build(case, tmp_path)
    code = cli.main(["budget", "--model", str(path), *_shape_args(case)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("hwsim budget: error: ")
    assert case.match in err and str(path) in err and "Traceback" not in err
    target = tmp_path / "out.yaml"
    code = cli.main(["import", str(path), "-o", str(target), *_shape_args(case)])
    out, err2 = capsys.readouterr()
    assert code == 2 and out == ""
    assert err2.count("\n") == 1 and err2.startswith("hwsim import: error: ") and case.match in err2
    assert err2.split("error: ", 1)[1] == err.split("error: ", 1)[1]
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]   # no temporary files left either
