"""Atomic file output: a crash never leaves half a file under the final name.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_text_atomic(folder / "a.txt", "hello\\n")
>>> (folder / "a.txt").read_text()
'hello\\n'
>>> with atomic_path(folder / "b.bin") as temporary:
...     _ = temporary.write_bytes(b"\\x00")
>>> sorted(p.name for p in folder.iterdir())
['a.txt', 'b.bin']
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "remove_leftovers", "write_text_atomic"]


_SUFFIX = ".part"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds.

    The temporary file lives in the same folder (so the rename is atomic on POSIX) and
    is removed if the block raises. Whatever writes to it may open it by name.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_SUFFIX)
    os.close(handle)
    os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; outputs follow the umask
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def remove_leftovers(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files a killed writer left in `folder`; return them.

    Only for a folder no one else is writing to (a batch calls it under its lock).
    """
    leftovers = sorted(Path(folder).glob(f".*{_SUFFIX}"))
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8, newlines as given) to `path` atomically."""
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8", newline="") as f:
        f.write(text)
