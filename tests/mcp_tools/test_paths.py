from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcp_tools.paths import PathPolicy, PathRefused, is_within
from tests.mcp_tools.attacks import PATH_ATTACKS, fill
from tests.support.sandbox import Sandbox


def policy_for(sandbox: Sandbox) -> PathPolicy:
    return PathPolicy.of([sandbox.root])


@pytest.mark.parametrize("attack", sorted(PATH_ATTACKS))
@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_policy_refuses_every_escape(sandbox: Sandbox, attack: str, write: bool) -> None:
    raw = fill(
        PATH_ATTACKS[attack],
        root=str(sandbox.root),
        outside=str(sandbox.outside),
        sibling=str(sandbox.sibling),
    )
    with pytest.raises(PathRefused) as refused:
        policy_for(sandbox).resolve(raw, write=write)
    assert str(refused.value)


def test_policy_allows_paths_inside_the_root_including_harmless_dotdot(sandbox: Sandbox) -> None:
    policy = PathPolicy.of([sandbox.root])
    assert policy.resolve("hello.py") == sandbox.root / "hello.py"
    assert policy.resolve("sub/../hello.py") == sandbox.root / "hello.py"
    assert policy.resolve(str(sandbox.root / "sub")) == sandbox.root / "sub"
    assert policy.resolve(f"file://{sandbox.root}/hello.py") == sandbox.root / "hello.py"
    assert policy.resolve("new/folder/file.txt", write=True) == sandbox.root / "new/folder/file.txt"


def test_sibling_prefix_is_not_inside() -> None:
    assert not is_within(Path("/repo-evil/x"), Path("/repo"))
    assert is_within(Path("/repo/x"), Path("/repo"))
    assert is_within(Path("/repo"), Path("/repo"))


def test_write_through_a_symlink_inside_the_root_is_refused(sandbox: Sandbox) -> None:
    os.symlink(sandbox.root / "hello.py", sandbox.root / "alias.py")
    policy = PathPolicy.of([sandbox.root])
    assert policy.resolve("alias.py") == sandbox.root / "hello.py"
    with pytest.raises(PathRefused, match="symlink"):
        policy.resolve("alias.py", write=True)


def test_read_only_root_can_be_read_but_not_written(sandbox: Sandbox) -> None:
    spill = sandbox.base / "spill"
    spill.mkdir()
    (spill / "out.txt").write_text("x")
    policy = PathPolicy.of([sandbox.root], read_only_roots=[spill])
    assert policy.resolve(str(spill / "out.txt")) == spill / "out.txt"
    with pytest.raises(PathRefused, match="read-only"):
        policy.resolve(str(spill / "out.txt"), write=True)


def test_client_roots_narrow_but_never_widen(sandbox: Sandbox) -> None:
    policy = PathPolicy.of([sandbox.root])
    narrowed = policy.narrowed([f"file://{sandbox.root}/sub", f"file://{sandbox.outside}", "file:///"])
    assert narrowed.roots == (sandbox.root / "sub", sandbox.root)
    only_sub = policy.narrowed([f"file://{sandbox.root}/sub"])
    with pytest.raises(PathRefused):
        only_sub.resolve(str(sandbox.root / "hello.py"))
    nothing = policy.narrowed([f"file://{sandbox.outside}"])
    with pytest.raises(PathRefused, match="no root"):
        nothing.resolve("hello.py")


def test_a_root_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PathRefused, match="not a folder"):
        PathPolicy.of([tmp_path / "missing"])


def test_anchors_name_every_root_writable_and_read_only_for_descriptor_walks(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "spill").mkdir()
    policy = PathPolicy.of([tmp_path / "a"], read_only_roots=[tmp_path / "spill"])
    assert policy.anchors == (str(tmp_path.resolve() / "a"), str(tmp_path.resolve() / "spill"))


@pytest.mark.parametrize(
    "raw", [".git/config", ".git/hooks/pre-commit", ".GIT/config", "sub/.git", "sub/.git/config", "gitdir/x"]
)
def test_no_write_reaches_gits_own_files_however_the_path_is_spelled(sandbox: Sandbox, raw: str) -> None:
    (sandbox.root / ".git").mkdir(exist_ok=True)
    os.symlink(sandbox.root / ".git", sandbox.root / "gitdir")  # a link inside the root into .git
    policy = PathPolicy.of([sandbox.root])
    with pytest.raises(PathRefused, match=r"git's own files \(\.git\)"):
        policy.resolve(raw, write=True)


def test_reading_gits_files_and_writing_look_alike_names_stay_allowed(sandbox: Sandbox) -> None:
    (sandbox.root / ".git").mkdir(exist_ok=True)
    policy = PathPolicy.of([sandbox.root])
    assert policy.resolve(".git/config") == sandbox.root / ".git" / "config"
    for name in (".gitignore", ".gitattributes", ".github/workflows/ci.yml", "x.git/y"):
        assert policy.resolve(name, write=True) == sandbox.root / name


@pytest.mark.parametrize(("raw", "named"), [(7, "an integer"), (["a"], "an array"), (None, "null")])
def test_a_path_that_is_not_a_string_is_refused_naming_what_it_is(sandbox: Sandbox, raw, named) -> None:
    with pytest.raises(PathRefused, match=f"a path must be a string, not {named}$"):
        policy_for(sandbox).resolve(raw)
