"""`m2bridge lsp` logs to stderr with each line's level, which the VS Code extension reads (client.ts's
serverLogLevel) to log a warning as a warning: vscode-languageclient logs every stderr line as an error."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def test_the_server_logs_a_warning_on_stderr_with_its_level(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "M2BRIDGE_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "m2bridge", "lsp"],
        input=b"Content-Length: abc\r\n\r\n{}",  # a malformed frame: a warning, then the input ends
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    lines = proc.stderr.decode().splitlines()
    assert proc.returncode == 0, lines
    assert any(
        re.match(r"^m2bridge lsp: WARNING lsp\.stdio: dropped a malformed message", line) for line in lines
    ), lines
