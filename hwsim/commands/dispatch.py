"""The `hwsim` command line (entered through hwsim.cli): one module per subcommand in this package.

Exit codes: 0 success, 1 a check failed (e.g. C-simulation mismatches), 2 bad input (one line on
stderr naming the problem), 3 the network does not fit the budget or device (budget/tune), 70 an
internal error (a bug in hwsim: the traceback is printed; or a crash in native code, reported in
one line that names the stage: compare, tune and csim run in a supervised child process, see
hwsim.util.supervise), 130 interrupted.

Bad input is `hwsim.util.errors.InputError`, raised where the input enters (argument types, file
readers, config and model checks); nothing else is reported as bad input.
"""
from __future__ import annotations

import sys

# subcommand -> module in hwsim.commands; each module has add_parser(subparsers) and run(args) -> int
COMMANDS = ("budget", "fold", "generate", "csim", "report", "compare", "tune", "models", "demo", "import")
MODULES = {"import": "import_"}          # a subcommand whose module name differs (a Python keyword)
EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 2, 70, 130


def build_parser():
    import importlib
    from hwsim.commands.args import Parser
    p = Parser(
        prog="hwsim",
        description="On-chip memory budgets, bit-exact HLS generation and fixed-point accuracy "
                    "for SqueezeNet-class CNNs on FPGAs.",
        epilog="Exit codes: 0 ok, 1 check failed (mismatches), 2 bad input, 3 does not fit, "
               "70 internal error or native crash.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(_module(name)).add_parser(sub)
    return p


def _module(command: str) -> str:
    return f"hwsim.commands.{MODULES.get(command, command)}"


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _run(argv) -> int:
    import importlib
    from hwsim.util.errors import InputError
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    mod = importlib.import_module(_module(args.command))
    try:
        if getattr(mod, "SUPERVISED", False):    # long work: a native crash must not take us down
            from hwsim.util import supervise              # (imported here: `hwsim budget` starts without it)
            try:
                return int(supervise.call(lambda: mod.run(args), f"hwsim {args.command}") or 0)
            except supervise.NativeCrash as e:
                print(f"hwsim {args.command}: error: {e}", file=sys.stderr)
                return supervise.EXIT_CRASH
        return int(mod.run(args) or 0)
    except InputError as e:
        print(f"hwsim {args.command}: error: {_first_line(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def main(argv=None) -> int:
    from hwsim.util import interrupt
    interrupt.install()
    try:
        return _run(argv)
    except KeyboardInterrupt:
        print("hwsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:          # `hwsim budget | head`: the reader left; nothing to report
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except SystemExit:
        raise
    except Exception:
        if interrupt.interrupted():   # Ctrl-C inside an extension's import comes back as its error
            print("hwsim: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        import traceback
        traceback.print_exc()
        print("hwsim: internal error (a bug in hwsim, not a problem with your input); "
              "please report it with the traceback above", file=sys.stderr)
        return EXIT_INTERNAL
