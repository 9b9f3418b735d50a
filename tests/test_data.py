"""Data sets: the bilinear resize, the seeded stratified split, digits, .npz and image folders, and
the shipped demo weights."""
import json

import numpy as np
import pytest

from hwsim.study import data
from hwsim.sim import reference
from hwsim.ir import zoo


def test_resize_hand_computed_row():
    # half-pixel centres: output x maps to (x + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25 (clamped)
    out = data.resize_bilinear(np.array([[2.0, 6.0]]), (1, 4))
    assert out.tolist() == [[2.0, 3.0, 5.0, 6.0]]


def test_resize_matches_torch_interpolate():
    import torch
    x = np.random.default_rng(3).random((4, 8, 8))
    for hw in ((16, 16), (12, 20), (8, 8), (5, 3)):
        ours = data.resize_bilinear(x, hw)
        ref = torch.nn.functional.interpolate(torch.from_numpy(x)[:, None], size=hw, mode="bilinear",
                                              align_corners=False)[:, 0].numpy()
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_split_is_a_stratified_partition_and_seeded():
    y = np.repeat(np.arange(4), [10, 20, 5, 30])
    s = data.split_indices(y, seed=1)
    allidx = np.concatenate([s[k] for k in data.SPLITS])
    assert sorted(allidx.tolist()) == list(range(len(y)))
    for c, n in enumerate((10, 20, 5, 30)):
        counts = [int(np.sum(y[s[k]] == c)) for k in data.SPLITS]
        assert abs(counts[0] - 0.6 * n) <= 1 and abs(counts[1] - 0.2 * n) <= 1
    again = data.split_indices(y, seed=1)
    other = data.split_indices(y, seed=2)
    assert all(np.array_equal(s[k], again[k]) for k in data.SPLITS)
    assert not all(np.array_equal(s[k], other[k]) for k in data.SPLITS)


def test_digits_splits():
    sizes = {}
    for split in data.SPLITS:
        ds = data.digits(split)
        assert ds.x.shape[1:] == (1, 16, 16) and ds.x.dtype == np.float32
        assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
        assert set(np.unique(ds.y)) == set(range(10)) and ds.num_classes == 10
        sizes[split] = len(ds)
    assert sum(sizes.values()) == 1797
    assert sizes["test"] == len(data.load("digits", (1, 16, 16), 10))
    assert data.digits("val", (3, 8, 8)).x.shape[1:] == (3, 8, 8)
    with pytest.raises(ValueError, match="unknown digits split"):
        data.digits("holdout")


def test_digits_rejects_a_model_with_too_few_classes():
    with pytest.raises(ValueError, match="out of range for a model with 5 classes"):
        data.load("digits", (1, 16, 16), 5)


def test_npz_round_trip_and_errors(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((6, 1, 4, 4)).astype(np.float32), np.array([0, 1, 2, 0, 1, 2])
    p = tmp_path / "d.npz"
    np.savez(p, x=x, y=y)
    ds = data.load(str(p), (1, 4, 4), 3)
    assert np.array_equal(ds.x, x) and ds.y.tolist() == y.tolist()
    np.savez(p, x=x[:, 0], y=y)                 # (N, H, W) for one channel
    assert data.load(str(p), (1, 4, 4), 3).x.shape == (6, 1, 4, 4)
    cases = [({"x": x}, "missing array 'y'"),
             ({"x": x, "y": y[:5]}, "6 samples but y has 5"),
             ({"x": x, "y": y + 1}, "label 3 out of range"),
             ({"x": x, "y": y - 1}, "label -1 out of range"),
             ({"x": x, "y": y + 0.5}, "integer labels"),
             ({"x": x[:, :, :3], "y": y}, r"shape \(1, 3, 4\), the model expects \(1, 4, 4\)")]
    for arrays, msg in cases:
        np.savez(p, **arrays)
        with pytest.raises(ValueError, match=msg):
            data.load(str(p), (1, 4, 4), 3)
    with pytest.raises(FileNotFoundError, match="data file not found"):
        data.load(str(tmp_path / "none.npz"), (1, 4, 4), 3)


def test_image_folder(tmp_path):
    from PIL import Image
    for cls, value in (("b_two", 200), ("a_one", 50)):
        (tmp_path / cls).mkdir()
        for i in range(2):
            Image.fromarray(np.full((8, 8), value, np.uint8)).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "a_one" / "notes.txt").write_text("ignored")
    ds = data.load(str(tmp_path), (1, 16, 16), 2)
    assert ds.classes == ("a_one", "b_two") and ds.y.tolist() == [0, 0, 1, 1]
    assert ds.x.shape == (4, 1, 16, 16)
    np.testing.assert_allclose(ds.x[0], 50 / 255, rtol=1e-6)
    np.testing.assert_allclose(ds.x[3], 200 / 255, rtol=1e-6)
    assert data.load(str(tmp_path), (3, 8, 8), 2).x.shape == (4, 3, 8, 8)
    with pytest.raises(ValueError, match="label 1 out of range for a model with 1 classes"):
        data.load(str(tmp_path), (1, 16, 16), 1)
    with pytest.raises(FileNotFoundError, match="data not found"):
        data.load(str(tmp_path / "missing"), (1, 16, 16), 2)
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "b_two").rename(empty / "b_two")
    (empty / "b_two" / "0.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot read image"):
        data.load(str(empty), (1, 16, 16), 2)


def test_folder_without_classes(tmp_path):
    with pytest.raises(ValueError, match="no class subfolders"):
        data.load(str(tmp_path), (1, 16, 16), 2)


def test_holdout_halves():
    ds = data.digits("val")
    val, test = data.holdout(ds, seed=0)
    assert len(val) + len(test) == len(ds)
    assert abs(len(val) - len(test)) <= 10
    for c in range(10):
        assert abs(int(np.sum(val.y == c)) - int(np.sum(test.y == c))) <= 1


def test_shipped_demo_weights_reach_the_recorded_accuracy():
    info = data.demo_info()
    graph = zoo.load_weights(zoo.build(info["model"], **{k: tuple(v) if isinstance(v, list) else v
                                                         for k, v in info["model_args"].items()}),
                             data.demo_path())
    test = data.digits("test", graph.input_shape, info["split"]["seed"])
    top1 = float(np.mean(reference.run(graph, test.x).reshape(len(test), -1).argmax(1) == test.y))
    assert top1 == pytest.approx(info["float_test_top1"], abs=1e-12)
    assert top1 >= 0.95
    assert info["split"]["sizes"]["test"] == len(test)
    json.dumps(info)


def test_shipped_mobilenet_mini_weights_reach_the_recorded_accuracies():
    from hwsim.sim import simulate
    info = data.shipped_info("mobilenet_mini")
    graph = zoo.load_weights(zoo.build("mobilenet_mini"), data.shipped_weights("mobilenet_mini"))
    test = data.digits("test", graph.input_shape, info["split"]["seed"])
    top1 = float(np.mean(reference.run(graph, test.x).reshape(len(test), -1).argmax(1) == test.y))
    fixed = simulate.run(graph, test.x, reference=False).values.reshape(len(test), -1)
    assert top1 == pytest.approx(info["float_test_top1"], abs=1e-12) and top1 >= 0.95
    assert float(np.mean(fixed.argmax(1) == test.y)) == pytest.approx(info["fixed_test_top1_default_precision"], abs=1e-12)
    assert data.shipped_weights("squeezenet_mini") == data.demo_path() and data.shipped_weights("fire") is None
