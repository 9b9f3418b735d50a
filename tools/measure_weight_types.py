"""Fixed vs float agreement with the default weight type (ap_fixed<8,1>) and with per-layer integer
bits from each tensor's range (ap_fixed<8,auto>), on two sets of weights:

- torchvision-initialised SqueezeNet 1.1 (torchvision's own rule, applied with torch.nn.init: every
  conv kaiming_uniform_, conv10 normal(0, 0.01), zero biases; torch.manual_seed(0)), on the digits
  test split resized to 3 x S x S (top-1 is meaningless for untrained weights; agreement is not);
- the shipped demo net (squeezenet_mini trained on digits), on the digits test split.

Usage: .venv/bin/python tools/measure_weight_types.py [--size 64] [--images 360]
Last line: RESULT tv_default=<agreement> tv_auto=... demo_default=... demo_auto=...
"""
from __future__ import annotations

import argparse
import math

import numpy as np
import torch

from hwsim.study import compare as accuracy, data, executor
from hwsim.spec import config as cfg
from hwsim.ir import zoo

TYPES = {"default": "ap_fixed<8,1,AP_RND_CONV,AP_SAT>", "auto": "ap_fixed<8,auto,AP_RND_CONV,AP_SAT>"}


def torchvision_init(graph):
    torch.manual_seed(0)
    weights = {}
    for layer in graph.layers:
        if not layer.has_weights:
            continue
        shapes = graph.weight_shapes(layer)
        w = torch.empty(shapes["weight"])
        if layer.name == "conv10":
            torch.nn.init.normal_(w, mean=0.0, std=0.01)
        else:
            torch.nn.init.kaiming_uniform_(w)
        arrs = {"weight": w.numpy()}
        if "bias" in shapes:
            arrs["bias"] = np.zeros(shapes["bias"], dtype=np.float32)
        weights[layer.name] = arrs
    return graph.with_weights(weights)


def measure(graph, ds, weight_type):
    config = cfg.load(None, graph, weight_type=weight_type)
    with executor.make(workers=1, progress=False) as ex:
        rep = accuracy.compare(graph, config, ds, ex)
    conv10 = next(l for l in rep.layers if l.name == "conv10")
    ints = sorted({lc.weight.integer for lc in config.layers.values() if lc.weight is not None})
    return rep, conv10.sqnr_db, ints


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--images", type=int, default=360)
    args = ap.parse_args()
    tv = torchvision_init(zoo.build("squeezenet1_1", input_shape=(3, args.size, args.size), weights=False))
    tv_data = data.digits("test", tv.input_shape)
    tv_data = data.Dataset(tv_data.name, tv_data.x[:args.images], tv_data.y[:args.images], tv_data.classes)
    demo = zoo.load_weights(zoo.build("squeezenet_mini", weights=False), data.demo_path())
    demo_data = data.digits("test", demo.input_shape)
    result = {}
    for label, graph, ds in (("tv", tv, tv_data), ("demo", demo, demo_data)):
        for key, t in TYPES.items():
            rep, sqnr, ints = measure(graph, ds, t)
            result[f"{label}_{key}"] = rep.agreement
            db = "exact" if sqnr == math.inf else f"{sqnr:.1f} dB"
            print(f"{label:5} {t:36} agreement {100 * rep.agreement:6.2f}%  float top-1 "
                  f"{100 * rep.float_top1:6.2f}%  fixed top-1 {100 * rep.fixed_top1:6.2f}%  "
                  f"conv10 SQNR {db}  weight integer bits {ints}  ({len(ds)} images)")
    print("RESULT " + " ".join(f"{k}={v:.4f}" for k, v in result.items()))


if __name__ == "__main__":
    main()
