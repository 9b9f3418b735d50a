"""`hwsim` command line: one entry point, one module per subcommand under hwsim/commands/.

Exit codes: 0 success, 1 a check failed (e.g. C-simulation mismatches), 2 bad input, 3 the network
does not fit the budget or device (budget/tune).
"""
from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> module in hwsim.commands; each module has add_parser(subparsers) and run(args) -> int
COMMANDS = ("budget", "generate", "csim", "compare", "tune", "demo")
EXIT_BAD_INPUT = 2


class UserError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""


def _load(name: str):
    try:
        return importlib.import_module(f"hwsim.commands.{name}")
    except ModuleNotFoundError as e:
        if e.name == f"hwsim.commands.{name}":
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hwsim",
        description="On-chip memory budgets, bit-exact HLS generation and fixed-point accuracy "
                    "for SqueezeNet-class CNNs on FPGAs.",
        epilog="Exit codes: 0 ok, 1 check failed (mismatches), 2 bad input, 3 does not fit.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        mod = _load(name)
        if mod is not None:
            mod.add_parser(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    mod = _load(args.command)
    try:
        return int(mod.run(args) or 0)
    except KeyboardInterrupt:
        print("hwsim: interrupted", file=sys.stderr)
        return 130
    except (UserError, ValueError, TypeError, KeyError, FileNotFoundError, FileExistsError,
            NotADirectoryError, IsADirectoryError, PermissionError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if isinstance(e, KeyError):
            msg = msg.strip("'\"")
        print(f"hwsim {args.command}: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
