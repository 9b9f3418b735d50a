"""One config struct and one kernel call per unit of the hardware plan (hwsim.hw.plan.Unit).

The struct members are the unit's own fields, printed as they are, plus the unit's counter index and
the types its kernel needs; nothing here computes a size. Types come from the resolved Config.
"""
from __future__ import annotations

from hwsim.backends.hls.idents import comment
from hwsim.backends.hls.vm_types import Call, ConfigStruct, Member
from hwsim.backends.hls.vm_weights import bias_type, raw_ctype

KERNELS = {"swu": "hwsim::sliding_window", "mvau": "hwsim::mvau", "dwu": "hwsim::dwu", "cast": "hwsim::cast",
           "gap": "hwsim::global_avg_pool", "concat": "hwsim::concat", "add": "hwsim::add",
           "split": "hwsim::split", "convert": "hwsim::convert"}


ACTIVATION_NOTES = {0: "", 1: ", ReLU", 2: ", ReLU6"}


def _member(name, v) -> Member:
    if isinstance(v, bool):
        return Member(f"static const bool {name} = {'true' if v else 'false'};")
    return Member(f"static const unsigned {name} = {int(v)};")


def _t(name: str, cpp: str) -> Member:
    return Member(f"typedef {cpp} {name};")


def config_struct(unit, struct: str, counter: int, lc) -> ConfigStruct:
    members = [_member(k, v) for k, v in unit.fields]
    members.append(_member("counter", counter))
    if unit.kind in ("mvau", "dwu"):
        members += [_t("weight_t", str(lc.weight)), _t("bias_t", str(bias_type(lc))), _t("accum_t", str(lc.accum)),
                    _t("result_t", str(lc.result)), _t("weight_raw_t", raw_ctype(lc.weight)),
                    _t("bias_raw_t", raw_ctype(bias_type(lc)))]
    elif unit.kind == "add":
        members.append(_t("result_t", str(lc.result)))
    elif unit.kind in ("gap",) or (unit.kind == "pool" and unit.field("average")):
        members.append(_t("accum_t", str(lc.accum)))
    return ConfigStruct(struct, comment(unit.name), tuple(members))


def kernel(unit) -> str:
    if unit.kind == "pool":
        return "hwsim::avg_pool" if unit.field("average") else "hwsim::max_pool"
    return KERNELS[unit.kind]


def call(unit, struct: str, in_types, out_type, ins, outs, weights=None, note="") -> Call:
    if unit.kind == "split":
        targs, args = (in_types[0], struct), (*ins, *outs)
    else:
        targs, args = (*in_types, out_type, struct), (*ins, *outs, *(weights or ()))
    statement = f"{kernel(unit)}<{', '.join(targs)}>({', '.join(args)})"
    return Call(comment(unit.name), comment(note or describe(unit)), statement)


def describe(unit) -> str:
    f = dict(unit.fields)
    k = unit.kind
    if k == "swu":
        return (f"sliding window {f['filt_height']}x{f['filt_width']}/{f['stride_height']} pad {f['pad_height']}, "
                f"{f['n_chan']}x{f['in_height']}x{f['in_width']} -> {f['out_height']}x{f['out_width']} windows, "
                f"simd {f['simd']}" + (f", {f['taps']} taps per beat" if "taps" in f else ""))
    if k == "mvau":
        return (f"matrix-vector {f['n_in']} -> {f['n_out']} x {f['pixels']} pixels, pe {f['pe']} simd {f['simd']}"
                + ACTIVATION_NOTES[f["activation"]])
    if k == "dwu":
        return (f"depthwise {f['filt_height']}x{f['filt_width']}, {f['n_chan']} channels x {f['pixels']} pixels, "
                f"pe {f['pe']}" + (f" simd {f['simd']}" if "simd" in f else "") + ACTIVATION_NOTES[f["activation"]])
    if k == "convert":
        return f"width converter {f['in_pe']} -> {f['out_pe']} values per beat"
    return f"{k}, pe {f.get('pe', 1)}" + ACTIVATION_NOTES[f.get("activation", 0)]
