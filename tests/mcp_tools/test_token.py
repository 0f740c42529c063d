"""The HTTP token loader on real files: a token file anyone else could know is never kept."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from mcp_tools.server.token import TOKEN_FILE, TokenFileError, load_or_create_token

OLD = "o" * 43  # a well-formed token that must not survive an exposed file
NOBODY = 65534
as_root = pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def plant(home: Path, mode: int, token: str = OLD) -> Path:
    home.mkdir(mode=0o700, exist_ok=True)
    path = home / TOKEN_FILE
    path.write_text(token + "\n")
    path.chmod(mode)
    return path


def test_the_first_run_makes_a_private_token_and_later_runs_keep_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    token, path = load_or_create_token(home)
    assert path == home / TOKEN_FILE and path.read_text() == token + "\n"
    assert len(token) >= 32 and mode_of(path) == 0o600 and mode_of(home) == 0o700
    assert load_or_create_token(home) == (token, path)
    assert [p.name for p in home.iterdir()] == [TOKEN_FILE]  # no temporary file left behind


def test_a_private_token_file_of_ours_is_kept(tmp_path: Path) -> None:
    path = plant(tmp_path / "home", 0o600)
    assert load_or_create_token(tmp_path / "home") == (OLD, path)


@pytest.mark.parametrize(
    "mode", [0o644, 0o640, 0o604, 0o660, 0o602, 0o700, 0o444], ids=lambda mode: f"{mode:04o}"
)
def test_a_token_file_others_could_read_or_write_is_replaced_not_kept(
    tmp_path: Path, mode: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = plant(tmp_path / "home", mode)
    token, same = load_or_create_token(tmp_path / "home")
    assert same == path
    if mode & 0o077:
        # The old token may have leaked: tightening the mode would keep it, so it is replaced.
        assert token != OLD and path.read_text().strip() == token
        assert mode_of(path) == 0o600
        assert f"{path} was open to others" in capsys.readouterr().err
    else:
        assert token == OLD  # 0700 on a file: odd, but private


def test_a_symlinked_token_file_is_not_followed_and_its_target_is_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere-token"
    elsewhere.write_text(OLD + "\n")
    elsewhere.chmod(0o600)
    (home / TOKEN_FILE).symlink_to(elsewhere)
    token, path = load_or_create_token(home)
    assert token != OLD
    assert not path.is_symlink() and mode_of(path) == 0o600 and path.read_text().strip() == token
    assert elsewhere.read_text() == OLD + "\n" and mode_of(elsewhere) == 0o600
    assert "is a symbolic link" in capsys.readouterr().err


def test_a_dangling_symlink_creates_nothing_at_its_target(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    target = tmp_path / "planted-by-someone"
    (home / TOKEN_FILE).symlink_to(target)
    token, path = load_or_create_token(home)
    assert not target.exists() and not path.is_symlink() and path.read_text().strip() == token


@as_root
def test_a_token_file_of_another_user_is_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = plant(tmp_path / "home", 0o600)
    os.chown(path, NOBODY, NOBODY)
    token, _ = load_or_create_token(tmp_path / "home")
    assert token != OLD and path.stat().st_uid == os.getuid() and mode_of(path) == 0o600
    assert "belongs to another user" in capsys.readouterr().err


@as_root
def test_a_data_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    plant(tmp_path / "home", 0o600)
    os.chown(tmp_path / "home", NOBODY, NOBODY)
    with pytest.raises(TokenFileError, match="belongs to another user"):
        load_or_create_token(tmp_path / "home")


def test_a_data_folder_others_can_write_is_made_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)
    load_or_create_token(home)
    assert mode_of(home) == 0o700


def test_a_fifo_in_place_of_the_token_file_does_not_hang_the_loader(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    fifo = home / TOKEN_FILE
    os.mkfifo(fifo, 0o600)
    result: list[tuple[str, Path]] = []
    worker = threading.Thread(target=lambda: result.append(load_or_create_token(home)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():
        # Unblock the loader so the test run can end, then fail.
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("the loader blocked opening a FIFO")
    [(token, path)] = result
    assert stat.S_ISREG(path.lstat().st_mode) and path.read_text().strip() == token


@pytest.mark.parametrize("content", ["short", "x" * 43 + " extra words", "é" * 43, "", "a" * 5000])
def test_a_malformed_token_is_replaced(tmp_path: Path, content: str) -> None:
    path = plant(tmp_path / "home", 0o600, token=content)
    token, _ = load_or_create_token(tmp_path / "home")
    assert token != content.strip() and len(token) >= 32 and path.read_text().strip() == token


def test_a_folder_in_place_of_the_token_file_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / TOKEN_FILE).mkdir(parents=True)
    with pytest.raises(TokenFileError, match="remove it"):
        load_or_create_token(home)
