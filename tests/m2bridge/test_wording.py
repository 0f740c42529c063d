"""Type names in user-facing errors carry the right article: "an integer", never "a int"."""

from pathlib import Path

import pytest

from m2bridge.config import load_settings
from m2bridge.errors import ConfigError
from m2bridge.wording import a_type


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        (dict, "an object"),
        (list, "an array"),
        ("integer", "an integer"),
        ("object", "an object"),
        ("array", "an array"),
        ("boolean", "true or false"),
        (type(None), "null"),
    ],
)
def test_common_type_names_read_as_words_with_their_article(kind: type | str, said: str) -> None:
    assert a_type(kind) == said


@pytest.mark.parametrize(("kind", "said"), [("Enum", "an Enum"), ("Path", "a Path"), (Path, "a Path")])
def test_other_names_get_an_before_a_vowel(kind: type | str, said: str) -> None:
    assert a_type(kind) == said


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('max_steps = "many"', "Setting max_steps must be an integer, got 'many'."),
        ('top_p = "high"', "Setting top_p must be a number, got 'high'."),
    ],
)
def test_a_setting_of_the_wrong_type_names_the_type_with_its_article(
    tmp_path: Path, line: str, message: str
) -> None:
    (tmp_path / "config.toml").write_text(line + "\n")
    with pytest.raises(ConfigError) as raised:
        load_settings({"M2BRIDGE_CONFIG": str(tmp_path / "config.toml")})
    assert str(raised.value) == message
