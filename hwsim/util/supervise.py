"""Long commands run in a forked child, so that a crash in native code (a numba kernel, BLAS, a
loaded shared library) ends in one line that names the stage it happened in, not a bare allocator
message and a dead terminal.

`call(fn)` forks; the child runs `fn()` and sends back its result or the exception it raised
(pickled, length-prefixed, through a pipe), which `call` returns or raises in the parent. The child's output goes to
the parent's streams: directly when they are real files, through a relay when they are not (a
captured stream in a test, an embedding program). If the child dies of a signal, `call` raises
NativeCrash with the signal and the last stage the child entered (`stage(name)`, kept in a page of
shared memory that survives the child). Ctrl-C reaches the child, which stops as usual.

Forking costs a few milliseconds (tools/bench_supervise.py); the child's memory is copy-on-write.
"""
from __future__ import annotations

import io
import mmap
import os
import pickle
import signal
import sys
import threading
import traceback
from contextlib import contextmanager

from hwsim.util import interrupt

EXIT_CRASH = 70          # sysexits' EX_SOFTWARE: hwsim itself failed
_STAGE_BYTES = 4096
_SHARED: list = []       # [mmap] in a supervised child


class NativeCrash(RuntimeError):
    """A supervised child died of a signal; the message names the signal and the stage."""


def current_stage() -> str:
    if not _SHARED:
        return _LOCAL_STAGE[0]
    raw = bytes(_SHARED[0][:_STAGE_BYTES]).split(b"\0", 1)[0]
    return raw.decode("utf-8", "replace")


_LOCAL_STAGE = [""]


def set_stage(name: str) -> None:
    """Record the stage this process is in (what a crash report names)."""
    _LOCAL_STAGE[0] = name
    if _SHARED:
        data = name.encode("utf-8", "replace")[:_STAGE_BYTES - 1] + b"\0"
        _SHARED[0][:len(data)] = data


@contextmanager
def stage(name: str):
    """The block runs as stage `name`; the previous stage is restored after it."""
    before = _LOCAL_STAGE[0]
    set_stage(name)
    try:
        yield
    finally:
        set_stage(before)


def _real_fd(stream) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


class _Relay(io.TextIOBase):
    """A text stream in the child whose writes go down a pipe to the parent."""

    def __init__(self, fd: int, tty: bool):
        self._fd, self._tty = fd, tty

    def write(self, s: str) -> int:
        data = s.encode("utf-8", "replace")
        while data:
            data = data[os.write(self._fd, data):]
        return len(s)

    def isatty(self) -> bool:
        return self._tty

    def writable(self) -> bool:
        return True


def _pump(fd: int, stream) -> None:
    with os.fdopen(fd, "rb", buffering=0) as f:
        while chunk := f.read(65536):
            stream.write(chunk.decode("utf-8", "replace"))
            stream.flush()


def _read_result(fd: int, box: list) -> None:
    """One length-prefixed message from the child (nothing if it died before sending it)."""
    with os.fdopen(fd, "rb") as f:
        head = f.read(8)
        if len(head) == 8:
            n = int.from_bytes(head, "little")
            data = f.read(n)
            if len(data) == n:
                box.append(data)


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def call(fn, what: str = "hwsim"):
    """fn() in a forked child: its result, or the exception it raised; NativeCrash if it died of a
    signal. `what` names the work in the crash message."""
    shared = mmap.mmap(-1, _STAGE_BYTES)
    shared[:1] = b"\0"
    streams = (sys.stdout, sys.stderr)
    relays = [None if _real_fd(s) is not None else os.pipe() for s in streams]
    for s in streams:
        s.flush()
    result_r, result_w = os.pipe()
    pid = os.fork()
    if pid == 0:                                     # the child
        _child(fn, shared, streams, relays, result_r, result_w)
    os.close(result_w)
    pumps = []
    for pipe, s in zip(relays, streams):
        if pipe is not None:
            os.close(pipe[1])
            t = threading.Thread(target=_pump, args=(pipe[0], s), daemon=True)
            t.start()
            pumps.append(t)
    box: list = []
    reader = threading.Thread(target=_read_result, args=(result_r, box), daemon=True)
    reader.start()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)   # the child handles Ctrl-C
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        signal.signal(signal.SIGINT, previous)
    # worker processes the child started may still hold the pipes: do not wait for them to close
    reader.join(None if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1.0)
    for t in pumps:
        t.join(1.0)
    payload = box[0] if box else b""
    last = bytes(shared[:_STAGE_BYTES]).split(b"\0", 1)[0].decode("utf-8", "replace")
    shared.close()
    if os.WIFSIGNALED(status):
        where = f" while {last}" if last else ""
        raise NativeCrash(f"{what} crashed in native code ({_signal_name(os.WTERMSIG(status))}){where}; "
                          f"no output was written")
    if not payload:
        raise NativeCrash(f"{what} ended without a result (exit status {os.waitstatus_to_exitcode(status)})")
    ok, value = pickle.loads(payload)
    if ok:
        return value
    raise value


def _child(fn, shared, streams, relays, result_r, result_w) -> None:
    code = 0
    try:
        os.close(result_r)
        _SHARED[:] = [shared]
        set_stage(_LOCAL_STAGE[0])
        if relays[0] is not None:
            os.close(relays[0][0])
            sys.stdout = _Relay(relays[0][1], streams[0].isatty())
        if relays[1] is not None:
            os.close(relays[1][0])
            sys.stderr = _Relay(relays[1][1], streams[1].isatty())
        try:
            payload = pickle.dumps((True, fn()))
        except BaseException as e:                   # noqa: BLE001 - every exception goes back
            if interrupt.interrupted() and not isinstance(e, SystemExit):
                e = KeyboardInterrupt()              # Ctrl-C, whatever an extension made of it
            if not isinstance(e, (KeyboardInterrupt, SystemExit)):
                # the traceback does not pickle: its text travels as a note, printed with the error
                e.add_note("Traceback in the supervised child process:\n"
                           + "".join(traceback.format_tb(e.__traceback__)).rstrip())
            try:
                payload = pickle.dumps((False, e))
            except Exception:                         # noqa: BLE001 - an exception that does not pickle
                text = "".join(traceback.format_exception_only(type(e), e)).strip()
                payload = pickle.dumps((False, RuntimeError(text)))
        sys.stdout.flush()
        sys.stderr.flush()
        with os.fdopen(result_w, "wb") as f:
            f.write(len(payload).to_bytes(8, "little") + payload)
    except BaseException:                             # noqa: BLE001 - never return into the parent's code
        code = EXIT_CRASH
    finally:
        os._exit(code)
