"""Argument parsing for every subcommand: one-line errors, no prefix matching, checked values.

`Parser` is argparse's parser with `allow_abbrev=False` (so `--weights` never means
`--weights-offchip`) and an `error` that prints one line, `hwsim <command>: error: <message>`,
and exits 2 instead of printing the usage block. The `type=` functions below validate values where
they enter: a negative seed or a zero timeout is an argument error, not a problem found later.
"""
from __future__ import annotations

import argparse
import re
import sys

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        m = re.match(r"argument (\S+?)(?:/\S+)?: expected one argument", message)
        if m:
            message += f" (a value that starts with '-' is written {m.group(1)}=VALUE)"
        message = " ".join(message.split())
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(EXIT_BAD_INPUT)


def _number(kind, text: str):
    try:
        v = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                         f"got {text!r}") from None
    if kind is float and (v != v or abs(v) == float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


def positive_int(text: str) -> int:
    v = _number(int, text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return v


def non_negative_int(text: str) -> int:
    v = _number(int, text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return v


def positive_float(text: str) -> float:
    v = _number(float, text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return v


def percent_points(text: str) -> float:
    v = _number(float, text)
    if not 0 <= v <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100 percentage points, got {text!r}")
    return v


def bits(text: str) -> int:
    """A bit width for codebooks and sparse indices: 1 to 16."""
    v = _number(int, text)
    if not 1 <= v <= 16:
        raise argparse.ArgumentTypeError(f"must be a number of bits from 1 to 16, got {text!r}")
    return v


def input_shape(text: str) -> tuple[int, int, int]:
    """'3x227x227' (or '3,227,227') -> (3, 227, 227)."""
    try:
        dims = tuple(int(v) for v in text.lower().replace(",", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected CxHxW, e.g. 3x227x227, got {text!r}") from None
    if len(dims) != 3 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected three positive sizes CxHxW, got {text!r}")
    return dims
