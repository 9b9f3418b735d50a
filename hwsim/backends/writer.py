"""Atomic writing of a project folder.

Files are written into a temporary folder beside the target, which is then renamed into place; a
target that exists and is not empty is refused unless `force` (then it is replaced as a whole, and
restored if the swap fails). On any error the temporary folder is removed and the target is left as
it was. The target's parent folder must exist (`make_parents` creates it).

A target that cannot be renamed, the current folder (`-o .`) or a mount point, keeps its own
inode: the temporary folder is made inside it and the entries are swapped in, old ones out.
Write errors (a full disk, a read-only file system, no permission) raise InputError naming the
target, never the temporary folder.
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Mapping

from hwsim.util.errors import InputError, oserror_text

# errors of the file system rather than of hwsim: reported as one line naming the target
WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG,
                errno.EIO, errno.EBUSY, errno.EXDEV, errno.ENAMETOOLONG}


def check_target(target: str | Path, force: bool = False, ignore: tuple[str, ...] = ()) -> Path:
    """The target as an absolute Path; InputError when it holds files and `force` is off, or
    when it exists and is not a folder."""
    target = Path(os.path.abspath(os.fspath(target)))
    if target.exists() and not target.is_dir():
        raise InputError(f"output {target} exists and is not a folder")
    if target.is_dir() and not force and any(p.name not in ignore for p in target.iterdir()):
        raise InputError(f"output folder {target} is not empty (use --force to replace it)")
    return target


def write_files(folder: str | Path, files: Mapping[str, str | bytes]) -> None:
    """Write {relative path: text or bytes} under `folder` (text as UTF-8, newlines untouched)."""
    root = Path(folder).resolve()
    for rel, content in files.items():
        path = (root / rel).resolve()
        if root not in path.parents:
            raise ValueError(f"file path {rel!r} leaves the project folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        path.write_bytes(data)


def _in_place(target: Path) -> bool:
    """True when `target` must keep its inode: it is the current folder or a mount point."""
    if not target.is_dir():
        return False
    try:
        return os.path.ismount(target) or os.path.samefile(target, os.getcwd())
    except OSError:
        return False


@contextmanager
def atomic_folder(target: str | Path, force: bool = False, make_parents: bool = False):
    """Yield a fresh temporary folder; on success it replaces `target` (see the module doc)."""
    target = check_target(target, force)
    if not target.parent.is_dir():
        if not make_parents:
            raise InputError(f"output {target}: folder {target.parent} does not exist")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"cannot create {target.parent}: {oserror_text(e)}") from None
    in_place = _in_place(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target if in_place else target.parent))
    except OSError as e:
        raise InputError(f"cannot write {target}: {oserror_text(e)}") from None
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o777 & ~mask)     # mkdtemp's 0700 would otherwise stick to the project
    try:
        yield tmp
        check_target(target, force, ignore=(tmp.name,))   # again: something may have appeared meanwhile
        (_swap_entries if in_place else _swap)(tmp, target)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if e.errno in WRITE_ERRNOS:
            raise InputError(f"cannot write {target}: {oserror_text(e)}") from None
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap(tmp: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(old)
        os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _swap_entries(tmp: Path, target: Path) -> None:
    """Replace the entries of `target` (which holds `tmp`) by those of `tmp`, keeping the folder."""
    trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target))
    old = [p for p in target.iterdir() if p.name not in (tmp.name, trash.name)]
    moved_old, moved_new = [], []
    try:
        for p in old:
            os.rename(p, trash / p.name)
            moved_old.append(p.name)
        for p in sorted(tmp.iterdir()):
            os.rename(p, target / p.name)
            moved_new.append(p.name)
    except BaseException:
        for name in moved_new:
            os.rename(target / name, tmp / name)
        for name in moved_old:
            os.rename(trash / name, target / name)
        os.rmdir(trash)
        raise
    os.rmdir(tmp)
    shutil.rmtree(trash, ignore_errors=True)


def write_project(target: str | Path, files: Mapping[str, str | bytes], force: bool = False,
                  make_parents: bool = False) -> Path:
    """Write a whole project atomically; returns the target path."""
    with atomic_folder(target, force, make_parents) as tmp:
        write_files(tmp, files)
    return Path(target)
