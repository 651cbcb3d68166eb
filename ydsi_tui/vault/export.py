"""Writing a file *out* of the vault: exports, reports, backups and transfer files.

Everything written here leaves the vault's protection (a chronology PDF is
plain text to anyone who can read the file), so it is written as carefully as
the vault's own files, and never silently over something:

* created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0600: an existing
  file (or a symlink planted where the export will go) is refused, never
  overwritten or followed, and nobody else on the server can read it;
* written in full and fsynced before it is reported as written;
* on any failure the partial file is removed and :class:`NotSaved` raised.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import NotSaved, VaultError
from .fs import FileSystem

__all__ = ["EXPORT_MODE", "new_private_file", "write_new_private"]

#: Exports are readable by their author alone, whatever the vault's own modes.
EXPORT_MODE = 0o600


def _open_new(fs: FileSystem, path: Path) -> int:
    try:
        return fs.open_new(path, EXPORT_MODE)
    except FileExistsError:
        raise VaultError(
            f"{path} already exists: nothing was written (choose another name, or remove it "
            "first if it is an old copy)"
        ) from None
    except FileNotFoundError:
        raise VaultError(f"{path.parent} does not exist: nothing was written") from None
    except IsADirectoryError:
        raise VaultError(f"{path} is a directory: give a file name") from None
    except OSError as exc:
        raise VaultError(f"{path}: cannot be created ({exc.strerror or exc})") from None


@contextmanager
def new_private_file(path: Path | str, *, fs: FileSystem | None = None) -> Iterator[BinaryIO]:
    """A new 0600 file to write into; durable on a clean exit, removed on any error."""
    fs = fs or FileSystem()
    path = Path(path)
    fd = _open_new(fs, path)
    stream = os.fdopen(fd, "wb")
    try:
        try:
            yield stream
            stream.flush()
            fs.fsync(stream.fileno(), str(path))
        finally:
            stream.close()
        fs.fsync_dir(path.parent)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(path)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise NotSaved(
                f"{path}: not written, the disk refused ({reason}); the partial file was removed"
            ) from exc
        raise


def write_new_private(path: Path | str, data: bytes, *, fs: FileSystem | None = None) -> Path:
    """Write ``data`` to a new file only its owner can read; returns the path."""
    with new_private_file(path, fs=fs) as stream:
        stream.write(data)
    return Path(path)
