"""`m2bridge mcp` start-up: the cyclic collector is off while the SDK loads, and on again while serving."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.sandbox import Sandbox

# A fresh process runs the real `main`; its stdio transport is replaced by one that notes the collector's
# state when serving begins (stdin is at its end, so a real one would stop at once).
SERVE = """
import gc, json, sys
import mcp_tools.server.stdio as stdio
from mcp_tools.server import cli

seen = {}

async def note(server):
    seen["serving"] = gc.isenabled()

stdio.run_stdio = note
code = cli.main(["--root", sys.argv[1]])
print(json.dumps({"code": code, "serving": seen.get("serving"), "after": gc.isenabled()}))
"""


def test_the_collector_is_on_while_the_server_serves_and_after_it_ends(sandbox: Sandbox) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVE, str(sandbox.root)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "M2BRIDGE_HOME": str(sandbox.home)},
    )
    assert json.loads(done.stdout.splitlines()[-1]) == {"code": 0, "serving": True, "after": True}
