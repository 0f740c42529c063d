"""Where the repository really is: a root's working tree can name a git folder, a common folder or object
stores outside the roots (a `.git` file, `commondir`, `objects/info/alternates`, symlinks in `.git`). Git
would then read another repository's history and files; every git tool must refuse and return nothing of
it. Repositories wholly inside the roots (a submodule, a linked worktree, a local alternate) still work."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest

from mcp_tools.repo.git import GitBlame, GitDiff, GitLog, GitShow, GitStatus
from tests.support.hostile_repo import OUTSIDE_SUBJECT, HostileRepo, run_git
from tests.support.sandbox import SECRET


def outside_head(repo: HostileRepo) -> str:
    return run_git(repo.outside, "rev-parse", "HEAD").strip()


def replace_git_folder(repo: HostileRepo, text: str) -> None:
    shutil.rmtree(repo.git_dir)
    repo.git_dir.write_text(text)


def alternates(repo: HostileRepo, text: str) -> None:
    (repo.git_dir / "objects" / "info" / "alternates").write_text(text)


def nested_alternates(repo: HostileRepo) -> None:
    """An object store inside the root whose own alternates file names the outside one."""
    store = repo.root / "store" / "objects"
    (store / "info").mkdir(parents=True)
    (store / "info" / "alternates").write_text(f"{repo.outside}/.git/objects\n")
    alternates(repo, f"{store}\n")


def link_in_git_folder(repo: HostileRepo, name: str, target: str) -> None:
    path = repo.git_dir / name
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.symlink_to(repo.outside / target)


def octal(path: str) -> str:
    return path.replace("/", "\\057")


LOCATIONS: dict[str, Callable[[HostileRepo], None]] = {
    ".git-file-absolute": lambda r: replace_git_folder(r, f"gitdir: {r.outside}/.git\n"),
    ".git-file-relative": lambda r: replace_git_folder(r, "gitdir: ../outside/.git\n"),
    ".git-symlink": lambda r: (shutil.rmtree(r.git_dir), r.git_dir.symlink_to(r.outside / ".git")),
    "commondir-absolute": lambda r: (r.git_dir / "commondir").write_text(f"{r.outside}/.git\n"),
    "commondir-relative": lambda r: (r.git_dir / "commondir").write_text("../../outside/.git\n"),
    "core.worktree": lambda r: run_git(r.root, "config", "core.worktree", str(r.outside)),
    "alternates-absolute": lambda r: alternates(r, f"{r.outside}/.git/objects\n"),
    "alternates-relative": lambda r: alternates(r, "../../../outside/.git/objects\n"),
    "alternates-after-comments": lambda r: alternates(
        r, f"# mine\n\n{r.root}/.git/objects\n{r.outside}/.git/objects"
    ),
    "alternates-c-quoted": lambda r: alternates(r, f'"{octal(str(r.outside))}\\057.git/objects"\n'),
    "alternates-after-a-quoted-entry": lambda r: alternates(
        r, f'"{r.root}/.git/objects"X{r.outside}/.git/objects\n'
    ),
    "alternates-nested": nested_alternates,
    "alternates-file-symlinked-out": lambda r: (
        (r.outside / "alt").write_text(f"{r.outside}/.git/objects\n"),
        (r.git_dir / "objects" / "info" / "alternates").symlink_to(r.outside / "alt"),
    ),
    "objects-symlinked-out": lambda r: link_in_git_folder(r, "objects", ".git/objects"),
    "refs-symlinked-out": lambda r: link_in_git_folder(r, "refs", ".git/refs"),
    "config-symlinked-out": lambda r: link_in_git_folder(r, "config", ".git/config"),
    "info-exclude-symlinked-out": lambda r: link_in_git_folder(r, "info/exclude", "secret.txt"),
}


def calls(repo: HostileRepo) -> dict[str, tuple[type[Any], dict[str, Any]]]:
    head = outside_head(repo)
    return {
        "git_log": (GitLog, {}),
        "git_log outside commit": (GitLog, {"revision": head}),
        "git_show HEAD:secret.txt": (GitShow, {"revision": "HEAD:secret.txt"}),
        "git_show outside commit:secret.txt": (GitShow, {"revision": f"{head}:secret.txt"}),
        "git_status": (GitStatus, {}),
        "git_diff": (GitDiff, {"target": head}),
        "git_blame": (GitBlame, {"path": "hello.py"}),
    }


@pytest.mark.parametrize("plant", LOCATIONS.values(), ids=LOCATIONS.keys())
async def test_a_repository_that_leaves_the_roots_is_refused_by_every_git_tool(
    hostile_repo: HostileRepo, plant: Callable[[HostileRepo], None]
) -> None:
    plant(hostile_repo)
    ctx = hostile_repo.context()
    for name, (tool, arguments) in calls(hostile_repo).items():
        outcome = await tool(ctx).call(arguments)
        assert SECRET not in outcome.content, f"{name} returned the outside secret"
        assert OUTSIDE_SUBJECT not in outcome.content, f"{name} read the outside repository's history"
        assert outcome.is_error, f"{name} was let through: {outcome.content[:300]}"
        assert "outside the allowed roots" in outcome.content, f"{name}: unclear refusal: {outcome.content}"


async def test_the_refusal_names_what_pointed_outside(hostile_repo: HostileRepo) -> None:
    replace_git_folder(hostile_repo, f"gitdir: {hostile_repo.outside}/.git\n")
    out = (await GitLog(hostile_repo.context()).call({})).content
    assert f"the file {hostile_repo.root}/.git points git at its git folder" in out
    assert f"{hostile_repo.outside}/.git, outside the allowed roots" in out


async def test_the_refusal_names_the_alternates_file_and_the_store_it_names(
    hostile_repo: HostileRepo,
) -> None:
    alternates_file = hostile_repo.root / "store" / "objects" / "info" / "alternates"
    nested_alternates(hostile_repo)
    out = (await GitLog(hostile_repo.context()).call({})).content
    assert f"{alternates_file} names the object store '{hostile_repo.outside}/.git/objects'" in out


async def test_a_fifo_for_an_alternates_file_is_refused_without_blocking(hostile_repo: HostileRepo) -> None:
    os.mkfifo(hostile_repo.git_dir / "objects" / "info" / "alternates")
    outcome = await GitLog(hostile_repo.context()).call({})
    assert outcome.is_error and "not a regular file" in outcome.content


# --- repositories wholly inside the roots -------------------------------------------------------------------


def ok(outcome: Any) -> str:
    assert not outcome.is_error, outcome.content
    return str(outcome.content)


async def test_a_submodule_whose_git_folder_is_inside_the_roots_is_used(hostile_repo: HostileRepo) -> None:
    ctx = hostile_repo.context()
    out = ok(await GitLog(ctx).call({"repo_path": "sub"}))
    assert out.startswith("[repository sub;") and "s3" in out


async def test_a_linked_worktree_inside_the_roots_is_used(hostile_repo: HostileRepo) -> None:
    run_git(hostile_repo.root, "worktree", "add", "-q", "-b", "side", "wt")
    ctx = hostile_repo.context()
    assert "signed: move the submodule" in ok(await GitLog(ctx).call({"repo_path": "wt"}))


async def test_an_alternate_object_store_inside_the_roots_is_used(hostile_repo: HostileRepo) -> None:
    """A `git clone --shared` of a repository inside the roots: its objects come from there."""
    run_git(hostile_repo.root, "clone", "-q", "--shared", str(hostile_repo.root), "shared")
    ctx = hostile_repo.context()
    out = ok(await GitShow(ctx).call({"repo_path": "shared", "revision": "HEAD:hello.py"}))
    assert "print('again')" in out


async def test_includes_inside_the_roots_are_followed_without_reading_outside(
    hostile_repo: HostileRepo,
) -> None:
    shared = hostile_repo.root / "shared.gitconfig"
    shared.write_text("[blame]\n\tignoreRevsFile = .git-blame-ignore-revs\n")
    (hostile_repo.root / ".git-blame-ignore-revs").write_text("")
    run_git(hostile_repo.root, "config", "include.path", "../shared.gitconfig")
    ctx = hostile_repo.context()
    ok(await GitBlame(ctx).call({"path": "hello.py"}))


@pytest.mark.parametrize("form", ["gitdir-file", "symlink"])
async def test_a_submodule_whose_git_leads_outside_is_refused_where_git_would_read_its_head(
    hostile_repo: HostileRepo, form: str
) -> None:
    """Comparing the working tree reads each submodule's HEAD through its `.git`: pointed at an outside
    repository, git_diff would print that repository's commit id as the submodule's."""
    dot_git = hostile_repo.root / "sub" / ".git"
    dot_git.unlink()
    if form == "gitdir-file":
        dot_git.write_text("gitdir: ../../outside/.git\n")
    else:
        dot_git.symlink_to(hostile_repo.outside / ".git")
    ctx = hostile_repo.context()
    for tool in (GitStatus, GitDiff):
        outcome = await tool(ctx).call({})
        assert outcome.is_error and "the submodule sub's .git" in outcome.content, outcome.content
        assert "outside the allowed roots" in outcome.content
        assert outside_head(hostile_repo) not in outcome.content
    # History alone never opens the submodule: log and show still work.
    assert not (await GitLog(ctx).call({})).is_error
    assert not (await GitShow(ctx).call({"revision": "HEAD"})).is_error
