"""A real VS Code for end-to-end tests: code-server (installed by scripts/code-server) driven by Debian's
headless Chromium through Playwright.

code-server runs in its own process group, which is killed whole on the way out (it leaves file-watcher
processes behind otherwise). Every wait here is bounded.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import pytest

from tests.support.contrast import (
    BACKDROP_JS,
    COLLECT_TEXT_JS,
    TextContrast,
    flatten,
    parse_css_color,
    text_contrasts,
)

ROOT = Path(__file__).resolve().parents[2]
CODE_SERVER = ROOT / ".ci" / ".code-server" / "bin" / "code-server"
CHROMIUM = Path("/usr/bin/chromium")
EXTENSION_DIR = ROOT / "vscode-ext"
VSIX = EXTENSION_DIR / "m2bridge.vsix"
ARTIFACTS = ROOT / "test-artifacts" / "vscode-smoke"
EXTENSION_ID = "m2bridge.m2bridge"

# A quiet workbench: no telemetry, update checks or experiments (nothing off this machine is reached;
# the gallery is off through EXTENSIONS_GALLERY), and no welcome page or secondary side bar.
SETTINGS: dict[str, Any] = {
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.enableExperiments": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "update.mode": "none",
    "git.autofetch": False,
    # The DOM renderer: the terminal's text is in the page (a WebGL canvas would hide it from the tests).
    "terminal.integrated.gpuAcceleration": "off",
}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing_prerequisites() -> str | None:
    """Why the real-VS-Code test cannot run here, or None when it can."""
    if not CODE_SERVER.is_file():
        return f"code-server is not installed ({CODE_SERVER.relative_to(ROOT)}): run scripts/code-server"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing: run scripts/code-server (it apt-installs chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is not installed: run scripts/setup --test"
    return None


def unavailable(reason: str) -> NoReturn:
    """Skip a real-VS-Code test whose prerequisites are missing; under CI (CI=true) fail it instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (.ci/run installs it before the slow tests)")
    pytest.skip(reason)


def the_vsix() -> Path:
    """M2BRIDGE_TEST_VSIX, else vscode-ext/m2bridge.vsix, packaged first when its sources are newer."""
    override = os.environ.get("M2BRIDGE_TEST_VSIX")
    if override:
        return Path(override)
    buildable = (EXTENSION_DIR / "node_modules").is_dir()
    if buildable and (not VSIX.is_file() or vsix_sources_newer_than(VSIX)):
        package_extension()
    if not VSIX.is_file():
        unavailable("vscode-ext/m2bridge.vsix is missing: cd vscode-ext && npm ci && npm run package")
    return VSIX


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class CodeServerDirs:
    """Everything code-server writes, kept under one test-owned folder."""

    root: Path

    @property
    def user_data(self) -> Path:
        return self.root / "user-data"

    @property
    def extensions(self) -> Path:
        return self.root / "extensions"

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def output(self) -> Path:
        return self.root / "code-server.out"

    def base_args(self) -> list[str]:
        return [
            "--config",
            str(self.config),
            "--user-data-dir",
            str(self.user_data),
            "--extensions-dir",
            str(self.extensions),
        ]

    def write_settings(self, settings: dict[str, Any]) -> None:
        user = self.user_data / "User"
        user.mkdir(parents=True, exist_ok=True)
        (user / "settings.json").write_text(json.dumps(settings, indent=2))


def make_dirs(root: Path) -> CodeServerDirs:
    dirs = CodeServerDirs(root)
    for path in (dirs.user_data, dirs.extensions):
        path.mkdir(parents=True, exist_ok=True)
    dirs.config.write_text("auth: none\n")
    return dirs


def offline(env: dict[str, str]) -> dict[str, str]:
    """code-server's environment: no extension gallery (it would query open-vsx.org at startup)."""
    return {**env, "EXTENSIONS_GALLERY": "{}"}


def install_extension(vsix: Path, dirs: CodeServerDirs, env: dict[str, str], timeout: float = 120) -> str:
    """`code-server --install-extension` (its own short-lived invocation); returns its output."""
    proc = subprocess.run(
        [str(CODE_SERVER), *dirs.base_args(), "--install-extension", str(vsix), "--force"],
        env=offline(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"--install-extension failed ({proc.returncode}):\n{output}"
    return output


def list_extensions(dirs: CodeServerDirs, env: dict[str, str], timeout: float = 60) -> list[str]:
    proc = subprocess.run(
        [str(CODE_SERVER), *dirs.base_args(), "--list-extensions", "--show-versions"],
        env=offline(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    return [line.strip() for line in proc.stdout.splitlines() if "@" in line]


def _kill_group(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; children of the group (watchers, the extension host) may linger.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], dirs: CodeServerDirs, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"code-server exited with {proc.returncode}:\n{dirs.output.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(
        f"code-server not healthy after {timeout} s:\n{dirs.output.read_text(errors='replace')}"
    )


@contextlib.contextmanager
def running_code_server(dirs: CodeServerDirs, env: dict[str, str], timeout: float = 60) -> Generator[str]:
    """Start code-server on a free loopback port; yields its base URL (with a trailing slash)."""
    port = free_port()
    args = [
        str(CODE_SERVER),
        *dirs.base_args(),
        "--bind-addr",
        f"127.0.0.1:{port}",
        "--auth",
        "none",
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
    ]
    url = f"http://127.0.0.1:{port}/"
    with dirs.output.open("wb") as out:
        proc = subprocess.Popen(
            args,
            env=offline(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(url, proc, dirs, timeout)
        yield url
    finally:
        _kill_group(proc)


def folder_url(base: str, folder: Path) -> str:
    return f"{base}?folder={quote(str(folder))}"


@contextlib.contextmanager
def chromium_page(viewport: tuple[int, int] = (1400, 900)) -> Generator[Any]:
    """A Playwright page in Debian's headless Chromium (Playwright never downloads a browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            # VS Code's clipboard (a code block's Copy) is the browser's in code-server.
            context.grant_permissions(["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def wait_for_workbench(page: Any, timeout: float = 60) -> None:
    """The workbench has loaded a folder: the explorer shows its tree."""
    page.locator(".monaco-workbench").wait_for(state="visible", timeout=timeout * 1000)
    page.locator(".explorer-folders-view .monaco-list-row").first.wait_for(
        state="visible", timeout=timeout * 1000
    )


def log_files(dirs: CodeServerDirs, pattern: str) -> list[Path]:
    """Log files under the user-data dir's logs/<session>/ (e.g. `exthost*/remoteexthost.log`)."""
    return sorted((dirs.user_data / "logs").rglob(pattern))


_ENTRY_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[(\w+)\]")


def log_entries(path: Path) -> list[tuple[str, str]]:
    """(level, text) per entry of a VS Code log file; an entry's continuation lines (a stack) join it."""
    entries: list[tuple[str, str]] = []
    for line in path.read_text(errors="replace").splitlines():
        match = _ENTRY_START.match(line)
        if match:
            entries.append((match.group(1), line))
        elif entries:
            level, text = entries[-1]
            entries[-1] = (level, text + "\n" + line)
    return entries


def vsix_sources_newer_than(vsix: Path) -> list[Path]:
    """The extension's sources changed since `vsix` was packaged (what `npm run package` reads)."""
    built = vsix.stat().st_mtime
    sources = [EXTENSION_DIR / "package.json"]
    for folder in ("src", "media"):
        sources += [p for p in (EXTENSION_DIR / folder).rglob("*") if p.is_file()]
    return [p for p in sources if p.exists() and p.stat().st_mtime > built]


def package_extension(timeout: float = 300) -> None:
    """`npm run package` in vscode-ext (its node_modules must exist): writes vscode-ext/m2bridge.vsix."""
    proc = subprocess.run(
        ["npm", "run", "package"],
        cwd=EXTENSION_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    assert proc.returncode == 0 and VSIX.is_file(), f"npm run package failed:\n{proc.stdout}\n{proc.stderr}"


def wait_until(what: str, check: Callable[[], bool], timeout: float, every: float = 0.1) -> None:
    """Poll `check` until it holds; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# -- themes


@dataclass(frozen=True)
class Theme:
    """A built-in colour theme: its `workbench.colorTheme` value and the name VS Code shows for it."""

    setting: str
    label: str

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.label.lower()).strip("-")


# The four the issue names, by the ids VS Code 1.139 ships (extensions/theme-defaults; the older
# "Default Dark Modern" and "Default Light Modern" settings are migrated to these ids).
THEMES = (
    Theme("Dark Modern", "Dark Modern"),
    Theme("Light Modern", "Light Modern"),
    Theme("Default High Contrast", "Dark High Contrast"),
    Theme("Default High Contrast Light", "Light High Contrast"),
)
# VS Code 1.139's defaults for a new profile (what a user who never chose a theme sees).
DEFAULT_THEMES = (Theme("Dark 2026", "Dark 2026"), Theme("Light 2026", "Light 2026"))


def run_command(page: Any, title: str) -> None:
    """Run a command from the Command Palette (F1), by the title it shows there."""
    page.keyboard.press("F1")
    box = page.locator(".quick-input-widget .quick-input-box input")
    box.wait_for(state="visible", timeout=10_000)
    box.fill(">" + title)
    pick(page, title)


def open_file(page: Any, name: str) -> None:
    """Open a file of the workspace through Quick Open, as a user would; returns once its editor shows."""
    page.keyboard.press("F1")
    box = page.locator(".quick-input-widget .quick-input-box input")
    box.wait_for(state="visible", timeout=10_000)
    box.fill(name)
    label = page.locator(".label-name", has_text=re.compile(f"^{re.escape(name)}$"))
    row = page.locator(".quick-input-widget .monaco-list-row").filter(has=label).first
    row.wait_for(timeout=10_000)
    row.click()
    page.locator(f'.tabs-container .tab.active[aria-label^="{name}"]').wait_for(timeout=10_000)
    page.locator(
        ".editor-instance .monaco-editor textarea, .editor-instance .monaco-editor .native-edit-context"
    ).first.wait_for(state="attached", timeout=10_000)


def terminal_text(page: Any) -> str:
    """What the visible terminal shows (its DOM renderer's rows)."""
    rows = page.locator(".terminal-wrapper.active .xterm-rows")
    return " ".join(rows.all_text_contents()).replace("\xa0", " ")


def toasts(page: Any) -> list[str]:
    """The notifications showing as toasts in the workbench's corner."""
    return page.locator(".notifications-toasts .notification-toast").all_text_contents()


def pick(page: Any, label: str) -> None:
    """Choose the row `label` (exactly) in the open quick pick, once its filter shows it."""
    name = page.locator(".label-name", has_text=re.compile(f"^{re.escape(label)}$"))
    row = page.locator(".quick-input-widget .monaco-list-row").filter(has=name)
    wait_until(f"{label!r} in the quick pick", lambda: row.count() == 1, timeout=10)
    row.click()


def switch_theme(page: Any, theme: Theme, webview: Any) -> None:
    """Choose `theme` in Preferences: Color Theme, as a user would, and wait until the webview `webview`
    (a FrameLocator of its content) is drawn in it."""
    run_command(page, "Preferences: Color Theme")
    box = page.locator(".quick-input-widget .quick-input-box input")
    wait_until("the colour theme picker", lambda: not box.input_value().startswith(">"), timeout=10)
    box.fill(theme.label)
    pick(page, theme.label)
    page.locator(".quick-input-widget").wait_for(state="hidden", timeout=10_000)
    webview.locator(f'body[data-vscode-theme-id="{theme.setting}"]').wait_for(
        state="attached", timeout=30_000
    )


# -- layout

SIDE_BAR = '[id="workbench.parts.sidebar"]'


def side_bar_width(page: Any) -> float:
    box = page.locator(SIDE_BAR).bounding_box()
    assert box is not None, "the side bar is not shown"
    return float(box["width"])


def resize_side_bar(page: Any, width: int) -> None:
    """Drag the sash on the side bar's right edge until the side bar is `width` px wide (as a user would;
    VS Code keeps the width in its layout state)."""
    box = page.locator(SIDE_BAR).bounding_box()
    assert box is not None, "the side bar is not shown"
    edge = box["x"] + box["width"]
    sashes = [s for s in page.locator(".monaco-sash.vertical").all() if s.is_visible()]
    boxes = [b for b in (s.bounding_box() for s in sashes) if b is not None]
    near = [b for b in boxes if abs(b["x"] + b["width"] / 2 - edge) <= 4 and b["height"] > box["height"] / 2]
    assert near, f"no sash on the side bar's edge at x={edge:.0f}: {boxes}"
    sash = near[0]
    x, y = sash["x"] + sash["width"] / 2, sash["y"] + sash["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + width - box["width"], y, steps=8)
    page.mouse.up()
    wait_until(
        f"the side bar {width} px wide (it is {side_bar_width(page):.0f} px)",
        lambda: abs(side_bar_width(page) - width) <= 1,
        timeout=10,
    )


# -- contrast


def webview_selector(extension_id: str) -> str:
    """The outer iframe of an extension's webview in the workbench page."""
    return f'iframe.webview[src*="extensionId={extension_id}"]'


def webview_content(page: Any, extension_id: str) -> Any:
    """A webview's own document: VS Code puts it in an iframe (#active-frame) inside the webview's iframe."""
    return page.frame_locator(webview_selector(extension_id)).frame_locator("#active-frame")


def webview_text_contrasts(page: Any, extension_id: str) -> list[TextContrast]:
    """The contrast of every visible text element of the webview as rendered, worst first: each element's
    colour against its effective background, composed through its ancestors' backgrounds and opacities, then
    through the webview's two iframes' documents and the workbench under them (a webview is transparent)."""
    outer = webview_selector(extension_id)
    host = page.frame_locator(outer)
    under_content = host.locator("html").evaluate(BACKDROP_JS, "#active-frame")
    under_webview = page.locator("html").evaluate(BACKDROP_JS, outer)
    assert under_content is not None and under_webview is not None, "the webview's frames are not in the page"
    backdrop = flatten(parse_css_color(str(c)) for c in [*under_content, *under_webview])
    samples = webview_content(page, extension_id).locator("html").evaluate(COLLECT_TEXT_JS)
    return text_contrasts(samples, backdrop)


# -- the chat view (selectors as the page keeps them: #prompt, .msg-user, .msg-assistant.running, ...)


def chat_frame(page: Any) -> Any:
    """The chat page: VS Code puts a webview's document in an iframe inside the webview's own iframe."""
    return webview_content(page, EXTENSION_ID)


def shown(chat: Any, locator: Any) -> bool:
    """Whether `locator` is in the chat page yet; an error the page shows instead fails at once."""
    errors = chat.locator(".msg-error").all_text_contents()
    assert not errors, f"the chat view shows an error: {errors}"
    return bool(locator.count())


def send(chat: Any, prompt: str) -> None:
    box = chat.locator("#prompt")
    box.fill(prompt)
    box.press("Enter")


def stream_answer(chat: Any, expected: str, timeout: float = 60) -> list[str]:
    """Wait for the last answer to read `expected` with the turn over; returns what it showed on the way."""
    answer = chat.locator(".msg-assistant .answer-text").last
    running = chat.locator(".msg-assistant.running")
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = (answer.text_content(timeout=1000) or "").strip() if answer.count() else ""
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        if text == expected and not shown(chat, running):
            return seen
        time.sleep(0.03)
    raise AssertionError(f"the answer never read {expected!r} with the turn over; it showed {seen}")


def keep_artifacts(
    folder: Path,
    shots: Path,
    dirs: CodeServerDirs,
    console: list[tuple[str, str]],
    extra: dict[str, str] | None = None,
) -> None:
    """Screenshots (and saved pages), the browser console, the logs and any `extra` text files (name:
    text) to `folder`, replaced."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "console.txt").write_text("".join(f"[{kind}] {text}\n" for kind, text in console))
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    for shot in [*shots.glob("*.png"), *shots.glob("*.html")]:
        shutil.copy2(shot, folder / shot.name)
    logs = folder / "logs"
    for path in [*log_files(dirs, "*.log"), dirs.output]:
        if path.is_file():
            target = logs / path.relative_to(dirs.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def keep_console(console: list[tuple[str, str]], message: Any) -> None:
    console.append((str(message.type), str(message.text)))


def keep_http_error(console: list[tuple[str, str]], response: Any) -> None:
    """A request of the workbench's that failed (a missing icon or script of the extension's, say)."""
    if int(response.status) >= 400:
        console.append(("http", f"{response.status} {response.url}"))
