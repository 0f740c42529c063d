"""MCP over stdin and stdout when both are pipes (or sockets): read and written on the event loop.

The SDK's stdio transport reads each line and writes and flushes each answer in worker threads, and hands
them over through two memory streams: a dozen thread hops per tool call. Here the loop reads the pipe
itself (asyncio's pipe transports) and an answer is written when it is sent. What the SDK's transport
does is kept: newline-delimited JSON-RPC, a line decoded as UTF-8 with bad bytes replaced and read as
JSON-RPC (an unreadable one handed on as the exception, which `mcp_tools.server.stdio` answers), the end
of input ends the server, a closed output ends it with BrokenPipeError, and while serving fd 0 reads
/dev/null and fd 1 goes to stderr, so a child process can neither read the client's messages nor write
into the answers. A file or a terminal is not a pipe: `claim_pipes` says None and the SDK's transport
serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import stat
import sys
from collections import deque
from collections.abc import AsyncGenerator, Generator
from types import TracebackType
from typing import Any, Self

import anyio
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

__all__ = ["MessageSource", "Pipes", "claim_pipes", "serve_pipes"]

# Lines read ahead of the server before the pipe is no longer read (a client flooding us waits instead).
_READ_AHEAD = 64


class Pipes:
    """Private duplicates of the wire's two descriptors, with fd 0 and fd 1 diverted while serving."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd


def _is_pipe(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _backed_by(stream: Any, fd: int) -> bool:
    try:
        return stream.buffer.fileno() == fd
    except (AttributeError, OSError, ValueError):
        return False


@contextlib.contextmanager
def claim_pipes() -> Generator[Pipes | None]:
    """The wire as two private descriptors, or None (not both pipes, or not ours to take): the SDK's then."""
    if not (_backed_by(sys.stdin, 0) and _backed_by(sys.stdout, 1) and _is_pipe(0) and _is_pipe(1)):
        yield None
        return
    sys.stdout.flush()
    taken: list[int] = []
    try:
        read_fd = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
        taken.append(read_fd)
        write_fd = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
        taken.append(write_fd)
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            os.dup2(null, 0)
        finally:
            os.close(null)
        os.dup2(2, 1)
    except OSError:
        # Nothing diverted for good: put the wire back and let the SDK's transport serve it.
        for fd, private in zip((0, 1), taken, strict=False):
            with contextlib.suppress(OSError):
                os.dup2(private, fd)
        for private in taken:
            os.close(private)
        yield None
        return
    try:
        yield Pipes(read_fd, write_fd)
    finally:
        for fd, private in ((0, read_fd), (1, write_fd)):
            with contextlib.suppress(OSError):
                os.set_blocking(private, True)  # the pipe may be shared with the process that gave it us
                os.dup2(private, fd)
            os.close(private)


class _Reader(asyncio.Protocol):
    """The input pipe as complete lines, read ahead at most _READ_AHEAD lines."""

    def __init__(self) -> None:
        self._partial = bytearray()
        self._lines: deque[bytes] = deque()
        self._ended = False
        self._waiter: asyncio.Future[None] | None = None
        self._transport: asyncio.ReadTransport | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.ReadTransport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._partial += data
        if b"\n" not in data:
            return
        *complete, rest = self._partial.split(b"\n")
        self._partial = bytearray(rest)
        self._lines.extend(bytes(line) for line in complete)
        if len(self._lines) >= _READ_AHEAD and self._transport is not None and not self._paused:
            self._paused = True
            self._transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool | None:
        self._end()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            if self._partial:  # a last line without its newline is still a line, as for a file
                self._lines.append(bytes(self._partial))
                self._partial.clear()
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def line(self) -> bytes:
        """The next line; anyio.EndOfStream once input has ended and every line is taken."""
        while not self._lines:
            if self._ended:
                raise anyio.EndOfStream
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        line = self._lines.popleft()
        if self._paused and len(self._lines) < _READ_AHEAD // 2 and self._transport is not None:
            self._paused = False
            self._transport.resume_reading()
        return line


class _Writer(asyncio.Protocol):
    """The output pipe: write at once, wait only while the pipe is full, fail once the reader left."""

    def __init__(self) -> None:
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._drained: asyncio.Future[None] | None = None

    def pause_writing(self) -> None:
        if self._drained is None:
            self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)
        self.resume_writing()

    async def drained(self) -> None:
        if self._drained is not None:
            await self._drained


class MessageSource:
    """What the SDK's server takes as its read side (an async iterator and an async context manager),
    made of `receive`, which subclasses give, and `aclose`. The end of input ends the iteration."""

    async def receive(self) -> SessionMessage | Exception:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class _Incoming(MessageSource):
    """The read side the server takes: each line as a message, or as the exception reading it raised."""

    def __init__(self, reader: _Reader) -> None:
        self._reader = reader

    async def receive(self) -> SessionMessage | Exception:
        line = await self._reader.line()
        try:
            message = jsonrpc_message_adapter.validate_json(
                line.decode("utf-8", errors="replace"), by_name=False
            )
        except Exception as exc:
            return exc
        return SessionMessage(message)


class _Outgoing:
    """The write side: a message is serialized and written when sent (one write, never torn)."""

    def __init__(self, transport: asyncio.WriteTransport, writer: _Writer) -> None:
        self._transport = transport
        self._writer = writer

    async def send(self, item: SessionMessage, /) -> None:
        if self._writer.lost.done() or self._transport.is_closing():
            # What a memory stream whose reader is gone raises: the SDK's dispatcher drops the message
            # quietly, and run_stdio ends the server with BrokenPipeError, as the SDK's writer task did.
            raise anyio.BrokenResourceError
        text = item.message.model_dump_json(by_alias=True, exclude_unset=True)
        self._transport.write(text.encode("utf-8") + b"\n")
        await self._writer.drained()
        await anyio.lowlevel.checkpoint()

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> _Outgoing:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        return None


@contextlib.asynccontextmanager
async def serve_pipes(
    pipes: Pipes,
) -> AsyncGenerator[tuple[_Incoming, _Outgoing, asyncio.Future[None]]]:
    """(incoming, outgoing, lost): the server's two streams, and a future done when our output closed."""
    loop = asyncio.get_running_loop()
    reader = _Reader()
    writer = _Writer()
    read_file = os.fdopen(pipes.read_fd, "rb", buffering=0, closefd=False)
    write_file = os.fdopen(pipes.write_fd, "wb", buffering=0, closefd=False)
    read_transport, _ = await loop.connect_read_pipe(lambda: reader, read_file)
    try:
        write_transport, _ = await loop.connect_write_pipe(lambda: writer, write_file)
    except BaseException:
        read_transport.close()
        raise
    try:
        yield _Incoming(reader), _Outgoing(write_transport, writer), writer.lost
    finally:
        read_transport.close()
        write_transport.close()
        await anyio.lowlevel.checkpoint()  # let the transports let go of the descriptors
