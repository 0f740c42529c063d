"""Which input lines are slash commands, which are refused, and which go to M2 as written."""

import pytest

from m2bridge.cli.slash import COMMANDS, Command, Message, Unknown, help_text, read_line


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_known_command_is_read_as_itself_in_any_case(name):
    assert read_line(name) == Command(name, "")
    assert read_line(name.upper()) == Command(name, "")


def test_a_command_keeps_what_follows_it_so_the_chat_can_refuse_arguments():
    assert read_line("/think  on please") == Command("/think", "on please")


@pytest.mark.parametrize("line", ["/thnik", "/tmp is full", "/HELPME now", "/re-do"])
def test_a_slash_word_that_is_no_command_is_unknown_not_a_message(line):
    assert read_line(line) == Unknown(line.split()[0])


@pytest.mark.parametrize(
    "line", ["/etc/hosts is missing", "/", "/ spaced", "/1st try", "what does /help do?", "C:/x"]
)
def test_paths_and_other_slashes_go_to_m2_as_written(line):
    assert read_line(line) == Message(line)


def test_a_double_slash_sends_the_rest_with_one_slash():
    assert read_line("//tmp is full") == Message("/tmp is full")
    assert read_line("//help") == Message("/help")


def test_help_names_every_command_but_the_quit_alias_and_how_to_escape_a_slash():
    text = help_text()
    assert all(name in text for name in COMMANDS if name != "/quit")
    assert "//" in text and "Ctrl-C" in text
