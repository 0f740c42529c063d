"""`harden_process`: the process becomes non-dumpable, so a same-user process cannot read its environ."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_DUMPABLE is Linux's")

NOBODY = 65534
# Reads its parent's environ from a child, before or after the parent hardens itself.
_PROBE = """
import subprocess, sys
from m2bridge.process_guard import harden_process, is_dumpable
before = is_dumpable()
hardened = harden_process() if sys.argv[1] == "harden" else None
child = subprocess.run(["cat", f"/proc/{__import__('os').getpid()}/environ"], capture_output=True)
print(before, hardened, is_dumpable(), b"sk-probe-key" in child.stdout, child.returncode)
"""


def _probe(mode: str, *, ordinary_user: bool) -> list[str]:
    argv = [sys.executable, "-c", _PROBE, mode]
    if ordinary_user and os.geteuid() == 0:  # root reads a non-dumpable process's environ anyway
        # nobody, like an ordinary user; CAP_DAC_READ_SEARCH only to reach the interpreter under /root.
        caps = ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
        argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *caps, *argv]
    env = {**os.environ, "MINIMAX_API_KEY": "sk-probe-key", "PYTHONPATH": os.getcwd()}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_harden_process_makes_the_process_non_dumpable_and_says_so():
    before, hardened, after, _, _ = _probe("harden", ordinary_user=False)
    assert (before, hardened, after) == ("True", "True", "False")


@pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None, reason="as root, setpriv runs the probe as nobody"
)
def test_a_same_user_child_reads_the_key_only_from_a_process_that_did_not_harden():
    *_, leaked, status = _probe("plain", ordinary_user=True)
    assert (leaked, status) == ("True", "0")  # the attack works without the guard
    *_, leaked, status = _probe("harden", ordinary_user=True)
    assert (leaked, status) == ("False", "1")


def test_a_hardened_parent_still_gives_its_children_a_dumpable_life():
    """exec resets the flag: the commands the server runs are ordinary, debuggable processes."""
    code = (
        "import subprocess, sys; from m2bridge.process_guard import harden_process; harden_process(); "
        "print(subprocess.run([sys.executable, '-c', 'from m2bridge.process_guard import is_dumpable; "
        "print(is_dumpable())'], capture_output=True, text=True).stdout)"
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.strip() == "True", out.stderr
