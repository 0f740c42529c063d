"""m2bridge's own Python under /tmp (a CI checkout's .venv) runs inside the sandbox, whose /tmp is private:
it is bound back read-only, and nothing else of the host's /tmp comes with it."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcp_tools.budget import Spill
from mcp_tools.paths import PathPolicy
from mcp_tools.sandbox import sandbox_support
from mcp_tools.sandbox.bubblewrap import own_installation
from mcp_tools.terminal import RunCommand
from mcp_tools.tool_context import ToolContext

pytestmark = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and sandbox_support().available), reason="needs bubblewrap"
)


@pytest.fixture
def host_tmp() -> Iterator[Path]:
    """A folder in the host's /tmp itself (pytest's tmp_path may be elsewhere)."""
    folder = Path(tempfile.mkdtemp(prefix="m2bridge-own-", dir="/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def test_the_servers_own_python_under_tmp_runs_in_the_sandbox_and_the_rest_of_tmp_stays_hidden(
    host_tmp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = host_tmp / "venv"
    (prefix / "bin").mkdir(parents=True)
    program = prefix / "bin" / "python-stand-in"
    program.write_text("#!/bin/sh\necho the-own-interpreter-runs\n")
    program.chmod(0o755)
    (host_tmp / "beside-the-venv.txt").write_text("host tmp stays private")
    monkeypatch.setattr(sys, "prefix", str(prefix))  # where this server's Python lives, as in a CI clone
    assert str(prefix) in own_installation()
    (tmp_path / "repo").mkdir()
    (tmp_path / "spill").mkdir()
    ctx = ToolContext(
        base_policy=PathPolicy.of([tmp_path / "repo"], read_only_roots=[tmp_path / "spill"]),
        spill=Spill(tmp_path / "spill"),
        workspace=None,  # type: ignore[arg-type]  # the process tools never use it
    )
    ran = await RunCommand(ctx).call(
        {"command": f"{program}; cat {host_tmp / 'beside-the-venv.txt'}; touch {prefix}/written"}
    )
    assert "the-own-interpreter-runs" in ran.content, ran.content
    assert "host tmp stays private" not in ran.content, ran.content
    assert not (prefix / "written").exists()  # bound back read-only


def test_nothing_is_bound_back_when_the_installation_lies_outside_the_replaced_folders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "prefix", "/usr")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "executable", "/usr/bin/python3")
    assert all(not f.startswith("/usr") for f in own_installation())
