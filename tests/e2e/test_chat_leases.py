"""A killed or hung-up `chat` leaves its session usable at once; a live one keeps it busy.

Real processes against the strict fake: the fake streams slowly (a delay between frames), so a chat
is caught mid-turn holding its session's lease, then killed, hung up or left running.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pexpect

from tests.fakes.minimax import Reply
from tests.support.env import m2_env, run_cli, run_json

SLOW = 0.3  # seconds between streamed frames: a long reply then takes far longer than any test step
LONG = Reply("word " * 300, thinking="Short.")


class Chat:
    """`m2bridge chat -p ...` as a child process whose output is collected as it arrives."""

    def __init__(self, args, env, cwd, preexec_fn=None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "m2bridge", "chat", *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=preexec_fn,
        )
        self.out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while chunk := os.read(self.proc.stdout.fileno(), 4096):
            self.out += chunk

    def wait_for_text(self, wanted=b"word", timeout=30):
        deadline = time.monotonic() + timeout
        while wanted not in self.out:
            assert self.proc.poll() is None, f"chat ended early: {self.finish()}"
            assert time.monotonic() < deadline, f"no {wanted!r} within {timeout}s: {bytes(self.out)!r}"
            time.sleep(0.05)

    def finish(self, timeout=30):
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, bytes(self.out), stderr


def store_rows(env):
    db = os.path.join(env["M2BRIDGE_HOME"], "sessions.db")
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, lease_owner FROM sessions").fetchall()
    finally:
        conn.close()


def start_stalled_chat(tmp_path, fake_minimax, env, *args):
    fake_minimax.token_delay = SLOW
    fake_minimax.script(LONG)
    chat = Chat(["-p", "talk a lot", *args], env, tmp_path)
    chat.wait_for_text()
    ((session_id, owner),) = store_rows(env)
    assert owner is not None  # mid-turn: the chat holds the lease
    fake_minimax.token_delay = 0
    return chat, session_id


def shown(env, tmp_path, session_id):
    proc = run_cli(["sessions", "show", session_id, "--json"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["turns"]


def test_a_chat_killed_mid_turn_leaves_its_session_usable_at_once(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    chat, session_id = start_stalled_chat(tmp_path, fake_minimax, env)
    chat.proc.send_signal(signal.SIGKILL)
    assert chat.finish()[0] == -signal.SIGKILL
    assert store_rows(env)[0][1] is not None  # the dead process could not release its lease

    fake_minimax.script(Reply("After the crash."))
    code, out = run_json(["chat", "-p", "are you there?", "--continue", "--json"], env, tmp_path)
    assert out["error"] is None and (code, out["text"]) == (0, "After the crash.")
    assert out["session_id"] == session_id


def test_a_hung_up_chat_stores_what_arrived_marked_incomplete_and_releases_its_lease(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    chat, session_id = start_stalled_chat(tmp_path, fake_minimax, env)
    chat.proc.send_signal(signal.SIGHUP)
    code, printed, stderr = chat.finish()
    assert code >= 0 and b"Traceback" not in stderr, stderr  # it ended by itself, not by the signal
    assert store_rows(env) == [(session_id, None)]
    turns = shown(env, tmp_path, session_id)
    assert [t["kind"] for t in turns] == ["user", "assistant"]
    assert turns[1]["incomplete"] is True
    kept = "".join(b["text"] for b in turns[1]["blocks"] if b["type"] == "text")
    assert kept.startswith("word") and kept in printed.decode()

    fake_minimax.script(Reply("Still here."))
    code, out = run_json(["chat", "-p", "go on", "--session", session_id, "--json"], env, tmp_path)
    assert (code, out["text"], out["error"]) == (0, "Still here.", None)


def test_a_lease_held_by_a_live_chat_still_makes_the_session_busy(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    chat, session_id = start_stalled_chat(tmp_path, fake_minimax, env)
    try:
        code, out = run_json(["chat", "-p", "me too", "--session", session_id, "--json"], env, tmp_path)
        assert code == 1 and out["error"]["code"] == "session_busy"
        assert run_cli(["sessions", "rm", session_id], env, tmp_path).returncode == 1
    finally:
        chat.proc.send_signal(signal.SIGTERM)
        assert chat.finish()[0] == 0
    assert store_rows(env) == [(session_id, None)]
    assert shown(env, tmp_path, session_id)[-1]["incomplete"] is True


def test_a_chat_started_with_nohup_lets_the_turn_outlive_a_hang_up(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax)
    fake_minimax.token_delay = 0.1
    fake_minimax.script(Reply("word " * 20, thinking="Short."))

    def ignore_hangups():  # what nohup does before it starts the program
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    chat = Chat(["-p", "talk", "--json"], env, tmp_path, preexec_fn=ignore_hangups)
    deadline = time.monotonic() + 30
    while not fake_minimax.turns:  # the answer is streaming
        assert time.monotonic() < deadline and chat.proc.poll() is None
        time.sleep(0.05)
    chat.proc.send_signal(signal.SIGHUP)
    code, printed, stderr = chat.finish()
    out = json.loads(printed)
    assert code == 0 and out["stop_reason"] == "end_turn" and out["incomplete"] is False, stderr
    assert out["text"].split() == ["word"] * 20


def _wait_for_exit(pid, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError("the chat did not end when its terminal closed")


def test_closing_the_terminal_of_an_interactive_chat_keeps_the_turn_and_frees_the_session(
    tmp_path, fake_minimax
):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    fake_minimax.script(LONG)
    chat = pexpect.spawn(
        sys.executable, ["-m", "m2bridge", "chat"], env=env, cwd=str(tmp_path), encoding="utf-8", timeout=20
    )
    chat.expect("> ")
    fake_minimax.token_delay = SLOW
    chat.sendline("talk a lot")
    chat.expect("word")
    fake_minimax.token_delay = 0
    # Closing the terminal's master side hangs up the chat (the kernel sends it SIGHUP).
    os.close(chat.child_fd)
    chat.child_fd = -1
    status = _wait_for_exit(chat.pid)
    assert not os.WIFSIGNALED(status), f"killed by signal {os.WTERMSIG(status)}"
    ((session_id, owner),) = store_rows(env)
    assert owner is None
    turns = shown(env, tmp_path, session_id)
    assert turns[-1]["kind"] == "assistant" and turns[-1]["incomplete"] is True

    fake_minimax.script(Reply("Back again."))
    code, out = run_json(["chat", "-p", "hello?", "--continue", "--json"], env, tmp_path)
    assert (code, out["text"], out["session_id"]) == (0, "Back again.", session_id)
