"""Everything the bridge asks of the editor, over pygls: edits, saves, questions, messages, progress."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.progress import Progress as WorkDoneProgress

from lsp.edits import EditSupport
from m2bridge.json_values import is_json_object, is_list

__all__ = ["ASK_TIMEOUT", "EDIT_TIMEOUT", "EditorLink", "Progress"]

logger = logging.getLogger(__name__)

# The user may take a while to review an edit or answer a question; not forever.
EDIT_TIMEOUT = 600.0
ASK_TIMEOUT = 600.0
SAVE_TIMEOUT = 60.0
SAVE_DOCUMENTS = "m2/saveDocuments"


class EditorLink:
    def __init__(self, server: LanguageServer) -> None:
        self._server = server

    # Capabilities -----------------------------------------------------------------------------------
    @property
    def _capabilities(self) -> types.ClientCapabilities | None:
        return getattr(self._server.protocol, "client_capabilities", None)

    @property
    def edit_support(self) -> EditSupport:
        return EditSupport.of(self._capabilities)

    @property
    def position_encoding(self) -> str:
        encoding = self._server.workspace.position_encoding
        return str(getattr(encoding, "value", encoding) or "utf-16")

    @property
    def offers_save(self) -> bool:
        """The client said it answers `m2/saveDocuments` (capabilities.experimental.m2SaveDocuments)."""
        experimental = self._capabilities.experimental if self._capabilities else None
        return is_json_object(experimental) and experimental.get("m2SaveDocuments") is True

    @property
    def offers_turns(self) -> bool:
        """The client shows every turn itself (capabilities.experimental.m2Turns): it is told of each turn's
        start and end (`m2/turnStarted`, `m2/turnEnded`) and gets no toast for a turn's answer or error."""
        experimental = self._capabilities.experimental if self._capabilities else None
        return is_json_object(experimental) and experimental.get("m2Turns") is True

    @property
    def work_done_progress(self) -> WorkDoneProgress:
        return self._server.work_done_progress

    @property
    def offers_progress(self) -> bool:
        window = self._capabilities.window if self._capabilities else None
        return bool(window and window.work_done_progress)

    @property
    def offers_configuration(self) -> bool:
        workspace = self._capabilities.workspace if self._capabilities else None
        return bool(workspace and workspace.configuration)

    # Requests to the editor -------------------------------------------------------------------------
    async def apply_edit(self, edit: types.WorkspaceEdit, label: str) -> tuple[bool, str | None]:
        params = types.ApplyWorkspaceEditParams(edit=edit, label=label)
        try:
            result = await asyncio.wait_for(self._server.workspace_apply_edit_async(params), EDIT_TIMEOUT)
        except TimeoutError:
            return False, f"the editor did not answer within {EDIT_TIMEOUT:.0f} s"
        except Exception as err:  # an error answer from the editor is a refusal, with its reason
            return False, f"the editor answered with an error: {err}"
        return bool(result.applied), result.failure_reason

    async def save_documents(self, uris: list[str]) -> list[str] | None:
        if not self.offers_save:
            return None
        try:
            result = await asyncio.wait_for(
                self._server.protocol.send_request_async(SAVE_DOCUMENTS, {"uris": uris}), SAVE_TIMEOUT
            )
        except Exception as err:
            logger.warning("m2/saveDocuments failed: %s", err)
            return []
        saved = result.get("saved") if is_json_object(result) else None
        return [u for u in saved if isinstance(u, str)] if is_list(saved) else []

    async def ask(self, message: str, actions: list[str]) -> str | None:
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=message,
            actions=[types.MessageActionItem(title=a) for a in actions],
        )
        try:
            chosen = await asyncio.wait_for(
                self._server.window_show_message_request_async(params), ASK_TIMEOUT
            )
        except TimeoutError:
            return None
        except Exception as err:
            logger.warning("window/showMessageRequest failed: %s", err)
            return None
        return chosen.title if chosen is not None else None

    async def configuration(self) -> object:
        if not self.offers_configuration:
            return None
        params = types.ConfigurationParams(items=[types.ConfigurationItem(section="m2bridge")])
        try:
            values = await asyncio.wait_for(self._server.workspace_configuration_async(params), 10)
        except Exception as err:
            logger.warning("workspace/configuration failed: %s", err)
            return None
        return values[0] if values else None

    # Notifications ----------------------------------------------------------------------------------
    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._server.protocol.notify(method, params)

    def show(self, text: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self._server.window_show_message(types.ShowMessageParams(type=kind, message=text))

    def log(self, text: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self._server.window_log_message(types.LogMessageParams(type=kind, message=text))

    def progress(self, title: str, token: str | int | None, on_cancel: Callable[[], None]) -> Progress:
        return Progress(self, title, token, on_cancel)


class Progress:
    """Work-done progress for one turn: the client's token if it sent one, else one we create."""

    def __init__(
        self, link: EditorLink, title: str, token: str | int | None, on_cancel: Callable[[], None]
    ) -> None:
        self._link = link
        self._title = title
        self._token = token
        self._on_cancel = on_cancel
        self._active = False

    @property
    def token(self) -> str | int | None:
        return self._token if self._active else None

    async def begin(self, message: str) -> None:
        progress = self._link.work_done_progress
        if self._token is None:
            if not self._link.offers_progress:
                return
            token = f"m2bridge-{uuid.uuid4().hex}"
            try:
                # pygls annotates the answer as a bare asyncio.Future; it is not used here.
                await asyncio.wait_for(
                    progress.create_async(token),  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
                    10,
                )
            except Exception as err:
                logger.warning("window/workDoneProgress/create failed: %s", err)
                return
            self._token = token
        self._active = True
        progress.begin(
            self._token, types.WorkDoneProgressBegin(title=self._title, message=message, cancellable=True)
        )

    def report(self, message: str) -> None:
        if self._active and self._token is not None:
            self._link.work_done_progress.report(self._token, types.WorkDoneProgressReport(message=message))

    def end(self, message: str) -> None:
        if self._active and self._token is not None:
            progress = self._link.work_done_progress
            progress.end(self._token, types.WorkDoneProgressEnd(message=message))
            # Forget the token so the map does not grow per turn (pygls types it Dict[..., Future]).
            progress.tokens.pop(self._token, None)  # pyright: ignore[reportUnknownMemberType]
            self._active = False

    def cancelled_by_user(self) -> None:
        self._on_cancel()
