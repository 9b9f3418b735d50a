"""The one exception type for bad input.

`InputError` marks a problem with what the user gave (a name, a number, a file, an output path):
the command line prints its first line and exits 2. It subclasses ValueError, so library callers
that catch ValueError keep working; any other exception is a bug in hwsim and is reported as one.
"""
from __future__ import annotations


class InputError(ValueError):
    """Bad input; the message names the option, file or key and what is wrong with it."""


def first_line(e: BaseException) -> str:
    """An exception's first line of text (its type name when it has none): what a one-line error quotes."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def oserror_text(e: OSError) -> str:
    """The reason of an OSError without the file name it carries (which may be a temporary file)."""
    return e.strerror or type(e).__name__


class MissingFile(InputError, FileNotFoundError):
    """A file or folder the user named does not exist (also a FileNotFoundError)."""
