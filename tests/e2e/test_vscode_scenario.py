"""The chat view as a user walks it in a real VS Code (code-server, headless Chromium through Playwright),
against the strict fake MiniMax API:

1. `m2bridge` is not installed: one error card (Open Settings, Retry), no toast besides it; Open Settings
   lands on the tab whose settings the remote window reads.
2. Installed, Retry: the server starts, without a key; the first message gets the card with Set API Key.
3. Set API Key from the card, through the input box: the card clears.
4. A turn with thinking (visible while it streams), a tool call and a code block; Insert puts the code
   into the editor, Copy onto the clipboard.
5. "Fix with M2" (the language server's code action on a JSON syntax error) and "Explain with M2" (the
   editor's context menu on a selection), each followed by a message from the chat box that is answered:
   the view stays usable and each prompt shows above its answer.
6. Stop during a streaming answer: the partial turn is marked as not sent to M2.
7. The session picker: New clears the view, picking the earlier session brings it back.
8. Open Session in Terminal: `m2bridge chat --resume` continues it; M2 gets the session's history.
9. The view in every built-in theme and in a 200 px side bar, with the contrast of every visible text
   element computed from the rendered colours.

Artifacts go to test-artifacts/vscode-scenario/: a screenshot per step, the side bar per theme at the
default width and at 200 px, the contrast report of every theme (contrast.txt), the browser console and
the logs. Prerequisites as for test_vscode_smoke.py (scripts/code-server; the test packages the .vsix
itself when vscode-ext/node_modules exists and the sources are newer; M2BRIDGE_TEST_VSIX=<path> tests
another).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.minimax import CallTools, Reply
from tests.support.code_server import (
    DEFAULT_THEMES,
    EXTENSION_ID,
    ROOT,
    SETTINGS,
    SIDE_BAR,
    THEMES,
    CodeServerDirs,
    Theme,
    chromium_page,
    folder_url,
    install_extension,
    keep_artifacts,
    keep_console,
    keep_http_error,
    log_entries,
    log_files,
    make_dirs,
    missing_prerequisites,
    open_file,
    resize_side_bar,
    run_command,
    running_code_server,
    send,
    stream_answer,
    switch_theme,
    terminal_text,
    the_vsix,
    toasts,
    unavailable,
    wait_for_workbench,
    wait_until,
    webview_content,
    webview_text_contrasts,
)
from tests.support.contrast import MINIMUM_TEXT_CONTRAST, TextContrast
from tests.support.env import m2_env, make_project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]

ARTIFACTS = ROOT / "test-artifacts" / "vscode-scenario"
NARROW = 200
APP = "def answer():\n    return 1\n"
BAD_JSON = '{"a": 1,, "b": 2}\n'
KEY = "test-key"  # the fake's
FIRST_PROMPT = "hello?"
PROMPT = "what does answer() return, and how would I call it?"
# Inline code, a fenced block (highlighted), a link: the parts that were unreadable in Light High Contrast.
CODE = "from app import answer\n\nprint(answer())  # 1"
ANSWER = (
    "`answer()` returns `1`. Call it like this:\n\n"
    f"```python\n{CODE}\n```\n\n"
    "See https://docs.python.org/3/tutorial/ for more."
)
ANSWER_START = "answer() returns 1."
# Long enough to stream for a few seconds at the fake's token delay: visible while it streams.
THINKING = "I should read app.py to see what answer() returns. " * 8
STOP_PROMPT = "a long question"


@dataclass
class Walk:
    """What the steps share: the workbench page, the chat page in it, the fake, the workspace."""

    page: Any
    chat: Any
    fake: Any
    repo: Path
    shots: Path
    prompts: list[str] = field(default_factory=list[str])

    def shot(self, name: str) -> None:
        away(self.page)
        self.page.screenshot(path=str(self.shots / f"{name}.png"))


def logged_errors(dirs: CodeServerDirs, console: list[tuple[str, str]]) -> list[str]:
    """Errors the extension logged (but the failed start the scenario begins with), and the workbench's
    errors about it: a message, or a file of it that could not be loaded."""
    own = [
        text
        for path in log_files(dirs, "m2bridge.log")
        for level, text in log_entries(path)
        if level == "error"
    ]
    expected = re.compile(r"the language server could not start: spawn m2bridge ENOENT")
    browser = [
        f"{kind}: {text}"
        for kind, text in console
        if (kind == "error" and re.search(r"m2bridge|\bM2\b", text, re.I))
        or (kind == "http" and f"{EXTENSION_ID}-" in text)
    ]
    return [text for text in own if not expected.search(text)] + browser


def open_chat_view(page: Any) -> Any:
    """Click the extension's activity-bar entry; returns the chat page once its prompt box shows."""
    page.get_by_role("tab", name=re.compile(r"^m2bridge")).click()
    away(page)
    chat = webview_content(page, EXTENSION_ID)
    chat.locator("#prompt").wait_for(state="visible", timeout=30_000)
    return chat


def away(page: Any) -> None:
    """The pointer over the editor area: no hover colour or tooltip in the side bar."""
    page.mouse.move(900, 450)


# -- 1-3: no server, no key, the key set


def error_card(chat: Any, *actions: str) -> Any:
    """The one error card the view shows, once it shows, offering exactly `actions` (in VS Code's terms)."""
    card = chat.locator(".msg-error")
    card.first.wait_for(timeout=60_000)
    assert card.count() == 1, f"more than one error card: {card.all_text_contents()}"
    offered = [b.get_attribute("data-action") for b in card.locator("button[data-action]").all()]
    assert offered == list(actions), (offered, card.text_content())
    text = card.text_content() or ""
    assert not re.search(r"\bexport\b|MINIMAX_|\bconfig\b|server_start", text), f"a terminal's terms: {text}"
    return card


def m2_toasts(page: Any) -> list[str]:
    return [t for t in toasts(page) if re.search(r"m2bridge|\bM2\b|MiniMax", t)]


def active_settings_tab(page: Any) -> str:
    return (page.locator(".settings-tabs-widget .action-label.checked").first.text_content() or "").strip()


def activated_by(log_dir: Path, event: str) -> bool:
    """Whether the extension host's log says the extension was activated by `event`."""
    return any(
        f"_doActivateExtension {EXTENSION_ID}" in line and f"activationEvent: '{event}'" in line
        for path in log_dir.rglob("remoteexthost.log")
        for line in path.read_text(errors="replace").splitlines()
    )


def step_no_server(walk: Walk, bin_dir: Path, venv_bin: str, log_dir: Path) -> None:
    """Not installed: one card that says so, with Open Settings and Retry; no toast says it again."""
    page, chat = walk.page, walk.chat
    card = error_card(chat, "openSettings", "showLog", "retry")
    assert "not running" in (card.text_content() or "")
    # With the chat view open as the server failed (it activated the extension), the card is the one
    # place the failure shows. (Had the server failed with no chat page open, a notification would say it:
    # nothing else would.)
    if activated_by(log_dir, "onView:m2bridge.chat"):
        assert not m2_toasts(page), f"the card is shown again as a toast: {m2_toasts(page)}"
    walk.shot("1-no-server")

    # Open Settings opens the m2bridge.serverCommand setting where this window reads it. code-server is
    # a remote window (vscode.env.remoteName is set): machine-scoped settings live on its Remote tab.
    card.locator('button[data-action="openSettings"]').click()
    page.locator(".settings-editor").wait_for(timeout=30_000)
    wait_until("the Remote settings tab", lambda: active_settings_tab(page).startswith("Remote"), 15)
    search = page.locator(".settings-editor .suggest-input-container .monaco-editor .view-lines").first
    wait_until("the serverCommand search", lambda: "serverCommand" in (search.text_content() or ""), 10)
    page.locator(".settings-editor .setting-item-label", has_text="Server Command").first.wait_for(
        timeout=10_000
    )
    walk.shot("1-open-settings")
    page.keyboard.press("Escape")
    page.locator(".settings-editor").wait_for(state="hidden", timeout=10_000)

    # The user installs m2bridge, then presses Retry: the card goes once the server runs.
    (bin_dir / "m2bridge").symlink_to(Path(venv_bin) / "m2bridge")
    card.locator('button[data-action="retry"]').click()
    card.wait_for(state="detached", timeout=60_000)


def step_no_key_then_set_key(walk: Walk) -> None:
    """No key: the first message gets one card with Set API Key; setting it there clears the card."""
    page, chat = walk.page, walk.chat
    send(chat, FIRST_PROMPT)
    card = error_card(chat, "setApiKey")
    assert "API key" in (card.text_content() or "")
    chat.locator(".msg-user", has_text=FIRST_PROMPT).locator(".unanswered").wait_for(timeout=10_000)
    assert not m2_toasts(page), f"the card is shown again as a toast: {m2_toasts(page)}"
    walk.shot("2-no-key")

    card.locator('button[data-action="setApiKey"]').click()
    box = page.locator(".quick-input-widget .quick-input-box input")
    box.wait_for(state="visible", timeout=10_000)
    assert box.get_attribute("type") == "password"
    box.fill(KEY)
    box.press("Enter")
    card.wait_for(state="detached", timeout=60_000)  # cleared once the server runs with the key
    walk.shot("3-key-set")


# -- 4: a turn with thinking, a tool call and code


def step_chat_with_thinking_and_a_tool(walk: Walk) -> None:
    page, chat, fake = walk.page, walk.chat, walk.fake
    open_file(page, "notes.py")  # where Insert puts the code
    fake.token_delay = 0.05
    fake.script(
        CallTools([("read_file", {"path": "app.py"})], thinking=THINKING),
        Reply(ANSWER, thinking="It returns the constant 1."),
    )
    send(chat, PROMPT)
    walk.prompts.append(PROMPT)
    chat.locator(".msg-user", has_text=PROMPT).wait_for(timeout=10_000)
    # Thinking shows, open, while it streams.
    wait_until("thinking shown while it streams", lambda: bool(streaming_thinking(chat).strip()), 30)
    walk.shot("4-thinking-streams")
    chat.locator(".tool-card").first.wait_for(timeout=30_000)
    answer = chat.locator(".msg-assistant .answer-text").last
    answer.locator("pre code").wait_for(timeout=60_000)
    chat.locator(".msg-assistant.running").wait_for(state="detached", timeout=30_000)
    fake.token_delay = 0.0
    assert ANSWER_START in (answer.text_content() or "")
    assert "read_file" in (chat.locator(".tool-card").first.text_content() or "")

    # The code block's Copy and Insert.
    block = answer.locator(".md-code").first
    block.hover()
    block.locator(".code-copy").click()
    wait_until("the code on the clipboard", lambda: CODE in clipboard(page), 10)
    block.locator(".code-insert").click()
    notes = walk.repo / "notes.py"
    editor = page.locator(".editor-instance .view-lines").first
    wait_until("the code in the editor", lambda: "print(answer())" in (editor.text_content() or ""), 10)
    run_command(page, "File: Save")
    wait_until("the code inserted into notes.py", lambda: CODE in notes.read_text(), 10)
    walk.shot("4-chat-with-a-tool")


def streaming_thinking(chat: Any) -> str:
    """The thinking of the running turn, when it shows open (a closed <details> hides it)."""
    return str(
        chat.locator("html").evaluate(
            "() => document.querySelector("
            "'.msg-assistant.running details.thinking[open] .thinking-text')?.textContent ?? ''"
        )
    )


def clipboard(page: Any) -> str:
    return str(page.evaluate("navigator.clipboard.readText()"))


# -- 5: code actions, then the chat box


def answered(chat: Any, prompt: str, answer: str) -> None:
    """`prompt` shows, then its answer, below it, and the turn ends."""
    stream_answer(chat, answer)
    text = chat.locator("#transcript").text_content() or ""
    assert prompt[:40] in text, f"the prompt {prompt[:40]!r} is not shown: {text[-400:]}"
    assert text.rindex(prompt[:40]) < text.rindex(answer), f"the answer shows above its prompt: {text[-400:]}"


def then_chat(walk: Walk, after: str) -> None:
    """A message from the chat box after a code action's turn: sent and answered (the view had locked)."""
    prompt, reply = f"and after {after}?", f"Plain chat after {after}."
    walk.fake.script(Reply(reply))
    send(walk.chat, prompt)
    walk.prompts.append(prompt)
    answered(walk.chat, prompt, reply)


def step_fix_with_m2(walk: Walk) -> None:
    """Ctrl+. on a JSON syntax error: the language server's "Fix with M2" code action runs a turn, which
    shows with its prompt and ends; the context menu on the problem offers "Fix with M2" too."""
    page, chat, fake = walk.page, walk.chat, walk.fake
    open_file(page, "bad.json")
    page.locator(".editor-instance .squiggly-error").first.wait_for(timeout=60_000)  # JSON's diagnostic
    page.keyboard.press("F8")  # Go to Next Problem: the cursor on it
    page.locator(".marker-widget").wait_for(timeout=10_000)
    page.keyboard.press("Escape")
    # The editor's context menu on the problem: "Fix with M2" is offered (clicked first, then right-clicked:
    # VS Code builds the menu before the extension hears where the cursor went).
    # The marker widget's close re-renders the decorations: the squiggle is found again once it is back.
    squiggle = page.locator(".editor-instance .squiggly-error").first
    box = None
    for _ in range(20):  # bounded: about 10 s
        squiggle.wait_for(state="visible", timeout=10_000)
        box = squiggle.bounding_box()
        if box is not None and box["width"] > 0:
            break
        page.wait_for_timeout(500)
    assert box is not None, "the JSON error's squiggle did not come back after the problem widget closed"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    context_menu_offers(page, (x, y), "Fix with M2")
    page.keyboard.press("Escape")
    # The code action (Ctrl+.): the server's turn.
    fake.script(Reply("Fixed: the doubled comma goes."))
    page.keyboard.press("Control+.")
    action = page.locator(".action-widget .monaco-list-row", has_text="Fix with M2").first
    action.wait_for(timeout=15_000)
    action.click()
    prompt = "Fix this problem in bad.json"
    chat.locator(".msg-user", has_text=prompt).wait_for(timeout=30_000)
    walk.prompts.append(prompt)
    answered(chat, prompt, "Fixed: the doubled comma goes.")
    walk.shot("5-fix-with-m2")
    then_chat(walk, "Fix")


def menu_item(page: Any, label: str) -> Any:
    return page.locator(
        ".context-view .monaco-menu .action-item .action-label", has_text=re.compile(f"^{label}$")
    )


def context_menu_offers(page: Any, at: tuple[float, float], label: str) -> Any:
    """Right-click at `at` until the editor's context menu offers `label` (its when clause reads a context
    key the extension sets a moment after the cursor or the diagnostics change; a menu opened before that
    is closed and opened again, as a user would). Returns the menu item."""
    item = menu_item(page, label)

    def offered() -> bool:
        page.mouse.click(*at, button="right")
        page.locator(".context-view .monaco-menu").first.wait_for(timeout=5_000)
        if item.count():
            return True
        page.keyboard.press("Escape")
        return False

    wait_until(f"{label!r} in the editor's context menu", offered, 10, every=0.3)
    return item


def choose(page: Any, item: Any) -> None:
    """Click a context menu's item until the menu closes (it ignores a click right after it opened)."""
    menu = page.locator(".context-view .monaco-menu")

    def chosen() -> bool:
        if menu.count():
            item.click()
        return not menu.count()

    wait_until("the context menu to close on the click", chosen, 5, every=0.2)


def step_explain_with_m2(walk: Walk) -> None:
    """The context menu on a selection: "Explain with M2" sends the prompt to the chat view."""
    page, chat, fake = walk.page, walk.chat, walk.fake
    open_file(page, "app.py")
    page.keyboard.press("Control+a")
    box = page.locator(".editor-instance .view-lines").first.bounding_box()
    assert box is not None
    item = context_menu_offers(page, (box["x"] + 40, box["y"] + 8), "Explain with M2")
    fake.script(Reply("It returns 1."))
    choose(page, item)
    prompt = "Explain the selected code in app.py"
    chat.locator(".msg-user", has_text=prompt).wait_for(timeout=30_000)
    walk.prompts.append(prompt)
    answered(chat, prompt, "It returns 1.")
    walk.shot("5-explain-with-m2")
    then_chat(walk, "Explain")


# -- 6: Stop


def step_stop(walk: Walk) -> None:
    chat, fake = walk.chat, walk.fake
    fake.token_delay = 0.2
    fake.script(Reply("A long answer, slowly. " * 40, thinking="Thinking at length. " * 10))
    send(chat, STOP_PROMPT)
    running = chat.locator(".msg-assistant.running")
    running.wait_for(timeout=30_000)
    wait_until("some streamed text", lambda: "A long answer" in (running.text_content() or ""), 60)
    chat.locator("#stop").click()
    running.wait_for(state="detached", timeout=30_000)
    fake.token_delay = 0.0
    stopped = chat.locator(".msg-assistant").last
    marker = stopped.locator(".not-sent")
    marker.wait_for(timeout=10_000)
    assert "not sent" in (marker.text_content() or "")
    # The view is ready for the next message: Stop is off, and Send waits for a prompt.
    assert chat.locator("#stop").is_disabled() and chat.locator("#send").is_disabled()
    chat.locator("#prompt").fill("x")
    assert chat.locator("#send").is_enabled()
    chat.locator("#prompt").fill("")
    walk.shot("6-stopped")


# -- 7: the session picker


def step_session_picker(walk: Walk) -> str:
    chat = walk.chat
    picker = chat.locator("#session-picker")
    session_id = picker.input_value()
    assert session_id, "no current session in the picker"
    chat.locator("#new-session").click()
    wait_until("an empty transcript", lambda: not chat.locator("#transcript .msg").count(), 15)
    walk.shot("7-new-session")
    picker.select_option(session_id)
    transcript = chat.locator("#transcript")
    wait_until(
        "the earlier session's transcript",
        lambda: all(p[:40] in (transcript.text_content() or "") for p in walk.prompts),
        30,
    )
    assert picker.input_value() == session_id
    walk.shot("7-earlier-session")
    return session_id


# -- 8: the terminal


def step_terminal(walk: Walk, session_id: str) -> None:
    """Open Session in Terminal: `m2bridge chat --resume <id>` runs; a line typed there reaches M2 with the
    session's history (the fake checks it is verbatim, thinking included)."""
    page, fake = walk.page, walk.fake
    before = len(fake.requests)
    run_command(page, "m2bridge: Open Session in Terminal")
    wait_until(
        "the chat in the terminal",
        lambda: (
            f"continuing session {session_id}" in terminal_text(page) and "/exit quits" in terminal_text(page)
        ),
        60,
    )
    fake.script(Reply("From the terminal."))
    page.locator(".terminal-wrapper.active .xterm").first.click()
    page.keyboard.type("and from the terminal?")
    page.keyboard.press("Enter")
    wait_until("the answer in the terminal", lambda: "From the terminal." in terminal_text(page), 60)
    walk.shot("8-terminal")
    assert len(fake.requests) == before + 1
    messages = json.dumps(fake.requests[-1].body["messages"])
    for prompt in walk.prompts:
        assert json.dumps(prompt[:40])[1:-1] in messages, f"{prompt[:40]!r} is not in the terminal's request"
    page.keyboard.type("/exit")
    page.keyboard.press("Enter")


# -- 9: themes and the narrow side bar


def layout_problems(chat: Any) -> list[str]:
    """What does not fit the chat view's width: sideways scrolling, a control cut off or missing, a session
    picker squeezed to a few characters (it shows the session's title)."""
    found = chat.locator("html").evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = { width, scroll: document.documentElement.scrollWidth, cut: [], picker: 0 };
          for (const sel of ["#prompt", "#send", "#stop", "#session-picker", "#new-session"]) {
            const el = document.querySelector(sel);
            if (!el) { out.cut.push(sel + " is missing"); continue; }
            const r = el.getBoundingClientRect();
            if (r.width < 1 || r.left < 0 || r.right > width + 0.5) {
              out.cut.push(`${sel} spans ${r.left.toFixed(0)}..${r.right.toFixed(0)} of ${width} px`);
            }
            if (sel === "#session-picker") out.picker = r.width;
          }
          return out;
        }"""
    )
    problems = [str(c) for c in found["cut"]]
    if found["scroll"] > found["width"]:
        problems.append(f"the page scrolls sideways: {found['scroll']} px of content in {found['width']} px")
    if found["picker"] < found["width"] / 2:
        problems.append(f"the session picker is {found['picker']:.0f} px of {found['width']} px")
    return problems


def open_all_details(chat: Any) -> None:
    """Expand every collapsed part of the transcript (thinking, tool output), as a reader would."""
    closed = chat.locator("#transcript details:not([open]) > summary")
    for _ in range(closed.count()):
        closed.first.click()
    assert not closed.count(), "a part of the transcript did not open when its summary was clicked"


def measure_theme(page: Any, theme: Theme, shots: Path, width: str) -> list[TextContrast]:
    """A screenshot of the side bar, and the contrast of every text element in the chat view."""
    away(page)
    page.locator(SIDE_BAR).screenshot(path=str(shots / f"chat-{theme.slug}-{width}.png"))
    return webview_text_contrasts(page, EXTENSION_ID)


def too_faint(measured: list[TextContrast]) -> list[str]:
    """Text under 4.5:1; a disabled control's text is exempt (WCAG 1.4.3: inactive components)."""
    return [m.describe() for m in measured if m.ratio < MINIMUM_TEXT_CONTRAST and not m.disabled]


def report_of(results: dict[str, list[TextContrast]]) -> str:
    lines: list[str] = []
    for name, measured in results.items():
        lines.append(f"== {name}: {len(measured)} text elements, worst first")
        lines += [f"  {m.describe()}" for m in measured]
        lines.append("")
    return "\n".join(lines)


def all_themes(page: Any, chat: Any, shots: Path, width: str) -> dict[str, list[TextContrast]]:
    """Every theme in turn, at the side bar's current width: screenshot and contrast."""
    results: dict[str, list[TextContrast]] = {}
    for theme in (*THEMES, *DEFAULT_THEMES):
        switch_theme(page, theme, chat)
        results[f"{theme.label} ({width})"] = measure_theme(page, theme, shots, width)
    return results


def step_themes(walk: Walk) -> tuple[dict[str, list[TextContrast]], list[str]]:
    """The earlier session (thinking, a tool, code, a stopped turn) in every theme, wide and at 200 px."""
    page, chat = walk.page, walk.chat
    run_command(page, "View: Close All Editors")
    open_all_details(chat)
    results = all_themes(page, chat, walk.shots, "wide")
    resize_side_bar(page, NARROW)
    narrow = layout_problems(chat)
    results |= all_themes(page, chat, walk.shots, f"{NARROW}px")
    page.screenshot(path=str(walk.shots / f"workbench-{NARROW}px.png"))
    return results, narrow


def test_a_user_walks_the_chat_view_from_no_server_to_the_terminal_and_it_reads_well_in_every_theme(
    tmp_path: Path, fake_minimax: Any
) -> None:
    reason = missing_prerequisites()
    if reason:
        unavailable(reason)
    vsix = the_vsix()

    repo = make_project(tmp_path, APP)
    (repo / "bad.json").write_text(BAD_JSON)
    (repo / "notes.py").write_text("")
    env = m2_env(tmp_path, fake_minimax)
    env.pop("MINIMAX_API_KEY")  # the user sets it in VS Code
    venv_bin = str(Path(sys.executable).parent)
    # m2bridge is "installed" into bin/ (on PATH, empty at first) when the scenario says so. code-server
    # gives the extension host a login shell's PATH, so .profile puts bin/ there (as a user's would).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    (tmp_path / ".profile").write_text(f'PATH="{bin_dir}:$PATH"\nexport PATH\n')

    dirs = make_dirs(tmp_path / "code-server")
    dirs.write_settings({**SETTINGS, "workbench.colorTheme": THEMES[0].setting})
    install_extension(vsix, dirs, env)

    shots = tmp_path / "screenshots"
    shots.mkdir()
    console: list[tuple[str, str]] = []
    results: dict[str, list[TextContrast]] = {}
    narrow: list[str] = []
    try:
        with running_code_server(dirs, env) as base, chromium_page() as page:
            page.on("console", functools.partial(keep_console, console))
            page.on("response", functools.partial(keep_http_error, console))
            try:
                page.goto(folder_url(base, repo), timeout=60_000)
                wait_for_workbench(page)
                walk = Walk(page, open_chat_view(page), fake_minimax, repo, shots)
                step_no_server(walk, bin_dir, venv_bin, dirs.user_data / "logs")
                step_no_key_then_set_key(walk)
                step_chat_with_thinking_and_a_tool(walk)
                step_fix_with_m2(walk)
                step_explain_with_m2(walk)
                step_stop(walk)
                session_id = step_session_picker(walk)
                step_terminal(walk, session_id)
                results, narrow = step_themes(walk)
            except BaseException:
                with contextlib.suppress(Exception):  # the page may be what broke
                    page.screenshot(path=str(shots / "failure.png"))
                    (shots / "failure.html").write_text(page.content())
                raise
    finally:
        keep_artifacts(ARTIFACTS, shots, dirs, console, {"contrast.txt": report_of(results)})

    # Nothing went wrong on the way that the view did not show.
    assert not logged_errors(dirs, console), "\n".join(logged_errors(dirs, console))
    # The fake saw every request's history as it sent it (thinking included) and nothing unscripted.
    assert not fake_minimax.violations, fake_minimax.violations
    # Every theme was measured, text and all.
    assert len(results) == 2 * (len(THEMES) + len(DEFAULT_THEMES))
    assert all(len(measured) >= 10 for measured in results.values()), {k: len(v) for k, v in results.items()}
    # In the four themes the issue names, every text element that is not a disabled control reads at 4.5:1
    # (1.139's two default themes are measured and reported in contrast.txt, not held to it: their own
    # input placeholder colour is under 4.5:1). At 200 px everything fits.
    required = {f"{t.label} ({w})" for t in THEMES for w in ("wide", f"{NARROW}px")}
    failing = {name: too_faint(measured) for name, measured in results.items() if name in required}
    failing = {name: found for name, found in failing.items() if found}
    assert not failing and not narrow, (
        f"text under {MINIMUM_TEXT_CONTRAST}:1 (all of it in {ARTIFACTS}/contrast.txt): {failing}; "
        f"at {NARROW} px: {narrow}"
    )
