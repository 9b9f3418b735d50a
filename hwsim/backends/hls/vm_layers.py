"""Per-layer config structs and kernel calls (the parameters the hand-written kernels take).

Each function returns (config structs, call) for one node of the streamed design. Types come from the
resolved Config (hwsim.spec.config / hwsim.fixed.rules); nothing here computes a word length.
"""
from __future__ import annotations

from hwsim.backends.hls.idents import comment
from hwsim.backends.hls.vm_types import Call, ConfigStruct, Member
from hwsim.backends.hls.vm_weights import bias_type, raw_ctype


def _u(name: str, v: int) -> Member:
    return Member(f"static const unsigned {name} = {int(v)};")


def _b(name: str, v: bool) -> Member:
    return Member(f"static const bool {name} = {'true' if v else 'false'};")


def _t(name: str, cpp: str) -> Member:
    return Member(f"typedef {cpp} {name};")


def _struct(name: str, layer: str, members) -> ConfigStruct:
    return ConfigStruct(name, comment(layer), tuple(members))


def _call(layer: str, note: str, kernel: str, template_args, args) -> Call:
    return Call(comment(layer), comment(note), f"{kernel}<{', '.join(template_args)}>({', '.join(args)});")


def conv(layer, lc, relu, in_shape, out_shape, names) -> tuple[ConfigStruct, Call]:
    """conv1x1 (1x1, no padding) or conv2d; `relu` is the fused ReLU layer or None."""
    c, h, w = in_shape
    o, oh, ow = out_shape
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.padding
    members = (_u("in_height", h), _u("in_width", w), _u("n_chan", c),
               _u("filt_height", kh), _u("filt_width", kw), _u("n_filt", o),
               _u("stride_height", sh), _u("stride_width", sw), _u("pad_height", ph), _u("pad_width", pw),
               _u("out_height", oh), _u("out_width", ow), _b("relu", relu is not None),
               *_weight_types(lc))
    cfg = _struct(names.config, layer.name, members)
    kernel = "hwsim::conv1x1" if (kh, kw, ph, pw) == (1, 1, 0, 0) else "hwsim::conv2d"
    note = (f"conv {kh}x{kw}/{sh} pad {ph}, {c}x{h}x{w} -> {o}x{oh}x{ow}"
            + (f", ReLU {relu.name} fused" if relu is not None else ""))
    call = _call(_label(layer, relu), note, kernel, (names.data_ts[0], names.res_t, names.config),
                 (names.srcs[0], names.dst, names.w, names.b))
    return cfg, call


def dense(layer, lc, relu, in_shape, names) -> tuple[ConfigStruct, Call]:
    c, h, w = in_shape
    members = (_u("in_height", h), _u("in_width", w), _u("n_chan", c), _u("n_out", layer.out_features),
               _b("relu", relu is not None), *_weight_types(lc))
    cfg = _struct(names.config, layer.name, members)
    note = (f"dense {c * h * w} -> {layer.out_features}"
            + (f", ReLU {relu.name} fused" if relu is not None else ""))
    call = _call(_label(layer, relu), note, "hwsim::dense", (names.data_ts[0], names.res_t, names.config),
                 (names.srcs[0], names.dst, names.w, names.b))
    return cfg, call


def _weight_types(lc) -> tuple[Member, ...]:
    return (_t("weight_t", str(lc.weight)), _t("bias_t", str(bias_type(lc))), _t("accum_t", str(lc.accum)),
            _t("result_t", str(lc.result)), _t("weight_raw_t", raw_ctype(lc.weight)),
            _t("bias_raw_t", raw_ctype(bias_type(lc))))


def pool(layer, lc, in_shape, out_shape, names, kernel=None, stride=None, padding=None,
         ceil_mode=None, average=False, note=None) -> tuple[ConfigStruct, Call]:
    """max_pool2d / avg_pool2d; also a 1x1 max pool used as a pure type cast."""
    c, h, w = in_shape
    _, oh, ow = out_shape
    (kh, kw) = kernel or layer.kernel
    (sh, sw) = stride or layer.stride
    (ph, pw) = padding or layer.padding
    ceil = layer.ceil_mode if ceil_mode is None else ceil_mode
    members = [_u("in_height", h), _u("in_width", w), _u("n_chan", c), _u("pool_height", kh),
               _u("pool_width", kw), _u("stride_height", sh), _u("stride_width", sw),
               _u("pad_height", ph), _u("pad_width", pw), _b("ceil_mode", ceil),
               _u("out_height", oh), _u("out_width", ow)]
    if average:
        members.append(_t("accum_t", str(lc.accum)))
    cfg = _struct(names.config, layer.name, members)
    kind = "avg" if average else "max"
    note = note or (f"{kind} pool {kh}x{kw}/{sh} pad {ph}{' ceil' if ceil else ''}, "
                    f"{c}x{h}x{w} -> {c}x{oh}x{ow}")
    call = _call(layer.name, note, f"hwsim::{kind}_pool2d", (names.data_ts[0], names.res_t, names.config),
                 (names.srcs[0], names.dst))
    return cfg, call


def cast(layer, lc, in_shape, names) -> tuple[ConfigStruct, Call]:
    """An identity layer whose result type differs from its input's: a 1x1 max pool is exactly
    `(res_T)x` per value."""
    return pool(layer, lc, in_shape, in_shape, names, (1, 1), (1, 1), (0, 0), False,
                note=f"{layer.kind}: identity with a type cast to {lc.result} (1x1 max pool)")


def gap(layer, lc, in_shape, names) -> tuple[ConfigStruct, Call]:
    c, h, w = in_shape
    cfg = _struct(names.config, layer.name, (_u("in_height", h), _u("in_width", w), _u("n_chan", c),
                                             _t("accum_t", str(lc.accum))))
    call = _call(layer.name, f"global average pool, {c}x{h}x{w} -> {c}x1x1", "hwsim::global_avg_pool",
                 (names.data_ts[0], names.res_t, names.config), (names.srcs[0], names.dst))
    return cfg, call


def concat(layer, shapes, names) -> tuple[ConfigStruct, Call]:
    (c1, h, w), (c2, _, _) = shapes
    cfg = _struct(names.config, layer.name, (_u("height", h), _u("width", w), _u("n_chan1", c1),
                                             _u("n_chan2", c2)))
    call = _call(layer.name, f"concat channels {c1} + {c2} at {h}x{w}", "hwsim::concat",
                 (*names.data_ts, names.res_t, names.config), (*names.srcs, names.dst))
    return cfg, call


def add(layer, shape, names) -> tuple[ConfigStruct, Call]:
    c, h, w = shape
    cfg = _struct(names.config, layer.name, (_u("height", h), _u("width", w), _u("n_chan", c)))
    call = _call(layer.name, f"elementwise add, {c}x{h}x{w}", "hwsim::add",
                 (*names.data_ts, names.res_t, names.config), (*names.srcs, names.dst))
    return cfg, call


def split_config(name: str, layer: str, shape) -> ConfigStruct:
    c, h, w = shape
    return _struct(name, layer, (_u("height", h), _u("width", w), _u("n_chan", c)))


def split_call(layer: str, data_t: str, config: str, src: str, a: str, b: str, n: int) -> Call:
    return _call(layer, f"fan-out of {layer} to its consumers (copy {n})", "hwsim::split",
                 (data_t, config), (src, a, b))


def _label(layer, relu) -> str:
    return layer.name + (f" + {relu.name}" if relu is not None else "")
