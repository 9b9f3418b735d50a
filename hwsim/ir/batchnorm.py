"""Batch norm at inference, folded into the convolution before it (the one place of the rule).

A convolution y = W * x + b followed by BatchNorm(gamma, beta, running mean mu, running var v, eps)
computes gamma (y - mu) / sqrt(v + eps) + beta. With s = gamma / sqrt(v + eps) per output channel:

    W' = W * s   (each output channel's kernel scaled by its s)
    b' = (b - mu) * s + beta      (b = 0 for a convolution without bias)

The folded convolution always has a bias. The fold runs in float64 and rounds once to float32, so
the folded network equals the unfolded one to float32 rounding (tests compare against PyTorch in
eval mode). The simulator and the generated design run W' and b' only: no design computes a BN.
"""
from __future__ import annotations

import numpy as np

BN_KEYS = ("weight", "bias", "running_mean", "running_var")
DEFAULT_EPS = 1e-5          # PyTorch's BatchNorm2d default


def fold(weight, bias, gamma, beta, mean, var, eps: float = DEFAULT_EPS) -> tuple[np.ndarray, np.ndarray]:
    """(W', b') of the convolution (weight (F, ...), bias (F,) or None) followed by the batch norm."""
    w = np.asarray(weight, np.float64)
    f = w.shape[0]
    parts = [np.asarray(a, np.float64).reshape(-1) for a in (gamma, beta, mean, var)]
    if any(p.shape != (f,) for p in parts):
        raise ValueError(f"batch norm of {parts[0].size} channels after a layer of {f} outputs")
    g, beta_, mu, v = parts
    if np.any(v + eps <= 0):
        raise ValueError("batch norm running_var + eps must be positive")
    s = g / np.sqrt(v + eps)
    b = np.zeros(f) if bias is None else np.asarray(bias, np.float64).reshape(-1)
    w2 = w * s.reshape((f,) + (1,) * (w.ndim - 1))
    return w2.astype(np.float32), ((b - mu) * s + beta_).astype(np.float32)
