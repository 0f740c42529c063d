"""Why an outside MCP server did not load, in words that name the setting to fix.

The MCP client turns an HTTP 401 into a JSON-RPC error that says only "Server returned an error
response", and a 404 into "Not Found". The HTTP statuses themselves are seen here, on the HTTP client's
response hook (`HttpTrace`), and `explain` maps them, and connection failures, to the entry under
`[mcpServers.<name>]` in the user config that needs changing. Header values are never repeated: they
hold tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

import httpx2

from m2bridge.json_values import is_mapping

__all__ = ["HttpTrace", "explain"]


@dataclass
class HttpTrace:
    """The failing HTTP answers one outside server gave, and the content type of its last answer."""

    failures: list[int] = field(default_factory=list[int])
    content_type: str = ""

    async def on_response(self, response: httpx2.Response) -> None:
        if response.status_code >= 400:
            self.failures.append(response.status_code)
        else:
            self.content_type = response.headers.get("content-type", "")

    @property
    def status(self) -> int | None:
        """A refusal of the credentials first (it is what to fix), else the first failure."""
        for status in self.failures:
            if status in (401, 403):
                return status
        return self.failures[0] if self.failures else None


def _is_group(err: BaseException) -> TypeGuard[BaseExceptionGroup[BaseException]]:
    return isinstance(err, BaseExceptionGroup)


def _innermost(err: BaseException) -> BaseException:
    """The first real failure inside task-group wrappers, which say only that something failed."""
    while _is_group(err) and err.exceptions:
        err = err.exceptions[0]
    return err


def _transport_error(err: BaseException) -> httpx2.TransportError | None:
    seen: set[int] = set()
    stack = [err]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, httpx2.TransportError):
            return current
        if _is_group(current):
            stack += current.exceptions
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]
    return None


def _has_authorization(entry: Mapping[object, object]) -> bool:
    headers = entry.get("headers")
    return is_mapping(headers) and any(str(k).lower() == "authorization" for k in headers)


def explain(
    name: str, entry: Mapping[object, object], err: BaseException, trace: HttpTrace | None, config: Path
) -> str:
    """One line: what went wrong with server `name` and what to change, for `MCP server ... not loaded:`."""
    table = f"[mcpServers.{name}]"
    url = str(entry.get("url", ""))
    status = trace.status if trace is not None else None
    if status == 401:
        if _has_authorization(entry):
            return (
                f"{url} refused the credentials (HTTP 401): check the Authorization header under "
                f"{table} headers in {config}"
            )
        return (
            f'{url} needs credentials (HTTP 401): add headers = {{Authorization = "Bearer <token>"}} '
            f"under {table} in {config}"
        )
    if status == 403:
        return (
            f"{url} refused access (HTTP 403): check that the token in the Authorization header under "
            f"{table} headers in {config} is allowed to use this server"
        )
    if status in (404, 405, 501):
        return (
            f"{url} has no MCP endpoint there (HTTP {status}): check url under {table} in {config} "
            "(MCP endpoints often end in /mcp)"
        )
    if status is not None and status >= 500:
        return f"{url} failed with HTTP {status}: the server is reachable but broken; see its own logs"
    if status is not None:
        return f"{url} answered HTTP {status}: check url and headers under {table} in {config}"
    if (transport := _transport_error(err)) is not None:
        if isinstance(transport, httpx2.TimeoutException):
            return f"{url} did not answer in time: is it running? check url under {table} in {config}"
        return (
            f"could not connect to {url} ({transport or type(transport).__name__}): is the server running? "
            f"check url under {table} in {config}"
        )
    if (
        trace is not None
        and trace.content_type
        and not any(kind in trace.content_type for kind in ("json", "event-stream"))
    ):
        return (
            f"{url} is not an MCP server (it answered {trace.content_type.split(';')[0]}): "
            f"check url under {table} in {config}"
        )
    inner = _innermost(err)
    return f"{url}: {inner}" if url else str(inner) or type(inner).__name__
