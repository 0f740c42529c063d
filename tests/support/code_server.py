"""A real VS Code for end-to-end tests: code-server (installed by scripts/code-server) driven by Debian's
headless Chromium through Playwright.

code-server runs in its own process group, which is killed whole on the way out (it leaves file-watcher
processes behind otherwise). Every wait here is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
CODE_SERVER = ROOT / ".ci" / ".code-server" / "bin" / "code-server"
CHROMIUM = Path("/usr/bin/chromium")
EXTENSION_DIR = ROOT / "vscode-ext"
VSIX = EXTENSION_DIR / "m2bridge.vsix"
ARTIFACTS = ROOT / "test-artifacts" / "vscode-smoke"

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
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed: run scripts/setup --test"
    return None


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
def running_code_server(dirs: CodeServerDirs, env: dict[str, str], timeout: float = 60) -> Iterator[str]:
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
def chromium_page(viewport: tuple[int, int] = (1400, 900)) -> Iterator[Any]:
    """A Playwright page in Debian's headless Chromium (Playwright never downloads a browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
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
