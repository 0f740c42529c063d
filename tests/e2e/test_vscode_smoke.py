"""The VS Code extension in a real VS Code: code-server, driven by headless Chromium through Playwright.

The built .vsix is installed with `code-server --install-extension`; the workbench opens a git repository;
the chat view talks to `m2bridge lsp` (the extension's default server command, found on PATH) and through
it to the fake MiniMax API. A session started beforehand with `m2bridge chat -p` is resumed from the
view's session picker and continued. Screenshots and logs go to test-artifacts/vscode-smoke/.

Needs scripts/code-server (code-server on Node 24, Debian's Chromium) and vscode-ext/m2bridge.vsix. When
vscode-ext/node_modules exists the test packages the extension itself if the .vsix is missing or older
than its sources. Without them it is skipped, and fails instead under CI (CI=true), where .ci/run
installs them. M2BRIDGE_TEST_VSIX=<path> tests another .vsix.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import Reply
from tests.support.code_server import (
    ARTIFACTS,
    EXTENSION_ID,
    SETTINGS,
    chat_frame,
    chromium_page,
    folder_url,
    install_extension,
    keep_artifacts,
    keep_console,
    keep_http_error,
    list_extensions,
    log_entries,
    log_files,
    make_dirs,
    missing_prerequisites,
    running_code_server,
    send,
    shown,
    stream_answer,
    the_vsix,
    unavailable,
    wait_for_workbench,
    wait_until,
)
from tests.support.env import m2_env, make_project, run_json

pytestmark = [pytest.mark.slow, pytest.mark.timeout(360)]

APP = "def answer():\n    return 1\n"
TERMINAL_PROMPT = "what does answer return?"
TERMINAL_ANSWER = "From the terminal: answer returns 1."
EDITOR_PROMPT = "say hello from VS Code"
EDITOR_ANSWER = "Hello from the fake M2, streamed into the VS Code chat view piece by piece."
RESUMED_PROMPT = "and after resuming?"
RESUMED_ANSWER = "Resumed in VS Code: answer still returns 1."


def test_the_vsix_chats_streams_and_resumes_a_terminal_session(tmp_path: Path, fake_minimax: Any) -> None:
    reason = missing_prerequisites()
    if reason:
        unavailable(reason)
    vsix = the_vsix()

    repo = make_project(tmp_path, APP)
    env = m2_env(tmp_path, fake_minimax)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = f"{venv_bin}:{env['PATH']}"
    # code-server gives the extension host the environment of a login shell run in HOME, whose
    # /etc/profile resets PATH (the other variables, the fake's host and key among them, pass through).
    # m2bridge is on PATH the way a user's profile would put it there.
    (tmp_path / ".profile").write_text(f'PATH="{venv_bin}:$PATH"\nexport PATH\n')

    # A session from the terminal, to resume in the editor.
    fake_minimax.script(Reply(TERMINAL_ANSWER, thinking="Terminal turn: read app.py."))
    code, first = run_json(["chat", "-p", TERMINAL_PROMPT, "--json"], env, repo)
    assert code == 0 and first["stop_reason"] == "end_turn", first
    session_id = first["session_id"]

    dirs = make_dirs(tmp_path / "code-server")
    dirs.write_settings(SETTINGS)
    install_extension(vsix, dirs, env)
    installed = list_extensions(dirs, env)
    assert any(line.startswith(EXTENSION_ID + "@") for line in installed), installed

    shots = tmp_path / "screenshots"
    shots.mkdir()
    console: list[tuple[str, str]] = []
    try:
        with running_code_server(dirs, env) as base, chromium_page() as page:
            page.on("console", functools.partial(keep_console, console))
            page.on("response", functools.partial(keep_http_error, console))
            try:
                page.goto(folder_url(base, repo), timeout=60_000)
                wait_for_workbench(page)

                # The activity-bar entry of the extension's view container opens the chat view.
                page.get_by_role("tab", name=re.compile(r"^m2bridge")).click()
                page.mouse.move(700, 450)  # off the activity bar, so no hover label covers the view
                chat = chat_frame(page)
                chat.locator("#prompt").wait_for(state="visible", timeout=30_000)
                # The session list comes from the language server: it started, with the fake's settings.
                option = chat.locator(f'#session-picker option[value="{session_id}"]')
                wait_until("the terminal session in the picker", lambda: shown(chat, option), timeout=60)
                page.screenshot(path=str(shots / "1-chat-view.png"))

                # A new conversation, streamed: the fake sends the answer in small pieces, slowly.
                fake_minimax.token_delay = 0.15
                fake_minimax.script(Reply(EDITOR_ANSWER, thinking="Editor turn: greet."))
                send(chat, EDITOR_PROMPT)
                chat.locator(".msg-user", has_text=EDITOR_PROMPT).wait_for(timeout=10_000)
                seen = stream_answer(chat, EDITOR_ANSWER)
                assert any(0 < len(s) < len(EDITOR_ANSWER) and EDITOR_ANSWER.startswith(s) for s in seen), (
                    f"the answer appeared whole, not streamed: {seen}"
                )
                page.screenshot(path=str(shots / "2-streamed-answer.png"))
                fake_minimax.token_delay = 0.0

                # Resume the terminal's session from the picker: its transcript shows, then it goes on.
                chat.locator("#session-picker").select_option(session_id)
                transcript = chat.locator("#transcript")
                wait_until(
                    "the terminal session's transcript",
                    lambda: (
                        TERMINAL_ANSWER in (transcript.text_content() or "")
                        and EDITOR_ANSWER not in (transcript.text_content() or "")
                    ),
                    timeout=30,
                )
                assert TERMINAL_PROMPT in (transcript.text_content() or "")
                page.screenshot(path=str(shots / "3-resumed-session.png"))

                fake_minimax.script(Reply(RESUMED_ANSWER, thinking="Editor turn after resuming."))
                send(chat, RESUMED_PROMPT)
                stream_answer(chat, RESUMED_ANSWER)
                text = transcript.text_content() or ""
                assert text.index(TERMINAL_ANSWER) < text.index(RESUMED_PROMPT) < text.index(RESUMED_ANSWER)
                page.screenshot(path=str(shots / "4-resumed-and-continued.png"))
            except BaseException:
                with contextlib.suppress(Exception):  # the page may be what broke
                    page.screenshot(path=str(shots / "failure.png"))
                raise
    finally:
        keep_artifacts(ARTIFACTS, shots, dirs, console)

    # The continued turn carried the terminal's history (the fake checks it is unaltered, thinking too).
    assert len(fake_minimax.requests) == 3
    last_messages = str(fake_minimax.requests[-1].body["messages"])
    assert TERMINAL_PROMPT in last_messages and TERMINAL_ANSWER in last_messages
    assert EDITOR_PROMPT not in last_messages
    code, again = run_json(["sessions", "show", session_id, "--json"], env, repo)
    assert code == 0 and RESUMED_ANSWER in str(again), again

    # The extension activated, and neither the extension host nor the extension logged an error.
    exthost = log_files(dirs, "remoteexthost.log")
    assert exthost, f"no extension host log under {dirs.user_data / 'logs'}"
    entries = [entry for path in exthost for entry in log_entries(path)]
    assert any(f"_doActivateExtension {EXTENSION_ID}" in text for _, text in entries)
    host_errors = [text for level, text in entries if level == "error" and "m2bridge" in text.lower()]
    assert not host_errors, "\n".join(host_errors)
    own = log_files(dirs, "m2bridge.log")
    assert own, "the extension's log channel (m2bridge.log) was not written"
    own_entries = [entry for path in own for entry in log_entries(path)]
    assert any("activating" in text for _, text in own_entries), own_entries
    own_errors = [text for level, text in own_entries if level == "error"]
    assert not own_errors, "\n".join(own_errors)
    # Nor did the workbench: no error shown for it, no file of it missing (its icon, its page's media).
    browser_errors = [
        f"{kind}: {text}"
        for kind, text in console
        if (kind == "error" and re.search(r"m2bridge|\bM2\b", text, re.I))
        or (kind == "http" and f"{EXTENSION_ID}-" in text)
    ]
    assert not browser_errors, "\n".join(browser_errors)
