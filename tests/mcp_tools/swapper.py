"""A hostile process inside a root: it keeps exchanging a folder with a symlink that leads outside.

Run as its own process (`python swapper.py FOLDER LINK SECONDS STOP_FILE`): it exchanges the two names
atomically with renameat2(RENAME_EXCHANGE) where the kernel has it, else with three renames, until
SECONDS pass or STOP_FILE appears, then prints how many swaps it made and leaves the folder in place.
`swapping()` starts it from a test and says how many swaps happened.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Swaps", "swapping"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_READY = "ready"


def _exchanger() -> object | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.renameat2
    except (OSError, AttributeError):
        return None


def _run(folder: str, link: str, seconds: float, stop_file: str) -> int:
    renameat2 = _exchanger()
    a, b = folder.encode(), link.encode()
    if renameat2 is not None and renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE) != 0:
        renameat2 = None  # not supported by this file system: fall back to plain renames
    swaps = 1 if renameat2 is not None else 0
    spare = folder + ".spare"
    print(_READY, flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in range(64):
            if renameat2 is not None:
                renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE)
            else:
                os.rename(folder, spare)
                os.rename(link, folder)
                os.rename(spare, link)
            swaps += 1
        if os.path.exists(stop_file):
            break
    if os.path.islink(folder):  # leave the real folder where it started
        if renameat2 is not None:
            renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE)
        else:
            os.rename(folder, spare)
            os.rename(link, folder)
            os.rename(spare, link)
        swaps += 1
    return swaps


@dataclass
class Swaps:
    count: int = 0


@contextmanager
def swapping(folder: Path, link: Path, seconds: float = 60.0) -> Iterator[Swaps]:
    """Swap `folder` and `link` in another process for as long as the block runs (at most `seconds`)."""
    stop = folder.parent / f".{folder.name}.stop-swapping"
    stop.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, __file__, str(folder), str(link), str(seconds), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    swaps = Swaps()
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == _READY
        yield swaps
    finally:
        stop.touch()
        out, _ = process.communicate(timeout=seconds + 30)
        stop.unlink(missing_ok=True)
        swaps.count = int(out.strip() or 0)


if __name__ == "__main__":
    print(_run(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]), flush=True)
