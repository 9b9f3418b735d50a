"""A PyTorch module as a hwsim network: exported to ONNX, then read by hwsim.ir.onnx_graph.

`from_torch(module, example_input)` (public as `hwsim.from_torch`) puts the module in eval mode
(batch norms use their running statistics, dropout is off: the network hwsim can build), exports it
with PyTorch's TorchScript-based exporter (`torch.onnx.export(..., dynamo=False)`) into a temporary
folder and imports the file: the operators and rules are the ONNX importer's, and a module whose
export holds anything else is the same one-line InputError naming the node.
"""
from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import warnings

from hwsim.ir.onnx_graph import Imported, import_onnx
from hwsim.util.errors import InputError, first_line


def from_torch(module, example_input, input_shape=None) -> Imported:
    """The network of a torch.nn.Module: an `Imported` (hwsim.ir.onnx_graph) with `.graph` (the hwsim
    Graph with the module's weights), `.precision` (the types of any QONNX Quant nodes, {} for a
    float module) and `.origin` (layer -> the exported node). `example_input` is one image, a tensor
    of shape (1, C, H, W) (a (C, H, W) tensor gets its batch); `input_shape` (CxHxW), when given,
    must agree with it. The graph is named after the module's class.

    The module is put in eval mode (`module.eval()`, as it stays afterwards). `.path` is "": the
    exported file lived in a temporary folder that is gone when this returns."""
    try:
        import torch
    except ImportError:
        raise InputError("hwsim.from_torch needs PyTorch (pip install torch)") from None
    if not isinstance(module, torch.nn.Module):
        raise InputError(f"hwsim.from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    x = example_input
    if not isinstance(x, torch.Tensor):
        raise InputError(f"hwsim.from_torch: example_input must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[0] != 1:
        raise InputError(f"hwsim.from_torch: example_input must be one image (1, C, H, W), got shape "
                         f"{tuple(x.shape)}")
    name = re.sub(r"[^A-Za-z0-9_]", "_", type(module).__name__) or "module"
    with tempfile.TemporaryDirectory(prefix="hwsim-torch-") as tmp:
        path = os.path.join(tmp, f"{name}.onnx")
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")          # the exporter's deprecation notices
                torch.onnx.export(module.eval(), (x,), path, dynamo=False, input_names=["input"],
                                  output_names=["output"])
        except Exception as e:   # the exporter's own errors (unsupported modules, tracing) share no base
            raise InputError(f"hwsim.from_torch: torch.onnx.export of {type(module).__name__} failed: "
                             f"{first_line(e)}") from None
        try:
            imported = import_onnx(path, input_shape)
        except InputError as e:          # name the module, not the temporary file
            raise InputError(str(e).replace(path, f"{type(module).__name__} (exported to ONNX)")) from None
    return dataclasses.replace(imported, path="")
