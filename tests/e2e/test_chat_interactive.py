"""The interactive chat in a real pseudo-terminal."""

import sys

import pexpect

from tests.fakes.minimax import Reply
from tests.support.env import m2_env, run_json


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
