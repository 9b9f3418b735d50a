"""A ReLU / ReLU6 after a residual add (ResNet's block) is fused into the add unit: the plan, the
generated kernel and the simulator agree bit for bit, also when the activation has its own type."""
from __future__ import annotations

import numpy as np
import pytest

from hwsim.backends import project
from hwsim.backends.csim import compare
from hwsim.backends.hls.lint import lint
from hwsim.backends.project import generate_project
from hwsim.hw import pipeline
from hwsim.ir import zoo
from hwsim.ir.graph import Add, Conv2d, GlobalAvgPool, Graph, Input, ReLU, ReLU6
from hwsim.spec import config as cfg


def _block(act=ReLU) -> Graph:
    layers = (Input("input", (), shape=(4, 6, 6)),
              Conv2d("c1", ("input",), out_channels=4, kernel=3, padding=1), ReLU("c1.relu", ("c1",)),
              Conv2d("c2", ("c1.relu",), out_channels=4, kernel=3, padding=1),
              Add("add", ("c2", "input")), act("add.relu", ("add",)),
              Conv2d("c3", ("add.relu",), out_channels=4, kernel=1, stride=2),
              Add("add2", ("c3", "c3")), GlobalAvgPool("gap", ("add2",)))
    g = zoo.he_init(Graph("resblock", layers), seed=3)
    rng = np.random.default_rng(4)
    return g.with_weights({k: {t: (a + rng.normal(0, 0.4, a.shape) if t == "bias" else a) for t, a in v.items()}
                           for k, v in g.weights.items()})


DOCS = {
    "default": None,
    # narrow types where the activation acts, and an activation typed apart from its add
    "narrow": {"precision": {"layers": {"add": {"result": "ap_fixed<7,2,AP_TRN,AP_SAT>"},
                                        "add.relu": {"result": "ap_ufixed<5,1,AP_RND,AP_SAT>"}}}},
}


@pytest.mark.parametrize("act", [ReLU, ReLU6])
def test_activation_after_add_is_fused_into_the_add_unit(act):
    g = _block(act)
    plan = pipeline.build(g, cfg.load(None, g))
    unit = next(u for u in plan.units if u.name == "add/add")
    assert unit.field("activation") == (1 if act is ReLU else 2)
    assert dict(next(u for u in plan.units if u.name == "add2/add").fields)["activation"] == 0
    assert "fused into add" in plan.layer("add.relu").note


def test_activation_after_add_with_another_reader_is_refused():
    g = _block()
    layers = g.layers[:6] + (ReLU("other", ("add",)),) + g.layers[6:]
    g2 = Graph("two", layers[:-2] + (Add("add2", ("c3", "c3")), GlobalAvgPool("gap", ("add2",))))
    with pytest.raises(ValueError, match="add.relu: a ReLU is supported only right after"):
        pipeline.build(g2, cfg.load(None, g2))


@pytest.mark.csim
@pytest.mark.parametrize("act", [ReLU, ReLU6])
@pytest.mark.parametrize("doc", sorted(DOCS))
def test_add_with_fused_activation_bit_exact(tmp_path, act, doc):
    g = _block(act)
    c = cfg.load(DOCS[doc], g)
    out = generate_project(g, c, tmp_path / "p", {})
    assert lint(out) == []
    res = compare(project.read(out), images=3, seed=5, progress=False)
    assert res["mismatches"] == 0, res
    assert res["cycles"]["differ"] == [], res["cycles"]
