"""torchvision's model definitions for the ONNX import tests, without torchvision's compiled ops.

torchvision 0.28's compiled extension does not load beside the CPU build of torch 2.13 that the dev
dependencies install, and its `import torchvision` then fails with "operator torchvision::nms does not
exist": at import it registers fake (meta) kernels for `torchvision::nms` and `torchvision::qnms`,
which needs those operator schemas to exist. The models themselves are pure Python and need none of
the compiled ops, so before importing torchvision this module defines the two schemas itself (no
kernels: calling them would fail, and nothing here calls them). The `Library` object must stay alive
for the schemas to stay registered, hence the module-level `_LIB`.

Importing this module twice (under two names, after an importlib.reload, or after something else
already loaded torchvision or defined the schemas) is safe: the schemas are defined only when
`torch.ops.torchvision` has no `nms` yet.

`model(name)` is a randomly initialised (seeded, `torch.manual_seed`) eval-mode torchvision model.
"""
from __future__ import annotations

import torch

NAMES = ("squeezenet1_0", "squeezenet1_1", "mobilenet_v2", "resnet18")


def _has_nms() -> bool:
    try:
        torch.ops.torchvision.nms
    except (AttributeError, RuntimeError):
        return False
    return True


_LIB = globals().get("_LIB")     # importlib.reload keeps the Library: dropping it removes the schemas
if not _has_nms():
    _LIB = torch.library.Library("torchvision", "DEF")
    _LIB.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _LIB.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")

import torchvision  # noqa: E402  (needs the schemas above)


def model(name: str, seed: int = 0) -> torch.nn.Module:
    """torchvision's `name` (e.g. resnet18), randomly initialised with torch.manual_seed(seed), eval mode."""
    torch.manual_seed(seed)
    m = torchvision.models.get_model(name, weights=None)
    return m.eval()
