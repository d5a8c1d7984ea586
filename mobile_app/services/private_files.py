"""Files only the app's user may read: mode 0600 (directories 0700) from the moment they exist.

A file made with ``open()`` and ``chmod``-ed afterwards is readable by everyone (umask 022) until
the chmod, and a ``write_text`` followed by a rename leaves the same gap. Here every file is created
with ``os.open(O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600)`` under a random temporary name
beside its target (``O_EXCL`` also refuses a planted file or symlink there), written, fsynced and
then renamed over the target: a reader sees the old file or the whole new one, never a torn one,
and never a moment of wider permissions.

- ``write_private``: replace a file (outbox, install id, SUS schedule, a spooled usage batch, a
  report the usage tool writes); ``replacing_privately`` the same for a file written bit by bit
  (the usage tool's CSV export).
- ``create_private``: create a file once and never overwrite it (a key): the temporary file is
  hard-linked into place, which fails when another process got there first.
- ``open_private_append``: append to a file created 0600 (the usage day files); a file an older
  version left readable to others is tightened first.
- ``private_directory``: the directories these files live in, each missing one made 0700.

The umask only ever removes permission bits, so it cannot widen any of these.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
_NEW = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
_APPEND = os.O_CREAT | os.O_APPEND | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def private_directory(path: Path) -> Path:
    """``path`` as a directory; each one of it and its parents that is missing is made 0700."""
    missing: list[Path] = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=DIRECTORY_MODE)
    return path


def temporary_files(path: Path) -> list[Path]:
    """What writes of ``path`` cut short by a crash may have left beside it."""
    return list(path.parent.glob(f"{path.name}.*.tmp"))


def _new_temporary(path: Path) -> tuple[int, Path]:
    while True:
        temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(temporary, _NEW, FILE_MODE), temporary
        except FileExistsError:  # 64 random bits taken already: draw again
            continue


def _write_temporary(path: Path, data: bytes) -> Path:
    handle, temporary = _new_temporary(path)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX; elsewhere nothing to do)."""
    if hasattr(os, "O_DIRECTORY"):
        handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: 0600 from creation, and a crash at any moment leaves the old
    file or the new one."""
    with replacing_privately(path) as file:
        file.write(data)


@contextlib.contextmanager
def replacing_privately(path: Path) -> Iterator[BinaryIO]:
    """A file to write ``path``'s new content to (a big export, written as it is made): 0600 from
    creation, and it replaces ``path`` only when the block ends without an error."""
    private_directory(path.parent)
    handle, temporary = _new_temporary(path)
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_directory(path.parent)


def create_private(path: Path, data: bytes) -> bool:
    """Create ``path`` holding ``data`` unless it exists; True when this call made it. Never
    overwrites, and the file is never seen half written or with wider permissions."""
    private_directory(path.parent)
    temporary = _write_temporary(path, data)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError:  # no hard links here (some file systems): create it in place, still exclusively
        try:
            handle = os.open(path, _NEW, FILE_MODE)
        except FileExistsError:
            return False
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    fsync_directory(path.parent)
    return True


def open_private_append(path: Path) -> BinaryIO:
    """``path`` opened for appending, created 0600 if new (an existing one wider than that is
    tightened to 0600)."""
    private_directory(path.parent)
    handle = os.open(path, _APPEND, FILE_MODE)
    try:
        if hasattr(os, "fchmod") and stat.S_IMODE(os.fstat(handle).st_mode) & 0o077:
            os.fchmod(handle, FILE_MODE)
        return os.fdopen(handle, "ab")
    except BaseException:
        os.close(handle)
        raise
