"""Output files: checked before any work is done, written atomically.

`check_file(path)` refuses, up front, an output whose folder is missing, is not writable (a
read-only file system, no permission) or that names a folder; commands call it before they start a
long evaluation. `write_atomic(path, data)` writes a temporary file beside the target and renames
it into place; when the write fails (a full disk) the temporary file is removed, the target is left
as it was, and the error names the target, not the temporary file. `write_all` does that for several
files at once: every file is written to its temporary first, and only then are they renamed, so a
failed run leaves none of them.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hwsim.util.errors import InputError, oserror_text


def _folder(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")


def probe_folder(folder: Path, what: str) -> None:
    """InputError unless a file can be created in `folder` (it is created and removed again)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".hwsim-probe-", dir=folder)
    except OSError as e:
        raise InputError(f"{what}: cannot write in {folder}: {oserror_text(e)}") from None
    os.close(fd)
    os.unlink(tmp)


def check_file(path, option: str = "output") -> Path:
    """The output path as a Path, after checking that it can be written (see the module doc)."""
    target = Path(os.fspath(path))
    what = f"{option} {path}"
    if str(path) == "" or target.name in ("", ".", ".."):
        raise InputError(f"{option}: {path!r} is not a file name")
    folder = _folder(target)
    if not folder.is_dir():
        raise InputError(f"{what}: folder {folder} does not exist")
    if target.is_dir():
        raise InputError(f"{what} is a folder; give a file name")
    probe_folder(folder, what)
    return target


def write_atomic(path, data: str | bytes) -> None:
    """Write through a temporary file in the same folder, then rename over `path`."""
    write_all({path: data})


def write_all(files) -> None:
    """{path: text or bytes}: all written to temporary files, then all renamed into place."""
    staged: list[tuple[str, Path]] = []
    current = None
    try:
        for path, data in files.items():
            current = path
            target = Path(os.fspath(path))
            folder = _folder(target)
            if not folder.is_dir():
                raise InputError(f"cannot write {path}: folder {folder} does not exist")
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as f:
                f.write(data.encode() if isinstance(data, str) else data)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
        for tmp, target in staged:
            current = target
            os.replace(tmp, target)
        staged = []
    except OSError as e:
        raise InputError(f"cannot write {current}: {oserror_text(e)}") from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
