"""Golden text forms of every zoo network (tests/golden/graphs/<name>.txt).

`str(graph)` lists each layer with its kind, inputs, output shape, parameters and MACs; the stored
files freeze names and topology (parameter and MAC counts are checked independently against torch in
test_zoo.py). After an intended change, refresh with

    HWSIM_UPDATE_GOLDEN=1 pytest tests/test_graph_golden.py
"""
import difflib
import os
from pathlib import Path

import pytest

from hwsim.ir import zoo

GOLDEN = Path(__file__).parent / "golden" / "graphs"
UPDATE = os.environ.get("HWSIM_UPDATE_GOLDEN") == "1"
CASES = {
    "squeezenet1_0": {"input_shape": (3, 227, 227)},
    "squeezenet1_1": {"input_shape": (3, 227, 227)},
    "squeezenet1_0_simple_bypass": {"input_shape": (3, 227, 227)},
    "squeezenet1_0_complex_bypass": {"input_shape": (3, 227, 227)},
    "fire": {},
    "alexnet": {"input_shape": (3, 224, 224)},
    "squeezenet_mini": {},
    "mobilenet_v1": {"input_shape": (3, 224, 224)},
    "mobilenet_mini": {},
}


def test_every_zoo_net_has_a_case():
    assert set(CASES) == set(zoo.names())


@pytest.mark.parametrize("name", sorted(CASES))
def test_graph_text_matches_golden(name):
    text = str(zoo.build(name, **CASES[name])) + "\n"
    assert str(zoo.build(name, **CASES[name])) + "\n" == text, "str(graph) is not stable"
    path = GOLDEN / f"{name}.txt"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        pytest.skip(f"golden file rewritten: {path}")
    expected = path.read_text()
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            str(path), "str(graph)", n=1))
        pytest.fail(f"{name} differs from its golden text:\n{diff[:3000]}")
