"""How the entry points end when the world outside goes away: a reader that closed our output, a file that
cannot be used, an error wrapped in task groups. Each ends in one line on stderr (or none), never a traceback.

A reader that closes the pipe early (`m2bridge sessions export ID | head`) is not a failure worth a message:
like `rich` (which does the same in its consoles) and the recipe in Python's `signal` docs, we point stdout
at /dev/null, so the interpreter's flush at exit cannot raise again, and exit 1 without a word.
"""

from __future__ import annotations

import os
import sys
from typing import cast

__all__ = ["EXIT_OUTPUT_CLOSED", "describe_os_error", "flush_stdout", "output_closed", "sole_error"]

# What rich's consoles already exit with when their reader leaves: one code for every command.
EXIT_OUTPUT_CLOSED = 1


def flush_stdout() -> None:
    """Flush stdout now, where the caller catches BrokenPipeError, rather than at interpreter exit.
    A stdout already closed (the language server's `exit` closes it) has nothing left to flush."""
    stream = sys.stdout
    if stream is not None and not stream.closed:
        stream.flush()


def output_closed() -> int:
    """Send the rest of stdout to /dev/null (the reader has gone) and return the exit code to use."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (replaced, or closed): nothing will flush to the dead pipe
    return EXIT_OUTPUT_CLOSED


def describe_os_error(err: OSError) -> str:
    """One line for a failed file or socket operation: the reason, and the file when there is one."""
    reason = err.strerror or str(err) or type(err).__name__
    if err.filename is not None:
        return f"cannot use {err.filename}: {reason}"
    return reason


def sole_error(error: BaseException) -> BaseException:
    """The one error inside nested task-group wrappers (anyio wraps a task's failure once per group),
    or `error` itself when a group holds several."""
    while isinstance(error, BaseExceptionGroup):
        # isinstance cannot say what a group holds; any group holds BaseExceptions.
        group = cast("BaseExceptionGroup[BaseException]", error)
        if len(group.exceptions) != 1:
            return group
        error = group.exceptions[0]
    return error
