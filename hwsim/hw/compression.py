"""Deep Compression storage (Han, Mao, Dally, ICLR 2016): pruned weights, a shared-weight codebook per
layer and a sparse relative index.

Model, per weight tensor (biases are never pruned nor shared: they stay dense at the bias type):
- Pruning at density d keeps nnz = ceil(d * n) of the n weights. A tensor at density 1 is stored
  dense: no index at all.
- Weight sharing with a b-bit codebook: each kept weight is stored as a b-bit index into a per-layer
  codebook of 2^b entries held at the layer's weight type width (Deep Compression keeps the
  centroids as 32-bit floats; on chip they are fixed-point values). Without a codebook each kept
  weight is stored at the weight type width.
- Sparse index: each kept weight carries the number of zeros before it (relative index) in
  `index_bits` bits (default 4). A run of zeros longer than 2^k - 1 needs a filler entry (a stored
  zero) every 2^k positions. With zeros at uniformly random positions the zero run before a kept
  weight is geometric, P(run >= r) = (1-d)^r, so the expected fillers per kept weight are
  sum_j (1-d)^(j*2^k) = q / (1 - q) with q = (1-d)^(2^k); the model adds ceil(nnz * q / (1 - q)).
- Entry = codebook index (or weight) + relative index; storage = entries x entry bits + codebook.

Index width: the Deep Compression paper stores the index difference in 8 bits for conv layers and
5 bits for fully connected layers of AlexNet, then Huffman-codes weights and indices, which this
model does not do. The default here is 4 bits, the relative-index width of EIE (Han et al., ISCA
2016), the on-chip format of the same authors' accelerator: a fixed-width, directly addressable
format is what an FPGA kernel reads. With 4-bit indices and SqueezeNet v1.0 at the paper's Table 1
densities (8-bit weights, 16-bit biases) this model gives 0.594 MB (8-bit codebook) and 0.484 MB
(6-bit), against the 0.66 MB and 0.47 MB the SqueezeNet paper reports for its Deep Compression
pipeline (decimal MB); `index_bits=8` gives 0.746 MB and 0.637 MB.

`table1`: the per-layer densities of the SqueezeNet paper's Table 1 (SqueezeNet v1.0), for the
squeeze1x1 / expand1x1 / expand3x3 convolutions of each fire module, conv1 and conv10. With
ceil rounding and dense biases they give exactly the paper's 421,098 parameters after pruning.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping
from hwsim.util.errors import InputError

# SqueezeNet paper (Iandola et al. 2016), Table 1: sparsity column = fraction of weights kept.
_FIRE_TABLE1 = {2: (1.0, 1.0, 0.33), 3: (1.0, 1.0, 0.33), 4: (1.0, 1.0, 0.33), 5: (1.0, 1.0, 0.33),
                6: (1.0, 0.5, 0.33), 7: (0.5, 1.0, 0.33), 8: (1.0, 0.5, 0.30), 9: (0.5, 1.0, 0.30)}
TABLE1: Mapping[str, float] = {"conv1": 1.0, "conv10": 0.2, **{
    f"fire{i}.{part}": d for i, ds in _FIRE_TABLE1.items()
    for part, d in zip(("squeeze1x1", "expand1x1", "expand3x3"), ds)}}
DEFAULT_INDEX_BITS = 4


@dataclass(frozen=True)
class Compression:
    """What Deep Compression settings apply: per-layer density, codebook bits, index bits."""
    densities: Mapping[str, float]          # layer -> kept fraction (missing layers: 1.0)
    codebook_bits: int | None = None
    index_bits: int = DEFAULT_INDEX_BITS
    label: str = ""

    def density(self, layer: str) -> float:
        return self.densities.get(layer, 1.0)

    def to_dict(self) -> dict:
        return {"prune": self.label or None, "codebook_bits": self.codebook_bits,
                "index_bits": self.index_bits}


@dataclass(frozen=True)
class TensorStorage:
    n: int               # weights in the tensor
    nnz: int             # kept weights
    fillers: int         # filler zeros the relative index needs
    entry_bits: int      # bits per stored entry
    codebook_bits: int   # bits of this layer's codebook (0 without weight sharing)

    @property
    def entries(self) -> int:
        return self.nnz + self.fillers

    @property
    def bits(self) -> int:
        return self.entries * self.entry_bits + self.codebook_bits


def parse_density(text) -> float:
    """A density from `0.33`, `33%` (fraction of weights kept, in (0, 1])."""
    try:
        s = str(text).strip()
        value = float(s[:-1]) / 100 if s.endswith("%") else float(s)
    except ValueError:
        raise InputError(f"--prune {text!r}: expected a density in (0, 1] such as 0.33 or 33%, "
                         "or 'table1'") from None
    if not 0 < value <= 1 or math.isnan(value):
        raise InputError(f"--prune {text!r}: the density must be in (0, 1]")
    return value


def make(weight_layers: list[str], prune=None, codebook_bits: int | None = None,
         index_bits: int = DEFAULT_INDEX_BITS) -> Compression | None:
    """Settings for these weight layers, or None when nothing is compressed.

    `prune`: None, a density (float or text), 'table1', or a mapping layer -> density.
    """
    if codebook_bits is not None:
        if isinstance(codebook_bits, bool) or not isinstance(codebook_bits, int) or not 1 <= codebook_bits <= 16:
            raise InputError(f"codebook bits must be an int from 1 to 16, got {codebook_bits!r}")
    if isinstance(index_bits, bool) or not isinstance(index_bits, int) or not 1 <= index_bits <= 16:
        raise InputError(f"index bits must be an int from 1 to 16, got {index_bits!r}")
    if prune is None and codebook_bits is None:
        return None
    label = ""
    densities: dict[str, float] = {}
    if isinstance(prune, str) and prune.strip().lower() == "table1":
        missing = [n for n in weight_layers if n not in TABLE1]
        if missing:
            raise InputError(f"--prune table1 holds SqueezeNet v1.0's layers (Table 1); this network's "
                             f"layer {missing[0]!r} is not among them")
        densities = {n: TABLE1[n] for n in weight_layers}
        label = "table1"
    elif isinstance(prune, Mapping):
        unknown = [n for n in prune if n not in weight_layers]
        if unknown:
            raise InputError(f"density given for {unknown[0]!r}, which is not a weight layer")
        densities = {n: parse_density(v) for n, v in prune.items()}
        label = "per-layer"
    elif prune is not None:
        d = parse_density(prune)
        densities = {n: d for n in weight_layers}
        label = f"{d:g}"
    return Compression(densities, codebook_bits, index_bits, label)


def expected_fillers(nnz: int, density: float, index_bits: int) -> int:
    """Filler zeros a relative index of `index_bits` bits needs (module doc), rounded up."""
    if density >= 1.0 or nnz == 0:
        return 0
    q = (1.0 - density) ** (2 ** index_bits)
    return math.ceil(nnz * q / (1.0 - q))


def tensor_storage(n: int, weight_width: int, density: float, comp: Compression) -> TensorStorage:
    """Storage of one weight tensor of n weights under `comp` (module doc)."""
    nnz = n if density >= 1.0 else math.ceil(density * n)
    value_bits = comp.codebook_bits if comp.codebook_bits is not None else weight_width
    sparse = density < 1.0
    fillers = expected_fillers(nnz, density, comp.index_bits) if sparse else 0
    entry = value_bits + (comp.index_bits if sparse else 0)
    codebook = (2 ** comp.codebook_bits) * weight_width if comp.codebook_bits is not None else 0
    return TensorStorage(n, nnz, fillers, entry, codebook)
