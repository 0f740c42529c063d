"""The language server's message loop on stdio: frames from `FrameReader`, handed to pygls's protocol.

It stands in for `pygls.io_.run_async`, which goes deaf after one malformed header (see `lsp.framing`).
A body that is not JSON gets the JSON-RPC parse error (-32700), and JSON that is not a request object gets
Invalid Request (-32600), both with a null id as JSON-RPC 2.0 asks, since no id could be read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCProtocol

from lsp.framing import FrameReader

__all__ = ["INVALID_REQUEST", "PARSE_ERROR", "serve_frames"]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600

ErrorHandler = Callable[[Exception, type[JsonRpcException]], Any]


async def serve_frames(
    *,
    stop_event: threading.Event,
    reader: FrameReader,
    protocol: JsonRPCProtocol,
    executor: Executor | None,
    logger: logging.Logger,
    error_handler: ErrorHandler,
) -> None:
    """Read and dispatch messages until the input ends or the server stops."""
    loop = asyncio.get_running_loop()
    while not stop_event.is_set():
        # Reading blocks, so it runs in a worker thread; one frame per hop keeps nothing read ahead.
        body = await loop.run_in_executor(executor, reader.read_frame)
        if body is None:
            break
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except (ValueError, RecursionError) as err:
            # ValueError covers bad JSON and bytes that are not UTF-8; RecursionError, absurd nesting.
            reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
            logger.warning("a message body that is not JSON (%s)", reason)
            _answer_error(protocol, PARSE_ERROR, f"Parse error: the message body is not JSON ({reason})")
            continue
        except Exception as err:
            # pygls's own handling: a request it could not read was answered by id in M2Protocol.
            logger.warning("a message that could not be read: %s", err)
            error_handler(err, JsonRpcException)
            continue
        if not hasattr(message, "jsonrpc"):
            # A scalar, an array (LSP has no batches) or an object without "jsonrpc" (left a plain dict).
            logger.warning("a message that is not a JSON-RPC object: %s", type(message).__name__)
            _answer_error(
                protocol, INVALID_REQUEST, "Invalid Request: a message must be a JSON-RPC 2.0 object"
            )
            continue
        try:
            protocol.handle_message(message)
        except Exception as err:
            logger.exception("unable to handle a message")
            error_handler(err, JsonRpcException)


def _answer_error(protocol: JsonRPCProtocol, code: int, message: str) -> None:
    # pygls has no public call that answers without a request id (its responses need one): the private
    # sender frames and writes the raw JSON-RPC error.
    error = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
    protocol._send_data(error)  # pyright: ignore[reportPrivateUsage]
