"""The config of an imported network: the file's QONNX types (hwsim.ir.qonnx, a `precision`
document) sit under the user's config document, key by key (the one place of that rule)."""
from __future__ import annotations

from typing import Mapping


def merge_precision(file_prec, user_prec):
    """The `precision` section of an ONNX model's config: the file's QONNX types (`file_prec`, a
    precision document) under the user's, key by key (`input`, and each layer's weight / bias /
    accum / result). A malformed user section is returned as it is, for the config loader to report."""
    if not file_prec:
        return user_prec
    user = {} if user_prec is None else user_prec
    if not isinstance(user, Mapping):
        return user_prec
    out = dict(user)
    if "input" in file_prec and "input" not in out:
        out["input"] = file_prec["input"]
    mine = out.get("layers") or {}
    if not isinstance(mine, Mapping):
        return out
    layers = {}
    for name, types in (file_prec.get("layers") or {}).items():
        entry = mine.get(name)
        layers[name] = ({**types, **entry} if isinstance(entry, Mapping) else dict(types) if entry is None
                        else entry)
    for name, entry in mine.items():
        layers.setdefault(name, entry)
    if layers:
        out["layers"] = layers
    return out


def with_file_precision(doc: Mapping, file_prec) -> dict:
    """`doc` (a config document) with the file's precision merged under its own `precision`."""
    out = dict(doc or {})
    merged = merge_precision(file_prec, out.get("precision"))
    if merged is not None:
        out["precision"] = merged
    return out
