"""`hwsim tune`: the cheapest per-layer precisions that keep accuracy and fit a budget or device."""
from __future__ import annotations

import os
import sys

from hwsim.util.errors import InputError
from hwsim.commands import args as types, common
from hwsim.commands.common import check_file, write_all
from hwsim.commands.compare import DEFAULT_MODEL, DEMO_WEIGHTS, add_data_args, make_executor, num_classes, parse_widths, resolve_net

EXIT_DROP, EXIT_NO_FIT = 1, 3
SUPERVISED = True     # runs in a child process: a native crash is one line (hwsim.util.supervise)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "tune", help="search per-layer precisions: least on-chip memory within an accuracy drop",
        description="Search per-layer weight and activation widths (integer bits from observed ranges, "
                    "fractional bits as few as the accuracy allows) that minimise on-chip memory while "
                    "the validation top-1 stays within --max-drop points of float and the memory fits "
                    "--budget or --device; reports the held-out test split and writes a config YAML. "
                    "Exit 1 when no config meets the drop, 3 when the result does not fit.")
    common.add_model_args(p, DEFAULT_MODEL, DEMO_WEIGHTS)
    add_data_args(p)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--budget", metavar="SIZE", help="on-chip memory budget, e.g. 10MiB, 512KiB, 80Mb")
    g.add_argument("--device", metavar="NAME", help="a device from the catalog, e.g. zcu102, zynq7020")
    p.add_argument("--max-drop", type=types.percent_points, required=True, metavar="PCT",
                   help="largest allowed top-1 drop from float on the validation split, in percentage points")
    p.add_argument("--widths", default="4..16", metavar="A..B", help="uniform start widths to try (default 4..16)")
    p.add_argument("--min-width", type=types.positive_int, default=2, metavar="N", help="fewest bits for any type (default 2)")
    p.add_argument("--objective", choices=("bits", "fps"), default="bits",
                   help="bits: fewest on-chip bits (default); fps (with --device): the fastest folded design "
                        "among the precisions within the drop, each folded onto the device as `hwsim fold` does "
                        "(on the config written, so `hwsim budget` gives the same fps; exit 3 when none folds)")
    p.add_argument("--plot", metavar="FILE.png", help="Pareto front plot (default: <output>_pareto.png)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.yaml", help="tuned config to write")
    p.set_defaults(command="tune")


def _splits(args, graph):
    from hwsim.study import data
    k = num_classes(graph)
    if (args.data or "digits") == "digits":
        return (data.load("digits", graph.input_shape, k, split="val", seed=args.seed),
                data.load("digits", graph.input_shape, k, split="test", seed=args.seed))
    if args.data.startswith("digits:"):
        raise InputError("--data digits:SPLIT: tune uses the validation split to search and the test "
                         "split to report; give --data digits")
    return data.holdout(data.load(args.data, graph.input_shape, k), args.seed)


def _pct(v) -> str:
    return f"{100 * v:6.2f}%"


def _outputs(args):
    """Checked before any work: (widths, YAML path, plot path, budget bits or None, device or None)."""
    from hwsim.report import plots
    from hwsim.spec import devices
    from hwsim.spec.units import parse_size
    from hwsim.study import tune
    tune.check_max_drop(args.max_drop, "--max-drop")
    if args.min_width < 2:
        raise InputError(f"--min-width must be at least 2 bits, got {args.min_width}")
    widths = parse_widths(args.widths, "--widths")
    out = args.output
    if not out.lower().endswith((".yaml", ".yml")):
        raise InputError(f"--output {out!r}: the tuned config is YAML; name it .yaml or .yml")
    check_file(out, "-o")
    plot = args.plot or os.path.splitext(out)[0] + "_pareto.png"
    plots.check_png(plot)
    budget_bits = parse_size(args.budget) if args.budget else None
    device = devices.get(args.device) if args.device else None
    if args.objective == "fps":
        if device is None:
            raise InputError("--objective fps folds every candidate onto a device: give --device NAME")
        if device.lut is None:
            raise InputError(f"--objective fps needs the device's LUT count; {device.name} has none in the catalog")
    return widths, out, plot, budget_bits, device


def _table(args, graph, val, test, found, tops, mb, ma, target, device, fps=None) -> list[str]:
    """The printed summary: float, before and after, on both splits, and whether each fits; with
    `fps` (before, after: fastest folded fps or None; --objective fps) an fps column."""
    from hwsim.spec.units import format_bits
    t_float, t_before, t_after, v_before = tops

    def fit(ok):
        return ("yes" if ok else "no") if fps is None else ("yes " if ok else "no  ")

    def rate(v):
        return "" if fps is None else f"{v:>14,.1f}" if v is not None else f"{'no folding':>14}"
    lines = [f"tuned {graph.name} for {target}, max drop {args.max_drop:g} points "
             f"(search on {val.name}: {len(val)} images; held-out {test.name}: {len(test)} images)",
             f"{'':18}{'on-chip bits':>14}{'':12}{'val top-1':>10}{'test top-1':>12}  fits"
             + ("" if fps is None else f"{'folded fps':>14}"),
             f"{'float':18}{'-':>14}{'':12}{_pct(found.float_top1):>10}{_pct(t_float):>12}",
             f"{'before (input)':18}{mb.totals.onchip_bits:>14,} {format_bits(mb.totals.onchip_bits):>11}"
             f"{_pct(v_before):>10}{_pct(t_before):>12}  {fit(mb.fits)}"
             + rate(fps and fps[0]),
             f"{'after (tuned)':18}{ma.totals.onchip_bits:>14,} {format_bits(ma.totals.onchip_bits):>11}"
             f"{_pct(found.best.top1):>10}{_pct(t_after):>12}  {fit(ma.fits)}"
             + rate(fps and fps[1]),
             f"test drop {100 * (t_float - t_after):.2f} points (limit {args.max_drop:g}); "
             f"start: uniform {found.start_width} bits; {found.evaluations} configs evaluated"]
    if device is not None:
        lines.append("device: " + ", ".join(f"{c.resource} {c.used}/{c.available}" for c in ma.checks))
    return lines


def _verdict(args, found, ma, target, unfolded: bool = False) -> int:
    """Exit code: the drop first, then the fit (the verdict `hwsim budget --config tuned.yaml` gives);
    `unfolded`: --objective fps found no accepted precision that folds onto the device."""
    if not found.meets_drop:
        print(f"tune: no config meets the drop of {args.max_drop:g} points on the validation split",
              file=sys.stderr)
        return EXIT_DROP
    if unfolded:
        print(f"tune: no precision within the drop folds onto the {target} within 90% of its resources "
              f"(`hwsim fold` on the YAML lists what is over)", file=sys.stderr)
        return EXIT_NO_FIT
    if not ma.fits:
        over = ", ".join(f"{c.resource} {c.used} > {c.available}" for c in ma.checks if not c.ok)
        why = over or f"{ma.totals.onchip_bits} > {ma.budget_bits} bits"
        print(f"tune: the tuned network does not fit the {target}: {why}"
              + (" (DSPs follow the folding, parallel pe x simd, not the widths)" if "DSP" in over else ""),
              file=sys.stderr)
        return EXIT_NO_FIT
    return 0


def _before_fps(graph, before, device) -> float | None:
    """The input precision's fps at its fastest folding on the device (None when none fits)."""
    from hwsim.hw import fold
    r = fold.fold(graph, before, device, fold.limits(device, utilization=90.0))
    return float(before.hardware.get("clock_mhz", 200.0)) * 1e6 / r.cycles if r.fits else None


def _fps_line(before_fps, chosen, device, clock) -> str:
    """The fps of the input precision and of the chosen one, each at its fastest folding."""
    b = f"{before_fps:,.1f} fps" if before_fps is not None else "no folding fits"
    a = f"{chosen.fps:,.1f} fps" if chosen is not None else "no accepted precision folds onto the device"
    return f"fastest folding on {device.name} at {clock:g} MHz: before {b}, after {a}"


def run(args) -> int:
    import dataclasses
    import yaml
    from hwsim.report import plots
    from hwsim.spec import config as cfg
    from hwsim.spec.units import format_bits
    from hwsim.study import evaluate, tune
    widths, out, plot, budget_bits, device = _outputs(args)
    graph, before, spec, model_args, weights = resolve_net(args)
    if weights is not None:    # stored relative to the YAML, so the pair can move together
        weights = os.path.relpath(weights, os.path.dirname(os.path.abspath(out)))
    name = common.model_entry(spec, out)        # an ONNX file: relative to the YAML too
    val, test = _splits(args, graph)
    log = (lambda m: None) if args.quiet else (lambda m: print(f"tune: {m}", file=sys.stderr))
    with make_executor(args) as ex:
        found = tune.search(graph, val.x, val.y, args.max_drop, widths, args.min_width, ex, args.chunk, log=log)
        base = cfg.read(args.config) if args.config else {}
        folded = chosen = None
        if args.objective == "fps":
            log(f"folding {found.evaluations} evaluated precisions onto {device.name}")
            folded = tune.fold_points(found, device, base=base)
            chosen = tune.fastest(found, folded)
            if chosen is not None:
                found = dataclasses.replace(found, best=chosen.point)
        doc = tune.document(found.precision, name, model_args, weights, base, device.name if device else None)
        if chosen is not None:
            doc["parallel"] = chosen.result.doc["parallel"]
        after = cfg.load(doc, graph)
        if spec.onnx is not None:   # every type spelled out: the file's QONNX types must not reapply
            doc["precision"] = cfg.to_document(after)["precision"]
        ev = evaluate.Evaluator(graph, test.x, ex, args.chunk)
        ref, fixed_before, fixed_after = (r[0] for r in ev.run([None, before, after], label="test split"))
    vb = evaluate.Evaluator(graph, val.x).run([before])[0][0]
    mb, ma = (evaluate.onchip(graph, c, device, budget_bits) for c in (before, after))
    tops = tuple(evaluate.topk(v, test.y, 1) for v in (ref, fixed_before, fixed_after)) + (evaluate.topk(vb, val.y, 1),)
    t_float, t_after = tops[0], tops[2]
    target = f"device {device.name}" if device else f"budget {format_bits(budget_bits)}"
    fps = None
    if args.objective == "fps":
        fps = (_before_fps(graph, before, device), chosen.fps if chosen is not None else None)
    lines = _table(args, graph, val, test, found, tops, mb, ma, target, device, fps)
    comments = [f"hwsim tune: {target}, max drop {args.max_drop:g} points on {val.name}",
                f"on-chip {ma.totals.onchip_bits} bits (before {mb.totals.onchip_bits}); val top-1 "
                f"{100 * found.best.top1:.2f}% (float {100 * found.float_top1:.2f}%); test top-1 "
                f"{100 * t_after:.2f}% (float {100 * t_float:.2f}%)"]
    text = tune.to_yaml(doc, comments)
    cfg.load(yaml.safe_load(cfg.quote_types(text)), graph)   # the file must load as a config
    if args.objective == "fps":
        png = plots.fps_pareto_png(folded, tune.fps_front(folded), chosen, found.float_top1, args.max_drop,
                                   f"{graph.name} on {device.name}: folded fps vs validation top-1")
        lines.append(_fps_line(fps[0], chosen, device, float(after.hardware.get("clock_mhz", 200.0))))
    else:
        png = plots.pareto_png(found.points, found.pareto(), found.best, found.float_top1, args.max_drop,
                               budget_bits if budget_bits else (device.block_total_bits if device else None),
                               f"{graph.name}: memory vs validation top-1")
    write_all({out: text, plot: png})       # both or neither
    print("\n".join(lines))
    print(f"wrote {out} and {plot}", file=sys.stderr)
    return _verdict(args, found, ma, target, args.objective == "fps" and chosen is None)
