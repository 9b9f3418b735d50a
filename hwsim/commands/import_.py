"""`hwsim import`: an ONNX file as a config to edit: the model, its input shape, every layer's types
and folding spelled out (hwsim.ir.onnx_graph, hwsim.ir.qonnx)."""
from __future__ import annotations

import argparse
import json
import os
import sys

from hwsim.commands import args as types
from hwsim.commands.common import check_file, write_atomic
from hwsim.util.errors import InputError

# hwsim.ir.onnx_graph.SUPPORTED, copied so that `hwsim --help` loads no numpy (tests/test_onnx_cli.py
# checks that the two agree)
SUPPORTED = ("Conv", "BatchNormalization", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
             "Concat", "Add", "Gemm", "MatMul", "Flatten", "Reshape", "Dropout", "Identity", "Constant",
             "Quant")

EPILOG = f"""\
Supported operators (ONNX domain, any opset; QONNX Quant from qonnx.custom_op.general or
finn.custom_op.general):
  {", ".join(SUPPORTED[:9])},
  {", ".join(SUPPORTED[9:])}.
Conv is 2-D with symmetric pads and dilation 1, group 1 or depthwise; BatchNormalization is folded
into the Conv before it; Clip is ReLU6 (0, 6) or ReLU (0, inf); Add is a residual join of equal
shapes or a bias; Gemm / MatMul by a constant are dense layers; Flatten / Reshape flatten. One NCHW
float input (batch 1 or free) and one output; a file with free dimensions needs --input-shape.
Anything else is a one-line error naming the node. The README ("Bring your own network") has the
rules and the QONNX type mapping.

The config names the model (its path relative to the config's folder), model_args.input_shape when
the file leaves dimensions free or --input-shape is given, precision.input and precision.layers
with every layer that has types of its own (weight, bias, accum, result: the built-in defaults,
or the file's QONNX types), and parallel.layers with pe 1, simd 1 for every conv / dense /
depthwise layer. Layers not listed (relu, max pool, dropout, flatten, concat of equal types) take
their input's type. Each entry carries a comment: kind, output shape, parameters, the ONNX node.
`hwsim budget --config FILE` then gives what `hwsim budget --model MODEL.onnx` gives, until you
edit it; every other command takes the config too.

exit status: 0 written; 2 bad input (an unsupported node, a missing file, an existing output)."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "import", help="turn an ONNX file into a config to edit (per-layer types and folding)",
        description="Read an ONNX network (hwsim's supported operators, QONNX Quant nodes as types) "
                    "and write a YAML config that names it, with every layer's precision and folding "
                    "spelled out, ready to edit.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="MODEL.onnx", help="the ONNX file")
    p.add_argument("-o", "--output", metavar="FILE.yaml", required=True, help="the config to write")
    p.add_argument("--input-shape", metavar="CxHxW", type=types.input_shape,
                   help="input shape; needed when the file leaves dimensions free (a dynamic batch too)")
    p.add_argument("--allow-nonfinite-weights", action="store_true",
                   help="accept NaN / infinite weights (they saturate) instead of refusing the file")
    p.add_argument("--force", action="store_true", help="replace an existing non-empty output")


def _check_output(out: str, force: bool) -> None:
    if not out.lower().endswith((".yaml", ".yml")):
        raise InputError(f"-o {out!r}: the config is YAML; name it .yaml or .yml")
    check_file(out, "-o")
    if os.path.isfile(out) and os.path.getsize(out) > 0 and not force:
        raise InputError(f"-o {out} exists and is not empty (use --force to replace it)")


def _scalar(text: str) -> str:
    """`text` as a YAML scalar: plain when YAML reads it back as this string, else double-quoted."""
    import yaml
    try:
        plain = yaml.safe_load(text) == text and not any(c in text for c in ":#{}[],&*!|>'\"%@`")
    except yaml.YAMLError:
        plain = False
    return text if plain and text.strip() == text and text else json.dumps(text)


def _types(layer, lc, explicit: bool) -> dict[str, str] | None:
    """A layer's own types; None for the input and for a layer that takes its input's type (the
    config's rule: relu, max pool, dropout, flatten, a concat of equal types) unless the file types it."""
    inherits = layer.passes_type or (layer.kind == "concat" and len(set(lc.inputs)) == 1)
    if layer.kind == "input" or (inherits and not explicit):
        return None
    from hwsim.spec.config import layer_types
    return layer_types(lc)


def _flow(d: dict) -> str:
    """A flow mapping of numbers and types (quoted: a bare type's commas would split it)."""
    return "{" + ", ".join(f"{k}: {v if isinstance(v, int) or v == 'lossless' else repr(str(v))}"
                           for k, v in d.items()) + "}"


def document(imported, config, model: str, input_shape) -> tuple[str, dict]:
    """(YAML text, the document it holds) of an imported network's config."""
    from hwsim.spec.config import FOLDED_KINDS
    graph = imported.graph
    explicit = (imported.precision.get("layers") or {})
    lines = [f"# hwsim import: {model}: {_summary(imported)}",
             "# Edit the types and the folding (README, \"Precision config\"); layers not listed take their",
             "# input's type. Check it with: hwsim budget --config <this file>",
             f"model: {_scalar(model)}"]
    doc: dict = {"model": model}
    if input_shape is not None:
        shape = [int(v) for v in input_shape]
        lines += ["model_args:", f"  input_shape: [{', '.join(map(str, shape))}]"]
        doc["model_args"] = {"input_shape": shape}
    lines += ["precision:", f"  # input {'x'.join(map(str, graph.input_shape))}, "
                            f"{imported.origin.get('input', 'the graph input')}",
              f"  input: {str(config.input)!r}", "  layers:"]
    layers, par = {}, {}
    for layer in graph.layers:
        lc = config[layer.name]
        d = _types(layer, lc, layer.name in explicit)
        if d is None:
            continue
        shape = "x".join(map(str, graph.shape(layer.name)))
        params = graph.params(layer)
        origin = imported.origin.get(layer.name, "")
        lines.append(f"    # {layer.kind}, {shape}, {params:,} params" + (f", {origin}" if origin else ""))
        lines.append(f"    {_scalar(layer.name)}: {_flow(d)}")
        layers[layer.name] = d
        if layer.kind in FOLDED_KINDS:
            par[layer.name] = {"pe": 1, "simd": 1}
    if not layers:
        lines[-1] = "  layers: {}"
    doc["precision"] = {"input": str(config.input), "layers": layers}
    if par:
        lines += ["parallel:", "  layers:"] + [f"    {_scalar(n)}: {_flow(d)}" for n, d in par.items()]
        doc["parallel"] = {"layers": par}
    return "\n".join(lines) + "\n", doc


def _summary(imported) -> str:
    g = imported.graph
    q = imported.quantized
    return (f"{len(g.layers)} layers, {g.params():,} parameters, {g.macs():,} MACs, "
            f"{q} quantized tensor{'' if q == 1 else 's'} (QONNX)")


def run(args) -> int:
    import yaml
    from hwsim.commands import common
    from hwsim.ir.onnx_graph import import_onnx, is_onnx_path
    from hwsim.spec import config as cfg
    from hwsim.util.errors import MissingFile
    out = args.output
    if not is_onnx_path(args.model):
        raise InputError(f"{args.model}: not an .onnx file (hwsim import reads ONNX models)")
    if not os.path.isfile(args.model):
        raise MissingFile(f"model file not found: {args.model}")
    _check_output(out, args.force)
    imported = import_onnx(args.model, args.input_shape, allow_nonfinite=args.allow_nonfinite_weights)
    config = cfg.load({"precision": imported.precision}, imported.graph)
    model = common.relative_to(args.model, out)
    shape = imported.graph.input_shape if args.input_shape is not None or _free_dims(args.model) else None
    text, doc = document(imported, config, model, shape)
    back = yaml.safe_load(cfg.quote_types(text))
    from hwsim.spec.imported import with_file_precision
    reread = cfg.load(with_file_precision(back, imported.precision), imported.graph)
    if back != doc or reread.to_dict() != config.to_dict():
        raise ValueError("internal: the imported config does not reproduce the resolved config")
    write_atomic(out, text)
    print(f"import: {args.model} -> {out}: {_summary(imported)}", file=sys.stderr)
    return 0


def _free_dims(path: str) -> bool:
    """True when the file's input leaves a dimension free (the config must then give the shape)."""
    from hwsim.ir.onnx_weights import load_model
    model = load_model(path)
    inits = {t.name for t in model.graph.initializer}
    inp = next(i for i in model.graph.input if i.name not in inits)
    tt = inp.type.tensor_type
    return not tt.HasField("shape") or any(not (d.HasField("dim_value") and d.dim_value > 0)
                                            for d in tt.shape.dim)
