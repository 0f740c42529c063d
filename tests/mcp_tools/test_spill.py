"""Spill per server and per roots: whole outputs are private to the scope (real roots and permissions)
that wrote them, in folders of ours (0700) holding files of ours (0600), and nothing planted there is
followed. Attacks issue 11, finding 5: a `--read-only` server rooted at A listed and read what a server
rooted at B had spilled (`cat .env` included)."""

from __future__ import annotations

import os
import re
import stat
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from mcp_tools.budget import SPILL_DAYS, Spill, SpillRefused, spill_scope
from mcp_tools.toolkit import ToolOptions, Toolset, open_toolset

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and process groups")

SECRET = "API_TOKEN=SECRET-OF-PROJECT-B"


@pytest.fixture
def projects(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Project A, project B (its .env far over the output budget) and one data folder for both."""
    base = tmp_path.resolve()
    a, b, home = base / "a", base / "b", base / "home"
    for folder in (a, b):
        folder.mkdir()
    (a / "readme.md").write_text("project a\n")
    (b / ".env").write_text(SECRET + "\n" + "FILLER=" + "x" * 100 + "\n" * 1 + ("PAD=1\n" * 20_000))
    return a, b, home


@asynccontextmanager
async def toolset_of(root: Path, home: Path, *, read_only: bool = False) -> AsyncIterator[Toolset]:
    toolset = open_toolset(ToolOptions(roots=[root], home=home, read_only=read_only))
    try:
        yield toolset
    finally:
        await toolset.aclose()


async def spill_env_of_b(b: Path, home: Path) -> Path:
    """`cat .env` in a full server rooted at B; the path of the file its whole output went to."""
    async with toolset_of(b, home) as server_b:
        ran = await server_b.named("run_command").call({"command": "cat .env"})
        match = re.search(r"whole output in (\S+\.txt)", ran.content)
        assert match, ran.content[:300]
        spilled = Path(match.group(1))
        assert SECRET in spilled.read_text()
        return spilled


async def assert_unreachable(server: Toolset, spilled: Path, home: Path) -> None:
    """Every reading tool of `server` refuses B's spill file, its folder and the folder of all spills."""
    refused = [
        await server.named("read_file").call({"path": str(spilled)}),
        await server.named("list_dir").call({"path": str(spilled.parent)}),
        await server.named("list_dir").call({"path": str(home / "spill")}),
        await server.named("search").call({"pattern": "SECRET", "path": str(spilled.parent)}),
        await server.named("search").call({"pattern": "SECRET", "path": str(home / "spill")}),
        await server.named("find_files").call({"pattern": "*.txt", "path": str(home / "spill")}),
    ]
    for outcome in refused:
        assert outcome.is_error and "outside the allowed roots" in outcome.content, outcome.content
        assert "SECRET-OF-PROJECT-B" not in outcome.content
    own = server.context.spill.folder
    listed = await server.named("list_dir").call({"path": str(own)})
    assert not listed.is_error and spilled.name not in listed.content
    found = await server.named("search").call({"pattern": "OF-PROJECT-[B]", "path": str(own)})
    assert found.content.startswith("No matches") and "SECRET-OF-PROJECT-B" not in found.content


async def test_a_read_only_server_rooted_at_a_never_reaches_what_a_server_rooted_at_b_spilled(
    projects: tuple[Path, Path, Path],
) -> None:
    a, b, home = projects
    spilled = await spill_env_of_b(b, home)
    async with toolset_of(a, home, read_only=True) as server_a:
        assert spilled.parent != server_a.context.spill.folder
        await assert_unreachable(server_a, spilled, home)


async def test_a_link_in_a_servers_own_spill_folder_does_not_lead_it_into_another_scopes_spill(
    projects: tuple[Path, Path, Path],
) -> None:
    a, b, home = projects
    spilled = await spill_env_of_b(b, home)
    async with toolset_of(a, home, read_only=True) as server_a:
        own = server_a.context.spill.folder
        os.symlink(spilled, own / "planted-file.txt")
        os.symlink(spilled.parent, own / "planted-folder")
        for path in (own / "planted-file.txt", own / "planted-folder" / spilled.name):
            outcome = await server_a.named("read_file").call({"path": str(path)})
            assert outcome.is_error and SECRET not in outcome.content, outcome.content
        listed = await server_a.named("list_dir").call({"path": str(own / "planted-folder")})
        assert listed.is_error and spilled.name not in listed.content


async def test_a_writing_server_rooted_at_a_never_reaches_what_a_server_rooted_at_b_spilled(
    projects: tuple[Path, Path, Path],
) -> None:
    a, b, home = projects
    spilled = await spill_env_of_b(b, home)
    async with toolset_of(a, home) as server_a:
        await assert_unreachable(server_a, spilled, home)
        # Not through a command's working folder either.
        ran = await server_a.named("run_command").call({"command": "ls", "cwd": str(spilled.parent)})
        assert ran.is_error and "outside the allowed roots" in ran.content


async def test_a_read_only_server_never_reaches_what_a_writing_server_of_the_same_roots_spilled(
    projects: tuple[Path, Path, Path],
) -> None:
    _, b, home = projects
    spilled = await spill_env_of_b(b, home)
    async with toolset_of(b, home, read_only=True) as reader:
        await assert_unreachable(reader, spilled, home)


async def test_a_server_with_more_roots_keeps_its_spill_from_a_server_with_fewer(
    projects: tuple[Path, Path, Path],
) -> None:
    a, b, home = projects
    wide = open_toolset(ToolOptions(roots=[a, b], home=home))
    try:
        ran = await wide.named("run_command").call({"command": f"cat {b / '.env'}"})
        spilled = Path(re.search(r"whole output in (\S+\.txt)", ran.content).group(1))
    finally:
        await wide.aclose()
    async with toolset_of(a, home) as narrow:
        await assert_unreachable(narrow, spilled, home)


async def test_a_later_server_of_the_same_roots_and_permissions_pages_through_an_earlier_spill(
    projects: tuple[Path, Path, Path],
) -> None:
    # A chat resumed next week reads the build log its earlier turn spilled.
    _, b, home = projects
    spilled = await spill_env_of_b(b, home)
    async with toolset_of(b, home) as later:
        page = await later.named("read_file").call({"path": str(spilled), "offset": 1, "limit": 1})
        assert not page.is_error and SECRET in page.content


def test_the_scope_depends_on_the_real_roots_and_permissions_not_on_their_order_or_spelling(
    projects: tuple[Path, Path, Path],
) -> None:
    a, b, _ = projects
    link = a.parent / "link-to-a"
    os.symlink(a, link)
    full = {"read_only": False, "no_terminal": False}
    assert spill_scope([a, b], full) == spill_scope([b, link], full)
    assert spill_scope([a], full) != spill_scope([b], full)
    assert spill_scope([a], full) != spill_scope([a, b], full)
    assert spill_scope([a], full) != spill_scope([a], {**full, "read_only": True})
    assert spill_scope([a], full) != spill_scope([a], {**full, "no_terminal": True})
    assert re.fullmatch(r"a-[0-9a-f]{32}", spill_scope([a], full))


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


async def test_spill_folders_are_0700_and_spill_files_0600_whatever_the_umask(
    projects: tuple[Path, Path, Path],
) -> None:
    _, b, home = projects
    with umask(0):
        spilled = await spill_env_of_b(b, home)
    assert mode(home / "spill") == 0o700
    assert mode(spilled.parent) == 0o700
    assert mode(spilled) == 0o600


async def test_spill_folders_left_open_to_others_are_made_private_again(
    projects: tuple[Path, Path, Path],
) -> None:
    _, b, home = projects
    folder = Spill.private(home, spill_scope([b], ToolOptions([b], home).permissions)).folder
    for path in (home / "spill", folder):
        os.chmod(path, 0o777)
    spilled = await spill_env_of_b(b, home)
    assert spilled.parent == folder
    assert mode(home / "spill") == 0o700 and mode(folder) == 0o700


async def test_a_link_planted_at_the_scope_folder_is_replaced_and_its_target_gets_nothing(
    projects: tuple[Path, Path, Path],
) -> None:
    a, b, home = projects
    scope = spill_scope([b], ToolOptions([b], home).permissions)
    (home / "spill").mkdir(parents=True, mode=0o700)
    os.symlink(a, home / "spill" / scope)
    before = sorted(p.name for p in a.iterdir())
    spilled = await spill_env_of_b(b, home)
    assert sorted(p.name for p in a.iterdir()) == before
    assert not (home / "spill" / scope).is_symlink() and spilled.parent == home / "spill" / scope


async def test_a_link_planted_at_the_spill_folder_itself_is_replaced_and_its_target_gets_nothing(
    projects: tuple[Path, Path, Path],
) -> None:
    a, b, home = projects
    home.mkdir()
    os.symlink(a, home / "spill")
    before = sorted(p.name for p in a.iterdir())
    spilled = await spill_env_of_b(b, home)
    assert sorted(p.name for p in a.iterdir()) == before
    assert not (home / "spill").is_symlink() and spilled.parent.parent == home / "spill"


async def test_a_link_planted_while_the_server_runs_is_replaced_before_the_next_spill(
    projects: tuple[Path, Path, Path],
) -> None:
    a, b, home = projects
    async with toolset_of(b, home) as server_b:
        folder = server_b.context.spill.folder
        os.rmdir(folder)
        os.symlink(a, folder)
        before = sorted(p.name for p in a.iterdir())
        ran = await server_b.named("run_command").call({"command": "cat .env"})
        spilled = Path(re.search(r"whole output in (\S+\.txt)", ran.content).group(1))
        assert sorted(p.name for p in a.iterdir()) == before
        assert spilled.parent == folder and not folder.is_symlink() and SECRET in spilled.read_text()


def test_a_spill_folder_that_is_a_file_is_refused_with_what_to_do(projects: tuple[Path, Path, Path]) -> None:
    _, b, home = projects
    home.mkdir()
    (home / "spill").write_text("not a folder")
    with pytest.raises(SpillRefused, match=r"spill is not a folder: remove it"):
        open_toolset(ToolOptions(roots=[b], home=home))
    assert (home / "spill").read_text() == "not a folder"


def test_a_data_folder_that_cannot_hold_a_spill_folder_is_refused_with_what_to_do(
    projects: tuple[Path, Path, Path],
) -> None:
    _, b, home = projects
    home.write_text("a file where the data folder should be")
    with pytest.raises(SpillRefused, match=r"Cannot make a private spill folder.*Set M2BRIDGE_HOME"):
        open_toolset(ToolOptions(roots=[b], home=home))


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_spill_folder_of_another_user_is_refused_with_what_to_do(projects: tuple[Path, Path, Path]) -> None:
    _, b, home = projects
    scope = spill_scope([b], ToolOptions([b], home).permissions)
    (home / "spill" / scope).mkdir(parents=True, mode=0o700)
    os.chown(home / "spill" / scope, 54321, 54321)
    with pytest.raises(SpillRefused, match=r"belongs to another user \(uid 54321\).*M2BRIDGE_HOME"):
        open_toolset(ToolOptions(roots=[b], home=home))
    os.chown(home / "spill", 54321, 54321)
    with pytest.raises(SpillRefused, match="belongs to another user"):
        open_toolset(ToolOptions(roots=[b], home=home))


def age(path: Path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then), follow_symlinks=False)


def test_pruning_takes_only_expired_output_and_idle_folders_and_follows_no_link(
    projects: tuple[Path, Path, Path],
) -> None:
    a, b, home = projects
    base = home / "spill"
    gone, appended, busy = base / "gone-idle", base / "idle-but-appended", base / "still-busy"
    for folder in (gone, appended, busy):
        folder.mkdir(parents=True, mode=0o700)
        (folder / "old.txt").write_text("old")
        age(folder / "old.txt", SPILL_DAYS + 1)
    (appended / "still-growing.txt").write_text("a process appends here")
    (busy / "new.txt").write_text("new")
    (base / "loose-old.txt").write_text("from the shared layout")
    (base / "loose-new.txt").write_text("from the shared layout")
    outside = a / "old-outside.txt"
    outside.write_text("never ours")
    os.symlink(a, base / "link-to-a")
    os.symlink(outside, base / "link-to-file.txt")
    for path in (base / "loose-old.txt", outside, base / "link-to-file.txt", gone, appended):
        age(path, SPILL_DAYS + 1)

    open_toolset(ToolOptions(roots=[b], home=home))

    assert not gone.exists()
    assert sorted(p.name for p in appended.iterdir()) == ["still-growing.txt"]
    # A folder written to lately belongs to a live scope: its own server prunes it.
    assert sorted(p.name for p in busy.iterdir()) == ["new.txt", "old.txt"]
    assert not (base / "loose-old.txt").exists() and (base / "loose-new.txt").exists()
    assert outside.read_text() == "never ours" and (base / "link-to-a").is_symlink()
    assert (base / "link-to-file.txt").is_symlink()
