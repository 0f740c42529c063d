"""`m2bridge lsp` ends the way the protocol says: `shutdown`, then `exit`, gives exit code 0 and a quiet
stderr. (pygls closes stdout on `exit`; the entry point's last flush must not trip over that.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.lsp_wire import RawLspPipe
from tests.support.mcp_clients import server_env


def test_shutdown_then_exit_ends_the_language_server_with_0_and_nothing_on_stderr(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "m2bridge", "lsp"],
        env=server_env(tmp_path / "home"),
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        pipe = RawLspPipe(server)
        pipe.send({"id": 1, "method": "initialize", "params": {"processId": None, "capabilities": {}}})
        assert pipe.answer_to(1, timeout=60)["result"]["serverInfo"]["name"] == "m2bridge"
        pipe.send({"id": 2, "method": "shutdown"})
        assert pipe.answer_to(2, timeout=60)["result"] is None
        pipe.send({"method": "exit"})
        assert server.wait(timeout=60) == 0
        assert server.stderr is not None and server.stderr.read() == b""
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=60)
        for stream in (server.stdin, server.stdout, server.stderr):
            if stream is not None:
                stream.close()
