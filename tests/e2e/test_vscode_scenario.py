"""The chat view as a user meets it in a real VS Code (code-server, headless Chromium through Playwright):
a turn with thinking, a tool call, inline code and a code block, then the view in every built-in theme and
in a 200 px side bar, with the contrast of every visible text element computed from the rendered colours.

Artifacts go to test-artifacts/vscode-scenario/: a screenshot of the side bar per theme at the default
width and at 200 px, the contrast report of every theme (contrast.txt), the browser console and the logs.
Prerequisites as for test_vscode_smoke.py (scripts/code-server; the test packages the .vsix itself when
vscode-ext/node_modules exists and the sources are newer; M2BRIDGE_TEST_VSIX=<path> tests another).
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import sys
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
    log_files,
    make_dirs,
    missing_prerequisites,
    resize_side_bar,
    running_code_server,
    send,
    switch_theme,
    the_vsix,
    unavailable,
    wait_for_workbench,
    webview_content,
    webview_text_contrasts,
)
from tests.support.contrast import MINIMUM_TEXT_CONTRAST, TextContrast
from tests.support.env import m2_env, make_project

pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]

ARTIFACTS = ROOT / "test-artifacts" / "vscode-scenario"
NARROW = 200
APP = "def answer():\n    return 1\n"
PROMPT = "what does answer() return, and how would I call it?"
# Inline code, a fenced block (highlighted), a link: the parts that were unreadable in Light High Contrast.
ANSWER = (
    "`answer()` returns `1`. Call it like this:\n\n"
    "```python\nfrom app import answer\n\nprint(answer())  # 1\n```\n\n"
    "See https://docs.python.org/3/tutorial/ for more."
)
ANSWER_START = "answer() returns 1."


def keep_artifacts(shots: Path, dirs: CodeServerDirs, console: list[tuple[str, str]], report: str) -> None:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    (ARTIFACTS / "console.txt").write_text("".join(f"[{kind}] {text}\n" for kind, text in console))
    (ARTIFACTS / "contrast.txt").write_text(report)
    for shot in shots.glob("*.png"):
        shutil.copy2(shot, ARTIFACTS / shot.name)
    logs = ARTIFACTS / "logs"
    for path in [*log_files(dirs, "*.log"), dirs.output]:
        if path.is_file():
            target = logs / path.relative_to(dirs.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def keep_console(console: list[tuple[str, str]], message: Any) -> None:
    console.append((str(message.type), str(message.text)))


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


def open_all_details(chat: Any) -> None:
    """Expand every collapsed part of the transcript (thinking, tool output), as a reader would."""
    closed = chat.locator("#transcript details:not([open]) > summary")
    for _ in range(closed.count()):
        closed.first.click()
    assert not closed.count(), "a part of the transcript did not open when its summary was clicked"


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


def test_the_chat_view_reads_well_in_every_built_in_theme_and_in_a_200_px_side_bar(
    tmp_path: Path, fake_minimax: Any
) -> None:
    reason = missing_prerequisites()
    if reason:
        unavailable(reason)
    vsix = the_vsix()

    repo = make_project(tmp_path, APP)
    env = m2_env(tmp_path, fake_minimax)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = f"{venv_bin}:{env['PATH']}"
    (tmp_path / ".profile").write_text(f'PATH="{venv_bin}:$PATH"\nexport PATH\n')

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
            try:
                page.goto(folder_url(base, repo), timeout=60_000)
                wait_for_workbench(page)
                chat = open_chat_view(page)

                # A turn with thinking, a tool call and an answer with code in it.
                fake_minimax.script(
                    CallTools([("read_file", {"path": "app.py"})], thinking="Read app.py to see answer()."),
                    Reply(ANSWER, thinking="It returns the constant 1."),
                )
                send(chat, PROMPT)
                chat.locator(".msg-user", has_text=PROMPT).wait_for(timeout=10_000)
                chat.locator(".tool-card").first.wait_for(timeout=30_000)
                answer = chat.locator(".msg-assistant .answer-text").last
                answer.locator("pre code").wait_for(timeout=60_000)
                assert ANSWER_START in (answer.text_content() or "")
                chat.locator(".msg-assistant.running").wait_for(state="detached", timeout=30_000)
                open_all_details(chat)

                results |= all_themes(page, chat, shots, "wide")
                resize_side_bar(page, NARROW)
                narrow = layout_problems(chat)
                results |= all_themes(page, chat, shots, f"{NARROW}px")
                page.screenshot(path=str(shots / f"workbench-{NARROW}px.png"))
            except BaseException:
                with contextlib.suppress(Exception):  # the page may be what broke
                    page.screenshot(path=str(shots / "failure.png"))
                raise
    finally:
        keep_artifacts(shots, dirs, console, report_of(results))

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
