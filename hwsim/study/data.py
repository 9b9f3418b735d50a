"""Labelled image data for accuracy runs: scikit-learn's bundled digits, image folders, `.npz` files.

Every loader returns a `Dataset`: `x` float32 (N, C, H, W), `y` int64 (N,), class names.

digits (no download: the 1,797 8x8 images ship inside scikit-learn):
- pixels 0..16 are scaled to [0, 1] (divided by 16), no standardisation;
- resized from 8x8 to the model's H x W by a fixed bilinear resize (`resize_bilinear`: half-pixel
  centres, edge clamping, the same rule as PyTorch's `interpolate(mode="bilinear",
  align_corners=False)`), replicated over C channels;
- split once, stratified per class and seeded: 60% train, 20% validation, 20% test (`split_indices`).

Image folder: one subfolder per class (class index = position of the folder name in sorted order),
PNG/JPEG/BMP files read with Pillow, converted to grey (C = 1) or RGB (C = 3), resized bilinearly to
H x W and scaled to [0, 1]. `.npz`: arrays `x` (N, C, H, W), or (N, H, W) when C = 1, and `y`
(N,) integer labels, used as stored (no scaling). Shapes must match the model input; labels must be in
[0, num_classes). Anything else is a ValueError with one line naming the problem.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from hwsim.util.errors import InputError, MissingFile

SPLITS = ("train", "val", "test")
FRACTIONS = (0.6, 0.2, 0.2)
DEFAULT_SEED = 0
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp")
DEMO_WEIGHTS = "squeezenet_mini_digits.npz"
DEMO_INFO = "squeezenet_mini_digits.json"
SHIPPED = ("squeezenet_mini", "mobilenet_mini")     # models with digits weights in hwsim/data (tools/train_demo.py)


@dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    x: np.ndarray               # float32 (N, C, H, W)
    y: np.ndarray               # int64 (N,)
    classes: tuple[str, ...]

    def __post_init__(self):
        if self.x.ndim != 4 or self.y.ndim != 1 or len(self.x) != len(self.y):
            raise InputError(f"{self.name}: x must be (N, C, H, W) and y (N,), got {self.x.shape} "
                             f"and {self.y.shape}")

    def __len__(self) -> int:
        return len(self.y)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def resize_bilinear(img: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (..., H, W) images with half-pixel centres and clamped edges."""
    img = np.asarray(img, dtype=np.float64)
    h, w = img.shape[-2:]
    oh, ow = out_hw
    if (oh, ow) == (h, w):
        return img.copy()

    def axis(n_in, n_out):
        pos = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
        lo = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, pos - lo

    y0, y1, fy = axis(h, oh)
    x0, x1, fx = axis(w, ow)
    top = img[..., y0, :] * (1 - fy)[:, None] + img[..., y1, :] * fy[:, None]
    return top[..., x0] * (1 - fx) + top[..., x1] * fx


def split_indices(y: np.ndarray, seed: int = DEFAULT_SEED,
                  fractions=FRACTIONS) -> dict[str, np.ndarray]:
    """Stratified train/val/test indices: each class is shuffled with `seed` and cut by `fractions`."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_train = int(round(fractions[0] * len(idx)))
        n_val = int(round(fractions[1] * len(idx)))
        for s, part in zip(SPLITS, (idx[:n_train], idx[n_train:n_train + n_val], idx[n_train + n_val:])):
            parts[s].append(part)
    return {s: np.sort(np.concatenate(p)) for s, p in parts.items()}


def digits(split: str = "test", shape=(1, 16, 16), seed: int = DEFAULT_SEED) -> Dataset:
    """One split of scikit-learn's 8x8 digits, scaled to [0, 1] and resized to `shape` (C, H, W)."""
    if split not in SPLITS:
        raise InputError(f"unknown digits split {split!r}; valid: {', '.join(SPLITS)}")
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("the digits data set needs scikit-learn (pip install scikit-learn)") from None
    c, h, w = (int(v) for v in shape)
    raw = load_digits()
    images = raw.images.astype(np.float64) / 16.0
    labels = raw.target.astype(np.int64)
    idx = split_indices(labels, seed)[split]
    x = resize_bilinear(images[idx], (h, w))[:, None].repeat(c, axis=1).astype(np.float32)
    return Dataset(f"digits:{split}", x, labels[idx], tuple(str(i) for i in range(10)))


def _check_for(ds: Dataset, input_shape, num_classes: int | None) -> Dataset:
    if tuple(ds.x.shape[1:]) != tuple(input_shape):
        raise InputError(f"{ds.name}: images have shape {tuple(ds.x.shape[1:])}, the model expects "
                         f"{tuple(input_shape)} (C, H, W)")
    if num_classes is not None and len(ds.y) and (ds.y.min() < 0 or ds.y.max() >= num_classes):
        bad = int(ds.y[(ds.y < 0) | (ds.y >= num_classes)][0])
        raise InputError(f"{ds.name}: label {bad} out of range for a model with {num_classes} classes")
    if len(ds) == 0:
        raise InputError(f"{ds.name}: no samples")
    if not np.all(np.isfinite(ds.x)):
        raise InputError(f"{ds.name}: images contain NaN or infinite values")
    return ds


def from_npz(path, input_shape=None, num_classes: int | None = None) -> Dataset:
    """A data set from an .npz with `x` (N, C, H, W) or (N, H, W) and integer labels `y` (N,)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise MissingFile(f"data file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception as e:  # zip or format errors from numpy
        raise InputError(f"{path}: cannot read as .npz ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        raise InputError(f"{path}: missing array {missing[0]!r} (found: {', '.join(sorted(arrays)) or 'none'}); "
                         "expected x (N, C, H, W) and y (N,)")
    x, y = arrays["x"], arrays["y"]
    if x.dtype.kind not in "biuf":
        raise InputError(f"{path}: x has dtype {x.dtype}, expected numbers")
    if y.ndim != 1 or (y.dtype.kind not in "iu" and not (y.dtype.kind == "f" and np.all(y == np.round(y)))):
        raise InputError(f"{path}: y must be a 1-D array of integer labels, got shape {y.shape} dtype {y.dtype}")
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise InputError(f"{path}: x has shape {x.shape}, expected (N, C, H, W) or (N, H, W)")
    if len(x) != len(y):
        raise InputError(f"{path}: x has {len(x)} samples but y has {len(y)} labels")
    n = int(y.max()) + 1 if len(y) else 0
    k = max(n, num_classes or 0)
    ds = Dataset(os.path.basename(path), x.astype(np.float32), y.astype(np.int64),
                 tuple(str(i) for i in range(k)))
    return _check_for(ds, input_shape, num_classes) if input_shape is not None else ds


def from_folder(path, input_shape, num_classes: int | None = None) -> Dataset:
    """A data set from `path/<class>/<image>`: sorted class folders, images resized to input_shape."""
    root = Path(path)
    if not root.is_dir():
        raise MissingFile(f"data folder not found: {root}")
    c, h, w = (int(v) for v in input_shape)
    if c not in (1, 3):
        raise InputError(f"{root}: image folders need a model with 1 (grey) or 3 (RGB) input channels, not {c}")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise InputError(f"{root}: no class subfolders (expected {root}/<class>/<image>.png)")
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("image folders need Pillow (pip install pillow)") from None
    xs, ys = [], []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir() if p.suffix.lower() in IMAGE_EXTS)
        for f in files:
            try:
                with Image.open(f) as im:
                    im = im.convert("L" if c == 1 else "RGB").resize((w, h), Image.BILINEAR)
                    arr = np.asarray(im, dtype=np.float32) / 255.0
            except Exception as e:
                raise InputError(f"{f}: cannot read image ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
            xs.append(arr[None] if c == 1 else arr.transpose(2, 0, 1))
            ys.append(label)
    if not xs:
        raise InputError(f"{root}: no images ({', '.join(IMAGE_EXTS)}) in the class folders")
    ds = Dataset(root.name, np.stack(xs).astype(np.float32), np.asarray(ys, np.int64), tuple(classes))
    return _check_for(ds, input_shape, num_classes)


def load(spec: str | None, input_shape, num_classes: int | None = None, split: str = "test",
         seed: int = DEFAULT_SEED) -> Dataset:
    """`digits` (the given split; `digits:val` picks one), a folder, or an .npz, checked for the model."""
    spec = spec or "digits"
    if spec == "digits" or spec.startswith("digits:"):
        part = spec.split(":", 1)[1] if ":" in spec else split
        c, h, w = input_shape
        return _check_for(digits(part, (c, h, w), seed), input_shape, num_classes)
    if spec.lower().endswith(".npz"):
        return from_npz(spec, input_shape, num_classes)
    if os.path.isdir(spec):
        return from_folder(spec, input_shape, num_classes)
    if not os.path.exists(spec):
        raise MissingFile(f"data not found: {spec} (expected digits, a folder of class subfolders, "
                                "or an .npz with x and y)")
    raise InputError(f"{spec}: unknown data format (expected digits, a folder of class subfolders, "
                     "or an .npz with x and y)")


def demo_path(name: str = DEMO_WEIGHTS) -> str:
    """Path of a file shipped in hwsim/data (the demo weights or their JSON record)."""
    return str(resources.files("hwsim") / "data" / name)


def shipped_weights(model: str) -> str | None:
    """Path of the digits weights shipped for `model` (<model>_digits.npz), or None."""
    if model not in SHIPPED:
        return None
    path = demo_path(f"{model}_digits.npz")
    return path if os.path.isfile(path) else None


def shipped_info(model: str) -> dict:
    """The JSON record beside a model's shipped weights (accuracies, split, training)."""
    import json
    with open(demo_path(f"{model}_digits.json")) as f:
        return json.load(f)


def demo_info() -> dict:
    """The shipped demo record: measured float test accuracy, split seed, preprocessing."""
    import json
    with open(demo_path(DEMO_INFO)) as f:
        return json.load(f)


def holdout(ds: Dataset, seed: int = DEFAULT_SEED) -> tuple[Dataset, Dataset]:
    """(validation, test) halves of a user data set, stratified and seeded like `split_indices`."""
    if len(ds) < 2:
        raise InputError(f"{ds.name}: need at least 2 samples to hold out a test half, got {len(ds)}")
    idx = split_indices(ds.y, seed, (0.0, 0.5, 0.5))
    if len(idx["val"]) == 0 or len(idx["test"]) == 0:
        raise InputError(f"{ds.name}: too few samples per class to hold out a test half")
    return tuple(Dataset(f"{ds.name}:{s}", ds.x[idx[s]], ds.y[idx[s]], ds.classes) for s in ("val", "test"))
