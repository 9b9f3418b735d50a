"""Atomic writing of a project folder.

Files are written into a temporary folder beside the target, which is then renamed into place; a
target that exists and is not empty is refused unless `force` (then it is replaced as a whole, and
restored if the swap fails). On any error the temporary folder is removed and the target is left as
it was.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Mapping


def check_target(target: str | Path, force: bool = False) -> Path:
    """The target as a Path; FileExistsError when it holds files and `force` is off."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"output {target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise FileExistsError(f"output folder {target} is not empty (use --force to replace it)")
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


@contextmanager
def atomic_folder(target: str | Path, force: bool = False):
    """Yield a fresh temporary folder beside `target`; on success it replaces `target`."""
    target = check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o777 & ~mask)     # mkdtemp's 0700 would otherwise stick to the project
    try:
        yield tmp
        check_target(target, force)   # again: something may have appeared meanwhile
        _swap(tmp, target)
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


def write_project(target: str | Path, files: Mapping[str, str | bytes], force: bool = False) -> Path:
    """Write a whole project atomically; returns the target path."""
    with atomic_folder(target, force) as tmp:
        write_files(tmp, files)
    return Path(target)
