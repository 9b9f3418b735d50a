"""Shared helpers for the code generation and C-simulation tests."""
from __future__ import annotations

import numpy as np

from hwsim.ir import zoo


def with_random_biases(graph, seed=1, scale=0.5):
    """The graph with non-zero biases (zoo models start with zero biases)."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, tensors in graph.weights.items():
        d = dict(tensors)
        if "bias" in d:
            d["bias"] = (rng.standard_normal(d["bias"].shape) * scale).astype(np.float32)
        weights[name] = d
    return graph.with_weights(weights)


def build(name, seed=1, **kwargs):
    return with_random_biases(zoo.build(name, **kwargs), seed)


