"""Files as tools see them in an ACP editor: reads through `fs/read_text_file` (the editor answers with its
unsaved buffer where there is one), writes through `fs/write_text_file` (the editor writes, and its open
buffer follows), each only when the editor offers it in `initialize`; the disk otherwise.

Every path reaching here was checked by the path policy first (`mcp_tools.paths`): a path outside the
roots is refused before any request is made. Folders are listed on disk, and a file outside the session's
roots (the spilled output of a command) is read on disk too: the editor has no business with it.
A request the editor fails is a ToolFailure with its reason; nothing is written on disk instead.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from acp.interfaces import Client
from acp.schema import ClientCapabilities

from acp_agent.sessions import current_session
from m2bridge.tools import Workspace
from mcp_tools.disk import DiskWorkspace
from mcp_tools.failure import ToolFailure
from mcp_tools.paths import is_within
from mcp_tools.toolkit import WorkspaceFactory

__all__ = ["EDITOR_WAIT", "EditorFiles", "files_for"]

# How long an fs request may stay unanswered; M2BRIDGE_ACP_EDITOR_WAIT (seconds) for tests.
EDITOR_WAIT = float(os.environ.get("M2BRIDGE_ACP_EDITOR_WAIT", "60"))


class EditorFiles:
    """A `Workspace` whose reads, writes or both go through the editor."""

    def __init__(self, roots: tuple[str, ...], client: Client, *, reads: bool, writes: bool) -> None:
        self._disk = DiskWorkspace(roots)
        self._client = client
        self._reads = reads
        self._writes = writes

    @property
    def roots(self) -> tuple[str, ...]:
        return self._disk.roots

    async def read_text(self, path: str) -> str:
        session = self._session(path) if self._reads else None
        if session is None:
            return await self._disk.read_text(path)
        try:
            answer = await asyncio.wait_for(
                self._client.read_text_file(session_id=session, path=path), EDITOR_WAIT
            )
        except TimeoutError:
            raise ToolFailure(
                f"{path}: the editor did not answer the read within {EDITOR_WAIT:g} s"
            ) from None
        except Exception as err:
            raise ToolFailure(f"{path}: the editor could not read it ({_reason(err)})") from err
        return answer.content

    async def write_text(self, path: str, text: str) -> str | None:
        session = self._session(path) if self._writes else None
        if session is None:
            return await self._disk.write_text(path, text)
        try:
            await asyncio.wait_for(
                self._client.write_text_file(session_id=session, path=path, content=text), EDITOR_WAIT
            )
        except TimeoutError:
            raise ToolFailure(
                f"{path}: the editor did not answer the write within {EDITOR_WAIT:g} s; whether it was "
                "written is unknown: read the file again before trying anything else"
            ) from None
        except Exception as err:
            raise ToolFailure(
                f"{path}: the editor did not write it ({_reason(err)}); nothing was changed. If the user "
                "refused it, do not try again unless they ask."
            ) from err
        return "Written through the editor."

    async def list_dir(self, path: str) -> list[str]:
        return await self._disk.list_dir(path)

    def _session(self, path: str) -> str | None:
        """The session to name in the request; None where the disk serves (outside the roots, or outside
        any ACP turn, where there is no session to name)."""
        if not any(is_within(Path(path), Path(root)) for root in self.roots):
            return None
        return current_session.get()


def _reason(err: Exception) -> str:
    data = getattr(err, "data", None)
    message = str(err) or type(err).__name__
    return f"{message}: {data}" if data else message


def files_for(client: Client, capabilities: ClientCapabilities | None) -> WorkspaceFactory:
    """How a service's tools see files with this editor: through it for what it offers, else the disk."""
    fs = capabilities.fs if capabilities is not None else None
    reads = bool(fs is not None and fs.read_text_file)
    writes = bool(fs is not None and fs.write_text_file)
    if not (reads or writes):
        return DiskWorkspace

    def make(roots: tuple[str, ...]) -> Workspace:
        return EditorFiles(roots, client, reads=reads, writes=writes)

    return make
