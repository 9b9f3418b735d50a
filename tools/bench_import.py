"""Time the ONNX importer on torchvision networks (issue 18: "importing resnet18 takes under 2 s").

Each of squeezenet1_0, squeezenet1_1, mobilenet_v2 and resnet18 (randomly initialised, seeded:
tests/torchvision_models.py) is exported once with torch.onnx.export (dynamo=False, 1x3x224x224) to a
temporary folder; then `import_onnx` reads it 5 times. Prints one line per network: the file size,
the best and the median of the 5 imports, layers, parameters and MACs; and a last line
`RESULT import_max_s=<x>`: the slowest network's best time. The time is the whole import: reading
the file, the graph, batch-norm folding, ONNX shape inference (the shape check) and the weights.
Usage: .venv/bin/python tools/bench_import.py [NAME ...]
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests"))

import torch  # noqa: E402

import torchvision_models as tvm  # noqa: E402
from hwsim.ir.onnx_graph import import_onnx  # noqa: E402

RUNS = 5


def main(names) -> int:
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            path = os.path.join(folder, f"{name}.onnx")
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(tvm.model(name), (torch.zeros(1, 3, 224, 224),), path, dynamo=False)
            times = []
            for _ in range(RUNS):
                t0 = time.perf_counter()
                g = import_onnx(path).graph
                times.append(time.perf_counter() - t0)
            best = min(times)
            worst = max(worst, best)
            print(f"{name:<14} {os.path.getsize(path) / 2 ** 20:6.1f} MiB  import best {best:6.3f} s  "
                  f"median {statistics.median(times):6.3f} s  {len(g.layers)} layers, {g.params():,} params, "
                  f"{g.macs():,} MACs")
    print(f"RESULT import_max_s={worst:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(tvm.NAMES)))
