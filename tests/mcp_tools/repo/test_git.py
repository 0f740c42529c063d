"""The git tools against real repositories, including hostile ones whose config names programs to run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from m2bridge.tools import ToolOutcome
from mcp_tools.budget import Spill
from mcp_tools.disk import DiskWorkspace
from mcp_tools.paths import PathPolicy
from mcp_tools.repo.git import GitBlame, GitDiff, GitLog, GitShow, GitStatus, git_tools
from mcp_tools.tool_context import ToolContext, child_environment
from tests.mcp_tools.attacks import PATH_ATTACKS, fill
from tests.support.sandbox import SECRET, Sandbox, git


def commit_as(root: Path, author: str, message: str) -> None:
    git(root, "-c", f"user.name={author}", "-c", "user.email=x@e.x", "commit", "-q", "--author",
        f"{author} <{author.lower()}@e.x>", "-am", message)  # fmt: skip


@pytest.fixture
def history(sandbox: Sandbox) -> Path:
    """The sandbox repo with a second commit by someone else: hello.py gains a line."""
    (sandbox.root / "hello.py").write_text("print('hello')\nprint('again')\n")
    commit_as(sandbox.root, "Bob", "second: say it again")
    return sandbox.root


def context_over(root: Path, tmp: Path, env: dict[str, str] | None = None) -> ToolContext:
    spill = Spill(tmp / "spill-folder")
    spill.folder.mkdir(parents=True, exist_ok=True)
    policy = PathPolicy.of([root], read_only_roots=[spill.folder])
    child = child_environment(env or {"PATH": os.environ["PATH"], "HOME": str(tmp)})
    return ToolContext(base_policy=policy, spill=spill, workspace=DiskWorkspace(), child_env=child)


def ok(outcome: ToolOutcome) -> str:
    assert not outcome.is_error, outcome.content
    return outcome.content


# --- each tool does its job ---------------------------------------------------------------------------


async def test_git_status_shows_a_modified_file_and_an_untracked_one(
    tool_ctx: ToolContext, history: Path
) -> None:
    (history / "hello.py").write_text("print('changed')\n")
    (history / "new.txt").write_text("new\n")
    out = ok(await GitStatus(tool_ctx).call({}))
    assert "On branch main" in out
    assert "modified:   hello.py" in out
    assert "new.txt" in out.split("Untracked files:")[1]


async def test_git_diff_shows_unstaged_then_staged_changes(tool_ctx: ToolContext, history: Path) -> None:
    (history / "hello.py").write_text("print('hello')\nprint('changed')\n")
    unstaged = ok(await GitDiff(tool_ctx).call({}))
    assert "-print('again')" in unstaged and "+print('changed')" in unstaged
    assert "No differences (index vs HEAD)" in ok(await GitDiff(tool_ctx).call({"staged": True}))
    git(history, "add", "hello.py")
    assert "+print('changed')" in ok(await GitDiff(tool_ctx).call({"staged": True}))
    assert "No differences" in ok(await GitDiff(tool_ctx).call({}))


async def test_git_diff_compares_with_a_target_limited_to_paths_or_as_a_stat(
    tool_ctx: ToolContext, history: Path
) -> None:
    (history / "sub" / "notes.md").write_text("# notes\nmore\n")
    against_first = ok(await GitDiff(tool_ctx).call({"target": "HEAD~1", "paths": ["hello.py"]}))
    assert "+print('again')" in against_first and "notes.md" not in against_first
    ranged = ok(await GitDiff(tool_ctx).call({"target": "HEAD~1..HEAD", "context_lines": 0}))
    assert "@@ -1,0 +2 @@" in ranged and "notes.md" not in ranged
    stat = ok(await GitDiff(tool_ctx).call({"target": "HEAD~1", "stat": True, "paths": "sub"}))
    assert "sub/notes.md | 1 +" in stat and "diff --git" not in stat


async def test_git_log_lists_commits_newest_first_with_hash_date_author_and_subject(
    tool_ctx: ToolContext, history: Path
) -> None:
    lines = ok(await GitLog(tool_ctx).call({})).splitlines()
    assert len(lines) == 2
    newest, oldest = lines
    short = git(history, "rev-parse", "--short", "HEAD").strip()
    assert newest.startswith(short + " ")
    assert "Bob: second: say it again (HEAD -> main)" in newest
    assert oldest.endswith("T: first")
    assert len(ok(await GitLog(tool_ctx).call({"max_count": 1})).splitlines()) == 1
    only_notes = ok(await GitLog(tool_ctx).call({"paths": ["sub/notes.md"]}))
    assert only_notes.endswith("T: first") and "Bob" not in only_notes
    assert ok(await GitLog(tool_ctx).call({"revision": "HEAD~1"})).endswith("T: first")


async def test_git_log_with_patch_includes_each_diff(tool_ctx: ToolContext, history: Path) -> None:
    out = ok(await GitLog(tool_ctx).call({"max_count": 1, "patch": True}))
    assert "second: say it again" in out and "+print('again')" in out


async def test_git_show_shows_a_commit_and_a_file_at_a_revision(tool_ctx: ToolContext, history: Path) -> None:
    commit = ok(await GitShow(tool_ctx).call({"revision": "HEAD"}))
    assert commit.startswith("commit ") and "Author: Bob <bob@e.x>" in commit and "+print('again')" in commit
    assert ok(await GitShow(tool_ctx).call({"revision": "HEAD~1:hello.py"})) == "print('hello')"
    assert "print('again')" in ok(await GitShow(tool_ctx).call({"revision": "HEAD:hello.py"}))
    assert "notes.md" in ok(await GitShow(tool_ctx).call({"revision": "HEAD:sub"}))
    missing = await GitShow(tool_ctx).call({"revision": "HEAD:nope.txt"})
    assert missing.is_error and "nope.txt" in missing.content


async def test_git_show_does_not_print_binary_content(tool_ctx: ToolContext, history: Path) -> None:
    (history / "blob.bin").write_bytes(b"\x89PNG\x00\x01\x02" * 100)
    git(history, "add", "blob.bin")
    commit_as(history, "Bob", "binary")
    out = ok(await GitShow(tool_ctx).call({"revision": "HEAD:blob.bin"}))
    assert out == "HEAD:blob.bin: binary content (700 bytes), not shown."


async def test_git_blame_attributes_each_line_to_its_commit(tool_ctx: ToolContext, history: Path) -> None:
    lines = ok(await GitBlame(tool_ctx).call({"path": "hello.py"})).splitlines()
    assert "(T " in lines[0] and lines[0].endswith("1) print('hello')")
    assert "(Bob " in lines[1] and lines[1].endswith("2) print('again')")
    second = ok(await GitBlame(tool_ctx).call({"path": "hello.py", "start_line": 2, "end_line": 2}))
    assert second.count("\n") == 0 and "Bob" in second
    earlier = ok(await GitBlame(tool_ctx).call({"path": "hello.py", "revision": "HEAD~1"}))
    assert "Bob" not in earlier and "print('again')" not in earlier
    backwards = await GitBlame(tool_ctx).call({"path": "hello.py", "start_line": 2, "end_line": 1})
    assert backwards.is_error and "before start_line" in backwards.content


async def test_git_tools_find_the_repository_from_any_path_inside_it(
    tool_ctx: ToolContext, history: Path
) -> None:
    out = ok(await GitLog(tool_ctx).call({"repo_path": "sub/notes.md", "max_count": 1}))
    assert "second: say it again" in out


async def test_a_nested_repository_is_named_and_its_paths_are_relative_to_it(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    inner = sandbox.root / "sub" / "inner"
    inner.mkdir()
    git(inner, "init", "-q", "-b", "trunk")
    (inner / "x.txt").write_text("x\n")
    git(inner, "add", "x.txt")
    git(inner, "commit", "-q", "-m", "inner commit")
    out = ok(await GitLog(tool_ctx).call({"repo_path": "sub/inner"}))
    assert out.startswith("[repository sub/inner; paths below are relative to it]\n")
    assert "inner commit" in out
    blame = ok(await GitBlame(tool_ctx).call({"repo_path": "sub/inner", "path": "x.txt"}))
    assert blame.endswith("1) x")


async def test_git_is_stopped_at_its_time_limit(
    tool_ctx: ToolContext, history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mcp_tools.repo._git as runner

    monkeypatch.setattr(runner, "GIT_TIMEOUT", 0.0)
    outcome = await GitLog(tool_ctx).call({})
    assert outcome.is_error and "did not finish within 0 s and was stopped" in outcome.content


def test_git_tools_are_read_only_and_idempotent(tool_ctx: ToolContext) -> None:
    tools = git_tools(tool_ctx)
    assert [t.name for t in tools] == ["git_status", "git_diff", "git_log", "git_show", "git_blame"]
    assert all(t.spec.read_only and t.spec.idempotent and not t.spec.destructive for t in tools)
    assert "repo_path" in tools[0].spec.input_schema["properties"]


# --- not a repository, or one that is not ours ----------------------------------------------------------


async def test_a_folder_outside_any_repository_gets_a_clear_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    outcome = await GitStatus(context_over(plain, tmp_path)).call({})
    assert outcome.is_error and "is not inside a git working tree" in outcome.content


async def test_a_repository_above_the_roots_is_never_used(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    root = tmp_path / "project"
    root.mkdir()
    outcome = await GitStatus(context_over(root, tmp_path)).call({})
    assert outcome.is_error and "not inside a git working tree" in outcome.content


async def test_a_working_tree_moved_outside_the_roots_by_config_is_refused(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    git(sandbox.root, "config", "core.worktree", str(sandbox.outside))
    outcome = await GitDiff(tool_ctx).call({})
    assert outcome.is_error and "outside the allowed roots" in outcome.content
    assert SECRET not in outcome.content


async def test_git_variables_in_the_environment_cannot_redirect_git(sandbox: Sandbox, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    env = {"PATH": os.environ["PATH"], "GIT_DIR": str(other / ".git"), "GIT_WORK_TREE": str(other)}
    out = ok(await GitLog(context_over(sandbox.root, tmp_path, env)).call({}))
    assert "T: first (HEAD -> main)" in out


# --- option injection -------------------------------------------------------------------------------------

INJECTIONS = [
    (GitShow, {"revision": "--output={out}"}),
    (GitShow, {"revision": "-o{out}"}),
    (GitShow, {"revision": "HEAD", "paths": ["--output={out}"]}),
    (GitLog, {"revision": "--output={out}"}),
    (GitLog, {"revision": "--exec=touch {out}"}),
    (GitLog, {"since": "--output={out}"}),
    (GitLog, {"paths": ["-o{out}"]}),
    (GitDiff, {"target": "--output={out}"}),
    (GitDiff, {"target": "-o"}),
    (GitDiff, {"paths": ["--output={out}"]}),
    (GitBlame, {"path": "--output={out}"}),
    (GitBlame, {"path": "hello.py", "revision": "--contents={out}"}),
    (GitStatus, {"repo_path": "--output={out}"}),
]


@pytest.mark.parametrize(
    ("tool", "arguments"), INJECTIONS, ids=lambda v: str(v) if isinstance(v, dict) else ""
)
async def test_option_injection_is_refused_and_nothing_is_written(
    tool_ctx: ToolContext, sandbox: Sandbox, tool: type[GitShow], arguments: dict[str, object]
) -> None:
    out = sandbox.root / "injected.txt"
    filled = {
        k: [p.format(out=out) for p in v] if isinstance(v, list) else str(v).format(out=out)
        for k, v in arguments.items()
    }
    outcome = await tool(tool_ctx).call(filled)
    assert outcome.is_error
    assert "option injection refused" in outcome.content
    assert not out.exists()


# --- path escapes -------------------------------------------------------------------------------------------


def attack(sandbox: Sandbox, name: str) -> str:
    return fill(
        PATH_ATTACKS[name], root=str(sandbox.root), outside=str(sandbox.outside), sibling=str(sandbox.sibling)
    )


@pytest.mark.parametrize("name", sorted(PATH_ATTACKS))
async def test_repo_path_escapes_are_refused(tool_ctx: ToolContext, sandbox: Sandbox, name: str) -> None:
    git(sandbox.outside, "init", "-q")  # a real repository outside, so only the policy stands in the way
    outcome = await GitLog(tool_ctx).call({"repo_path": attack(sandbox, name)})
    assert outcome.is_error, outcome.content
    assert SECRET not in outcome.content


@pytest.mark.parametrize("name", sorted(PATH_ATTACKS))
async def test_file_path_escapes_are_refused_by_blame_diff_and_log(
    tool_ctx: ToolContext, sandbox: Sandbox, name: str
) -> None:
    raw = attack(sandbox, name)
    for tool, arguments in (
        (GitBlame, {"path": raw}),
        (GitDiff, {"paths": [raw]}),
        (GitLog, {"paths": [raw]}),
        (GitShow, {"revision": "HEAD", "paths": [raw]}),
    ):
        outcome = await tool(tool_ctx).call(arguments)
        assert outcome.is_error, (tool.name, outcome.content)
        assert SECRET not in outcome.content


async def test_a_sibling_prefix_folder_with_its_own_repository_is_refused(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    git(sandbox.sibling, "init", "-q")
    outcome = await GitStatus(tool_ctx).call({"repo_path": str(sandbox.sibling)})
    assert outcome.is_error and "outside the allowed roots" in outcome.content


# --- hostile repositories -----------------------------------------------------------------------------------


def marker_script(folder: Path, name: str, markers: Path, tail: str) -> str:
    """A real executable that leaves `markers/name` behind: if git ran it, the file shows it."""
    script = folder / f"{name}.sh"
    script.write_text(f'#!/bin/sh\ntouch "{markers / name}"\n{tail}\n')
    script.chmod(0o755)
    return str(script)


def make_hostile(root: Path, tmp: Path) -> Path:
    """Turn `root`'s repository into one whose own config names a program at every hook git offers."""
    markers, scripts = tmp / "markers", tmp / "scripts"
    markers.mkdir()
    scripts.mkdir()
    (root / ".gitattributes").write_text("* diff=x filter=ev\n")
    git(root, "add", ".gitattributes")
    git(root, "commit", "-q", "-m", "attributes")
    # A signed commit on top: showing its signature would run gpg.program.
    tree = git(root, "rev-parse", "HEAD^{tree}").strip()
    parent = git(root, "rev-parse", "HEAD").strip()
    body = (
        f"tree {tree}\nparent {parent}\n"
        "author T <t@e.x> 1700000000 +0000\ncommitter T <t@e.x> 1700000000 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned\n"
    )
    signed = _hash_commit(root, body)
    git(root, "update-ref", "refs/heads/main", signed)
    settings = {
        "core.fsmonitor": marker_script(scripts, "fsmonitor", markers, "exit 0"),
        "core.pager": marker_script(scripts, "pager", markers, "cat"),
        "pager.log": marker_script(scripts, "pager-log", markers, "cat"),
        "diff.external": marker_script(scripts, "external-diff", markers, "exit 0"),
        "diff.x.textconv": marker_script(scripts, "textconv", markers, 'cat "$1"'),
        "diff.x.command": marker_script(scripts, "diff-command", markers, "exit 0"),
        "filter.ev.clean": marker_script(scripts, "filter-clean", markers, "cat"),
        "filter.ev.smudge": marker_script(scripts, "filter-smudge", markers, "cat"),
        "filter.ev.required": "true",
        "log.showSignature": "true",
        "gpg.program": marker_script(scripts, "gpg", markers, "exit 1"),
        "format.pretty": "%h %G? %s",
        "core.hooksPath": str(scripts),
        # A partial clone: a missing object would be fetched lazily, running upload-pack / ssh from config.
        "core.repositoryformatversion": "1",
        "extensions.partialClone": "origin",
        "remote.origin.url": str(root),  # an existing folder: git starts upload-pack for it
        "remote.origin.promisor": "true",
        "remote.origin.uploadpack": marker_script(scripts, "upload-pack", markers, "exit 1"),
        "core.sshCommand": marker_script(scripts, "ssh", markers, "exit 1"),
    }
    for key, value in settings.items():
        git(root, "config", key, value)
    # Same size, new content: status and diff must read the file through the clean filter to compare it.
    (root / "hello.py").write_text("print('HELLO')\n")
    return markers


def _hash_commit(root: Path, body: str) -> str:
    done = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=root, input=body, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


HOSTILE_CALLS = [
    (GitStatus, {}),
    (GitDiff, {}),
    (GitDiff, {"stat": True}),
    (GitDiff, {"target": "HEAD~1"}),
    (GitDiff, {"staged": True, "target": "HEAD~2"}),
    (GitLog, {}),
    (GitLog, {"patch": True, "max_count": 3}),
    (GitShow, {"revision": "HEAD"}),
    (GitShow, {"revision": "HEAD~1"}),
    (GitShow, {"revision": "HEAD:hello.py"}),
    (GitShow, {"revision": "1111111111111111111111111111111111111111"}),
    (GitBlame, {"path": "hello.py"}),
    (GitBlame, {"path": "hello.py", "revision": "HEAD"}),
]


async def test_a_hostile_repository_config_runs_no_program(
    tool_ctx: ToolContext, sandbox: Sandbox, tmp_path: Path
) -> None:
    markers = make_hostile(sandbox.root, tmp_path)
    outcomes = {}
    for tool, arguments in HOSTILE_CALLS:
        outcomes[f"{tool.name} {arguments}"] = await tool(tool_ctx).call(arguments)
    assert sorted(p.name for p in markers.iterdir()) == []
    failed = {call: o.content for call, o in outcomes.items() if o.is_error}
    # Only the made-up object is missing (and is not fetched); everything else still works.
    assert list(failed) == ["git_show {'revision': '1111111111111111111111111111111111111111'}"], failed
    assert "modified:   hello.py" in outcomes["git_status {}"].content
    assert "+print('HELLO')" in outcomes["git_diff {}"].content
    assert "signed" in outcomes["git_log {}"].content


async def test_blame_refuses_an_ignore_revs_file_outside_the_roots(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    # git would read it and die echoing its first line: "invalid object name: TOP-SECRET-..."
    git(sandbox.root, "config", "blame.ignoreRevsFile", str(sandbox.outside / "secret.txt"))
    outcome = await GitBlame(tool_ctx).call({"path": "hello.py"})
    assert outcome.is_error and "blame.ignoreRevsFile" in outcome.content
    assert SECRET not in outcome.content


async def test_blame_honours_an_ignore_revs_file_inside_the_repository(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    """A reformatting commit listed in the ignore file hands its lines back to the commit before it."""
    root = sandbox.root
    first = git(root, "rev-parse", "--short", "HEAD").strip()
    (root / "hello.py").write_text('print("hello")\n')
    commit_as(root, "Bob", "reformat: double quotes")
    reformat = git(root, "rev-parse", "HEAD").strip()
    before = ok(await GitBlame(tool_ctx).call({"path": "hello.py"}))
    assert before.startswith(reformat[: len(first)]) and "(Bob " in before
    (root / ".git-blame-ignore-revs").write_text(f"# formatting only\n{reformat}\n")
    git(root, "config", "blame.ignoreRevsFile", ".git-blame-ignore-revs")
    after = ok(await GitBlame(tool_ctx).call({"path": "hello.py"}))
    # `^` marks the root commit as blame's boundary.
    assert after.split(" ")[0] == f"^{first}" and "(T " in after and "Bob" not in after
    assert after.endswith('1) print("hello")')


async def test_the_users_global_config_is_kept_out_so_a_repository_cannot_trigger_its_drivers(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A repository's .gitattributes names drivers; a program the user's global config defines for one (a
    git-lfs filter, a textconv) would run on the repository's files. Global and system config stay out."""
    home = tmp_path / "home"
    home.mkdir()
    markers = tmp_path / "markers"
    markers.mkdir()
    clean = marker_script(tmp_path, "global-clean", markers, "cat")
    (home / ".gitconfig").write_text(f'[filter "mine"]\n\tclean = {clean}\n\trequired = true\n')
    (sandbox.root / ".gitattributes").write_text("hello.py filter=mine\n")
    (sandbox.root / "hello.py").write_text("print('HELLO')\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig")}
    ctx = context_over(sandbox.root, tmp_path, env)
    assert "+print('HELLO')" in ok(await GitDiff(ctx).call({}))
    assert "modified:   hello.py" in ok(await GitStatus(ctx).call({}))
    assert list(markers.iterdir()) == []


async def test_a_tracked_symlink_is_its_own_path_for_git(tool_ctx: ToolContext, history: Path) -> None:
    (history / "alias.py").symlink_to("hello.py")
    git(history, "add", "alias.py")
    commit_as(history, "Carol", "add an alias")
    out = ok(await GitLog(tool_ctx).call({"paths": ["alias.py"]}))
    assert "Carol: add an alias" in out and "Bob" not in out


# --- bounded output -----------------------------------------------------------------------------------------


async def test_a_diff_over_the_budget_keeps_head_and_tail_and_spills_the_whole(
    tool_ctx: ToolContext, history: Path
) -> None:
    (history / "hello.py").write_text("".join(f"line {n} {'x' * 60}\n" for n in range(5000)))
    out = ok(await GitDiff(tool_ctx).call({}))
    assert len(out) < tool_ctx.budget + 500
    assert "+line 0 " in out and "+line 4999 " in out
    spilled = Path(out.split("the whole output is in ")[1].split(" ")[0])
    assert spilled.parent == tool_ctx.spill.folder
    assert spilled.read_text().count("\n+line ") == 5000
