"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder.

A reader sees either the old file or the new one, never a torn one, even after SIGKILL or a
power cut. Temp files carry the `TEMP_SUFFIX` so a later start can clean up orphans.

Temp files are named `.NAME.PID.influgraph-tmp` (`temp_path`): beside the file they replace,
with the writer's process id. Every project write goes through `atomic_write`, so this is the only
temp file name the project uses. The first write of a process into a folder removes the stale
temp files of influgraph there (`remove_stale_temps`): those whose writer is gone (the PID in the
name is not a live process) and that are older than the current process. Files of other programs,
and temp files of live influgraph processes, are never touched.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["TEMP_SUFFIX", "atomic_write", "atomic_write_bytes", "fsync_dir", "remove_orphan_temps",
           "remove_stale_temps", "temp_path"]

TEMP_SUFFIX = ".influgraph-tmp"
TEMP_NAME = re.compile(r"\A\..+\.([0-9]{1,10})" + re.escape(TEMP_SUFFIX) + r"\Z", re.DOTALL)
STARTED = time.time()  # when this process loaded the module: temp files older than this are not its own
_cleaned: set[Path] = set()


def temp_path(path: Path, pid: int | None = None) -> Path:
    """The temp file that `atomic_write` writes beside `path`: `.NAME.PID.influgraph-tmp`."""
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}{TEMP_SUFFIX}")


def _alive(pid: int) -> bool:
    """Whether `pid` names a live process (ours included; one we may not signal counts as live)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or no process id can be that large
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temps(folder: Path) -> int:
    """Delete the influgraph temp files directly in `folder` whose writer is gone; returns how many.

    A temp file is stale when its name is `.NAME.PID.influgraph-tmp`, the PID is not a live
    process, and it is older than the current process. Nothing else is touched.
    Example: ``remove_stale_temps(Path("exports"))`` after a killed ``rank --out exports/r.csv``.
    """
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        found = TEMP_NAME.match(entry.name)
        if not found or _alive(int(found.group(1))):
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_mtime >= STARTED:
                continue
            os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
    return removed


def _clean_once(folder: Path) -> None:
    """`remove_stale_temps(folder)` the first time this process writes into `folder`."""
    key = folder.resolve()
    if key not in _cleaned:
        _cleaned.add(key)
        remove_stale_temps(key)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (the rename itself) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call `write(file)` on a temp file beside `path` (`temp_path`), then atomically replace `path` with it.

    The first write of the process into a folder removes stale temp files there (`remove_stale_temps`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _clean_once(path.parent)
    temp = temp_path(path)
    try:
        with open(temp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`."""
    atomic_write(path, lambda handle: handle.write(data))


def remove_orphan_temps(folder: Path) -> int:
    """Delete temp files left by killed writers under `folder`; returns how many were removed."""
    removed = 0
    if not Path(folder).is_dir():
        return 0
    for temp in Path(folder).rglob(f"*{TEMP_SUFFIX}"):
        temp.unlink(missing_ok=True)
        removed += 1
    return removed
