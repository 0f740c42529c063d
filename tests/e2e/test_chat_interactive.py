"""The interactive chat in a real pseudo-terminal."""

import json
import stat
import subprocess
import sys
import time

import pexpect
import pytest

from tests.fakes.minimax import Fault, Reply
from tests.support.env import m2_env, run_cli, run_json


def spawn_chat(env, cwd, *args):
    return pexpect.spawn(
        sys.executable,
        ["-m", "m2bridge", "chat", *args],
        env=env,
        cwd=str(cwd),
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 200),
    )


def test_ctrl_c_stops_a_turn_not_the_program_and_the_conversation_goes_on(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    fake_minimax.script(Reply("Hello from M2."), Reply("word " * 400), Reply("Still here."))
    chat = spawn_chat(env, tmp_path)
    chat.expect("> ")
    chat.sendline("hi")
    chat.expect("Hello from M2.")
    chat.expect("> ")
    fake_minimax.token_delay = 0.05
    chat.sendline("talk a lot")
    chat.expect("word")
    chat.sendintr()
    chat.expect("stopped; what arrived is kept")
    fake_minimax.token_delay = 0
    chat.expect("> ")
    chat.sendline("/think")
    chat.expect("thinking hidden")
    chat.sendline("are you there?")
    chat.expect("Still here.")
    chat.expect("> ")
    chat.sendline("/exit")
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


def test_interactive_chat_continues_a_session_started_with_p(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    fake_minimax.script(Reply("from -p"), Reply("from the terminal"))
    _, first = run_json(["chat", "-p", "start", "--json"], env, tmp_path)
    chat = spawn_chat(env, tmp_path, "--session", first["session_id"])
    chat.expect("continuing session")
    chat.expect("> ")
    chat.sendline("and now")
    chat.expect("from the terminal")
    chat.expect("> ")
    # Ctrl-D at an empty prompt quits; the prompt may still be entering raw mode, so allow a few tries.
    for _ in range(5):
        chat.sendcontrol("d")
        if chat.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=2) == 0:
            break
    assert not chat.isalive()


def quit_chat(chat):
    chat.sendline("/exit")
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


def user_texts(fake_minimax):
    """The last user message of each request the fake received, as text."""
    texts = []
    for request in fake_minimax.requests:
        content = request.body["messages"][-1]["content"]
        texts.append(content if isinstance(content, str) else "".join(b.get("text", "") for b in content))
    return texts


def test_help_lists_the_commands_and_an_unknown_one_is_refused_instead_of_sent(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    fake_minimax.script(Reply("a path, then."), Reply("escaped, then."))
    chat = spawn_chat(env, tmp_path)
    chat.expect("/help lists the commands")
    chat.expect("> ")
    chat.sendline("/help")
    for name in ("/help", "/think", "/new", "/session", "/exit", "//text"):
        chat.expect_exact(name)
    chat.expect("> ")
    chat.sendline("/thnik")
    chat.expect_exact("unknown command /thnik; /help lists them")
    chat.expect("> ")
    chat.sendline("/think now")
    chat.expect_exact("/think takes no arguments")
    chat.expect("> ")
    chat.sendline("/etc/hosts is missing")
    chat.expect_exact("a path, then.")
    chat.expect("> ")
    chat.sendline("//tmp is full")
    chat.expect_exact("escaped, then.")
    chat.expect("> ")
    quit_chat(chat)
    assert [text.strip() for text in user_texts(fake_minimax)] == ["/etc/hosts is missing", "/tmp is full"]


def test_after_ctrl_c_the_context_line_keeps_the_sessions_figure(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    fake_minimax.script(Reply("Hello from M2."), Reply("word " * 400))
    chat = spawn_chat(env, tmp_path)
    chat.expect("> ")
    chat.sendline("hi")
    chat.expect(r"context ([\d,]+) / ")
    before = chat.match.group(1)
    assert before != "0"
    chat.expect("> ")
    fake_minimax.token_delay = 0.05
    chat.sendline("talk a lot")
    chat.expect("word")
    chat.sendintr()
    chat.expect(r"context ([\d,]+) / ")
    assert chat.match.group(1) == before
    chat.expect("stopped; what arrived is kept")
    fake_minimax.token_delay = 0
    chat.expect("> ")
    quit_chat(chat)


def test_a_retry_is_announced_while_the_chat_waits(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    fake_minimax.script(Fault.rate_limited(retry_after=0.1), Reply("after the wait"))
    chat = spawn_chat(env, tmp_path)
    chat.expect("> ")
    chat.sendline("hi")
    chat.expect_exact("429, retrying in 0.1 s (retry 1 of 4)")
    chat.expect_exact("after the wait")
    chat.expect("> ")
    quit_chat(chat)


def test_a_failed_first_turn_stores_nothing_and_the_next_message_starts_afresh(tmp_path, fake_minimax):
    (tmp_path / "config.toml").write_text("max_retries = 0\n")
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    fake_minimax.script(Fault.server_error(), Reply("fine now"))
    chat = spawn_chat(env, tmp_path)
    chat.expect("> ")
    chat.sendline("hello")
    chat.expect("HTTP 500|internal")
    chat.expect("> ")
    assert json.loads(run_cli(["sessions", "list", "--json"], env, tmp_path).stdout) == []
    chat.sendline("/session")
    chat.expect("no session yet")
    chat.expect("> ")
    chat.sendline("again")
    chat.expect("fine now")
    chat.expect("> ")
    quit_chat(chat)
    listed = json.loads(run_cli(["sessions", "list", "--json"], env, tmp_path).stdout)
    assert [(s["title"], s["turns"]) for s in listed] == [("again", 2)]


def test_ctrl_c_before_m2_answers_the_first_turn_stores_nothing(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    fake_minimax.script(Fault.slow_first_byte(60, Reply("too late")))
    chat = spawn_chat(env, tmp_path)
    chat.expect("> ")
    chat.sendline("hello")
    for _ in range(200):  # until the request is at the fake, waiting for its first byte
        if fake_minimax.requests:
            break
        time.sleep(0.05)
    chat.sendintr()
    chat.expect_exact("(stopped before M2 answered)")
    chat.expect("> ")
    quit_chat(chat)
    assert json.loads(run_cli(["sessions", "list", "--json"], env, tmp_path).stdout) == []


@pytest.mark.parametrize("existing", [False, True], ids=["new file", "existing 0644 file"])
def test_the_history_file_is_readable_only_by_its_owner(tmp_path, fake_minimax, existing):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    history = tmp_path / "home" / "chat_history"
    if existing:
        history.parent.mkdir(mode=0o700)
        history.write_text("\n# 2024-01-01 00:00:00\n+an old line\n")
        history.chmod(0o644)
    chat = spawn_chat(env, tmp_path)
    chat.expect("> ")
    chat.sendline("/session")
    chat.expect("no session yet")
    chat.expect("> ")
    quit_chat(chat)
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    assert "/session" in history.read_text()


def test_continuing_a_session_of_another_project_names_its_workspace(tmp_path, fake_minimax):
    env = m2_env(tmp_path, fake_minimax, TERM="dumb")
    one, other = tmp_path / "one", tmp_path / "other"
    for repo in (one, other):
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    fake_minimax.script(Reply("in one"))
    _, first = run_json(["chat", "-p", "a", "--json"], env, one)
    chat = spawn_chat(env, other, "--session", first["session_id"])
    chat.expect("continuing session")
    shown = " ".join(chat.before.split())  # the terminal may wrap the long line anywhere between words
    assert f"session {first['session_id']} belongs to {one}; continuing it here" in shown
    chat.expect("> ")
    quit_chat(chat)
