"""`hwsim` command line entry point (the console script and `python -m hwsim.cli`). Parsing,
dispatch, printing and exit codes live in hwsim.commands; nothing in the library imports either."""
import sys

from hwsim.commands.dispatch import (COMMANDS, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED,
                                     build_parser, main)

__all__ = ["COMMANDS", "EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
