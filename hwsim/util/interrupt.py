"""Ctrl-C, remembered. Python raises KeyboardInterrupt where the signal lands, and when that is
inside a C extension's import (numpy's, say) the extension reports it as an ImportError: the
command would then end in a traceback for an interrupt. `install()` keeps Python's behaviour and
also records the signal, so that `interrupted()` tells an interrupt from a genuine failure.
A forked child inherits the handler and has its own record."""
from __future__ import annotations

import signal

_SEEN = [False]


def _handler(signum, frame):
    _SEEN[0] = True
    raise KeyboardInterrupt


def install() -> None:
    """Record Ctrl-C from now on, forgetting any earlier one (a program that calls hwsim's main
    twice); main thread only, elsewhere a no-op."""
    _SEEN[0] = False
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _handler)
    except ValueError:               # not the main thread: signals are not ours to set
        pass


def interrupted() -> bool:
    """Whether Ctrl-C has reached this process since install()."""
    return _SEEN[0]
