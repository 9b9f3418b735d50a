"""The graph document (hwsim.ir.serialize) and projects that read back without the zoo."""
from __future__ import annotations

import copy
import dataclasses
import json

import numpy as np
import pytest

from hwsim.backends import project
from hwsim.backends.project import generate_project
from hwsim.ir import graph as ir, serialize, zoo
from hwsim.ir.graph import (Add, Concat, Conv2d, Dense, DepthwiseConv2d, Flatten, GlobalAvgPool, Graph, Input,
                            MaxPool2d, ReLU)
from hwsim.spec import config as cfg
from hwsim.util.errors import InputError

from codegen_helpers import build, with_random_biases


def _round_trip(g: Graph) -> Graph:
    return serialize.from_document(json.loads(json.dumps(serialize.to_document(g))), g.name)


@pytest.mark.parametrize("name", zoo.names())
def test_every_zoo_model_round_trips(name):
    g = zoo.build(name, weights=False)
    back = _round_trip(g)
    assert back.layers == g.layers and str(back) == str(g) and not back.has_weights


def test_every_layer_class_has_a_kind():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    ours = {c for c in subclasses(ir.Layer) if c.__module__ == ir.__name__}
    assert ours == set(serialize.KINDS.values()) and len(serialize.KINDS) == len(serialize.LAYER_CLASSES)


def test_document_spells_out_fields():
    g = zoo.build("squeezenet_mini", weights=False)
    layers = {d["name"]: d for d in serialize.to_document(g)["layers"]}
    assert layers["input"] == {"name": "input", "kind": "input", "inputs": [], "shape": [1, 16, 16]}
    assert layers["pool1"] == {"name": "pool1", "kind": "maxpool", "inputs": ["conv1.relu"], "kernel": [3, 3],
                               "stride": [2, 2], "padding": [0, 0], "ceil_mode": True}
    assert layers["dropout"]["p"] == 0.5 and layers["conv10"]["bias"] is True


# --- projects of networks that are not zoo models -------------------------------------------------
def add_graph() -> Graph:
    """A residual block the zoo has no builder for: two branches joined by an Add."""
    layers = (Input("input", (), shape=(2, 6, 6)),
              Conv2d("c1", ("input",), out_channels=4, kernel=3, padding=1), ReLU("c1.relu", ("c1",)),
              Conv2d("a", ("c1.relu",), out_channels=4, kernel=1), ReLU("a.relu", ("a",)),
              DepthwiseConv2d("b", ("c1.relu",), kernel=3, padding=1), ReLU("b.relu", ("b",)),
              Add("sum", ("a.relu", "b.relu")), MaxPool2d("pool", ("sum",), kernel=3, stride=2, ceil_mode=True),
              GlobalAvgPool("gap", ("pool",)), Flatten("flat", ("gap",)), Dense("fc", ("flat",), out_features=3))
    return with_random_biases(zoo.he_init(Graph("residual_block", layers), seed=4), seed=5)


def _assert_same(got: Graph, want: Graph):
    assert got.name == want.name and got.layers == want.layers and str(got) == str(want)
    assert sorted(got.weights) == sorted(want.weights)
    for name, tensors in want.weights.items():
        assert sorted(got.weights[name]) == sorted(tensors)
        for key, arr in tensors.items():
            assert np.array_equal(got.weights[name][key], arr), (name, key)


@pytest.mark.parametrize("make", [
    lambda: dataclasses.replace(build("fire", seed=2, in_channels=4, squeeze=2, expand1x1=3, expand3x3=3, size=5),
                                name="my_net"),
    add_graph,
], ids=["renamed_fire", "add"])
def test_non_zoo_project_reads_back(tmp_path, make):
    g = make()
    assert g.name not in zoo.names()
    c = cfg.load(None, g)
    generate_project(g, c, tmp_path / "p", {})
    p = project.read(tmp_path / "p")
    _assert_same(p.graph, g)
    assert p.model == g.name and p.config.to_dict() == c.to_dict()
    meta = json.loads((tmp_path / "p" / project.PROJECT_FILE).read_text())
    assert meta["model"] == g.name and meta["graph"] == serialize.to_document(g)


def test_project_without_graph_falls_back_to_the_zoo(tmp_path):
    kwargs = dict(in_channels=4, squeeze=2, expand1x1=3, expand3x3=3, size=5)
    g = build("fire", **kwargs)
    generate_project(g, cfg.load(None, g), tmp_path / "p", kwargs)
    meta_file = tmp_path / "p" / project.PROJECT_FILE
    meta = json.loads(meta_file.read_text())
    del meta["graph"]
    meta_file.write_text(json.dumps(meta))
    _assert_same(project.read(tmp_path / "p").graph, g)


# --- bad documents ----------------------------------------------------------------------------------
def _doc():
    return serialize.to_document(add_graph())


def _edit(layer, change):
    doc = _doc()
    for d in doc["layers"]:
        if d["name"] == layer:
            change(d)
    return doc


@pytest.mark.parametrize("doc, match", [
    (_edit("a", lambda d: d.update(kind="conv3d")), r"layer 'a': field 'kind': unknown kind 'conv3d'"),
    (_edit("a", lambda d: d.pop("stride")), r"layer 'a': missing field 'stride'"),
    (_edit("a", lambda d: d.update(groups=2)), r"layer 'a': unexpected field 'groups' for a conv layer"),
    (_edit("a", lambda d: d.update(out_channels="4")), r"layer 'a': field 'out_channels' must be an integer"),
    (_edit("a", lambda d: d.update(out_channels=True)), r"layer 'a': field 'out_channels' must be an integer"),
    (_edit("a", lambda d: d.update(out_channels=0)), r"layer 'a': field 'out_channels' must be an integer >= 1"),
    (_edit("a", lambda d: d.update(bias=1)), r"layer 'a': field 'bias' must be true or false"),
    (_edit("b", lambda d: d.update(kernel=3)), r"layer 'b': field 'kernel' must be a list of 2 integers"),
    (_edit("b", lambda d: d.update(padding=[1, -1])), r"layer 'b': field 'padding' must hold integers >= 0"),
    (_edit("input", lambda d: d.update(shape=[2, 6])), r"layer 'input': field 'shape' must be a list of 3"),
    (_edit("pool", lambda d: d.update(padding=[2, 2])), r"layer 'pool': pool: pool padding 2x2 is more than half"),
    (_edit("sum", lambda d: d.update(inputs="a.relu")), r"layer 'sum': field 'inputs' must be a list"),
    (_edit("sum", lambda d: d.update(inputs=[])), r"layer 'sum': field 'inputs': it must read at least one"),
    (_edit("sum", lambda d: d.update(inputs=["a.relu", "nowhere"])), r"layer 'sum' reads 'nowhere'"),
    (_edit("fc", lambda d: d.update(name="a")), r"duplicate layer name 'a'"),
    (_edit("fc", lambda d: d.pop("name")), r"layer 11: field 'name' must be a non-empty string"),
    ({"layers": []}, r"'layers' must be a non-empty list"),
    ({**_doc(), "name": "x"}, r"unexpected key 'name'"),
    ([], r"graph document must be an object"),
])
def test_bad_documents_give_one_line_errors(doc, match):
    with pytest.raises(InputError, match=match) as e:
        serialize.from_document(doc, "net")
    assert "\n" not in str(e.value)


def test_bad_graph_in_a_project_names_the_file(tmp_path):
    g = add_graph()
    generate_project(g, cfg.load(None, g), tmp_path / "p", {})
    meta_file = tmp_path / "p" / project.PROJECT_FILE
    meta = json.loads(meta_file.read_text())
    bad = copy.deepcopy(meta)
    bad["graph"]["layers"][3]["kind"] = "conv3d"
    meta_file.write_text(json.dumps(bad))
    with pytest.raises(InputError, match=r"hwsim_project.json: graph document: layer 'a': field 'kind'") as e:
        project.read(tmp_path / "p")
    assert "\n" not in str(e.value)
    bad = copy.deepcopy(meta)
    bad["graph"]["layers"][3].update(kernel=[3, 3], padding=[1, 1])   # the stored weights no longer fit
    meta_file.write_text(json.dumps(bad))
    with pytest.raises(InputError, match=r"weights.npz"):
        project.read(tmp_path / "p")
