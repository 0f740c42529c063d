"""Hostile git config against every git tool, as a table: one row per key and per way of planting it.

Ways of planting: the repository's own `.git/config`; a file it includes (`include.path`, `includeIf`,
nested); `.git/info/attributes` naming a driver; the submodule's config, with the superproject asking git
to recurse into it (`diff.submodule=diff` and friends: git then runs a child git there that does not inherit
command-line options like `--no-ext-diff`). Every program planted is a real executable that leaves a marker
file behind; each row runs every git tool (and list_dir, which asks `git check-ignore`) and proves that no
marker appeared, that every tool either worked or refused clearly, and that nothing of the outside
repository or its secret came back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from m2bridge.tools import ToolOutcome
from mcp_tools.repo.git import GitBlame, GitDiff, GitLog, GitShow, GitStatus
from mcp_tools.repo.listing import ListDir
from tests.support.hostile_repo import OUTSIDE_SUBJECT, HostileRepo
from tests.support.sandbox import SECRET

PROGRAM = "{program}"  # replaced by a marker program named after the key
ATTRIBUTES = "* diff=drv filter=drv\n"
PARTIAL_CLONE = (
    ("core.repositoryformatversion", "1"),
    ("extensions.partialClone", "origin"),
    ("remote.origin.promisor", "true"),
)
MISSING = "1111111111111111111111111111111111111111"
HOOKS = (  # every hook githooks(5) names
    "applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit",
    "prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase", "post-checkout", "post-merge",
    "pre-push", "pre-receive", "update", "proc-receive", "post-receive", "post-update",
    "reference-transaction", "push-to-checkout", "pre-auto-gc", "post-rewrite", "sendemail-validate",
    "fsmonitor-watchman", "p4-changelist", "p4-prepare-changelist", "p4-post-changelist", "p4-pre-submit",
    "post-index-change",
)  # fmt: skip

# Every tool that runs git, with arguments that make it read the working tree, the submodule and history.
CALLS: dict[str, tuple[type[Any], dict[str, Any]]] = {
    "git_status": (GitStatus, {}),
    "git_diff": (GitDiff, {}),
    "git_diff HEAD~1": (GitDiff, {"target": "HEAD~1"}),
    "git_diff HEAD~1..HEAD": (GitDiff, {"target": "HEAD~1..HEAD"}),
    "git_log --patch": (GitLog, {"patch": True, "max_count": 3}),
    "git_show HEAD": (GitShow, {"revision": "HEAD"}),
    "git_show HEAD:hello.py": (GitShow, {"revision": "HEAD:hello.py"}),
    "git_blame": (GitBlame, {"path": "hello.py"}),
    "list_dir": (ListDir, {"depth": 2}),
}


@dataclass(frozen=True)
class Row:
    """Settings planted by one route; `refused`: call name prefix -> the phrase its refusal must carry."""

    route: str
    settings: tuple[tuple[str, str], ...]
    superproject: tuple[tuple[str, str], ...] = (("diff.submodule", "diff"),)
    refused: dict[str, str] = field(default_factory=dict)
    extra_calls: dict[str, tuple[type[Any], dict[str, Any]]] = field(default_factory=dict)
    check: Callable[[HostileRepo, dict[str, str]], None] | None = None
    gitmodules: str | None = None  # a working-tree .gitmodules replacing the recorded one


def program_rows(route: str, keys: list[str]) -> list[Any]:
    return [pytest.param(Row(route, ((key, PROGRAM),)), id=f"{route}:{key}") for key in keys]


def diff_shows_text(repo: HostileRepo, out: dict[str, str]) -> None:
    assert "+print('HELLO')" in out["git_diff"], "the outside attributes file was read"


def untracked_listed(repo: HostileRepo, out: dict[str, str]) -> None:
    assert "untracked.txt" in out["git_status"] and "untracked.txt" in out["list_dir"], "excludes read"


def default_order(repo: HostileRepo, out: dict[str, str]) -> None:
    diff = out["git_diff"]
    assert diff.index("hello.py") < diff.index("notes.md"), "the outside order file was read"


FILTER_REQUIRED = ("filter.drv.required", "true")
OUTSIDE_CONFIG = "{outside}/evil.gitconfig"
INCLUDE_REFUSED = {"git_": "outside the allowed roots"}

ROWS = [
    # The repository's own config, each program-running key (drivers chosen by .gitattributes).
    *program_rows(
        "repo",
        ["core.fsmonitor", "core.pager", "diff.external", "diff.drv.command", "diff.drv.textconv"],
    ),
    *[
        pytest.param(
            Row("repo", ((f"filter.drv.{key}", PROGRAM), FILTER_REQUIRED)), id=f"repo:filter.drv.{key}"
        )
        for key in ("clean", "smudge", "process")
    ],
    pytest.param(
        Row("repo", tuple((f"pager.{cmd}", PROGRAM) for cmd in ("status", "diff", "log", "show", "blame"))),
        id="repo:pager.<command>",
    ),
    pytest.param(Row("repo", (("core.hooksPath", "{hooks}"),)), id="repo:core.hooksPath"),
    pytest.param(Row("hooks", ()), id="repo:.git/hooks"),
    pytest.param(
        Row(
            "repo", (("gpg.program", PROGRAM), ("log.showSignature", "true"), ("format.pretty", "%h %G? %s"))
        ),
        id="repo:gpg.program",
    ),
    pytest.param(
        Row("repo", (("gpg.openpgp.program", PROGRAM), ("log.showSignature", "true"))),
        id="repo:gpg.openpgp.program",
    ),
    pytest.param(
        Row("repo", (("core.editor", PROGRAM), ("sequence.editor", PROGRAM))), id="repo:core.editor"
    ),
    pytest.param(Row("repo", (("interactive.diffFilter", PROGRAM),)), id="repo:interactive.diffFilter"),
    # A partial clone: git would fetch a missing object lazily, through the remote's programs.
    *[
        pytest.param(
            Row(
                "repo",
                (*PARTIAL_CLONE, ("remote.origin.url", url), (key, PROGRAM)),
                extra_calls={"git_show missing": (GitShow, {"revision": MISSING})},
                refused={"git_show missing": MISSING},
            ),
            id=f"repo:{key}",
        )
        for key, url in (
            ("remote.origin.uploadpack", "{base}/sub-source"),
            ("core.sshCommand", "ssh://127.0.0.1:9/x.git"),
            ("core.gitProxy", "git://127.0.0.1:9/x.git"),
            ("credential.helper", "https://127.0.0.1:9/x.git"),
            ("core.askPass", "https://127.0.0.1:9/x.git"),
        )
    ],
    # Keys naming files outside the roots: reading one would change what the tools answer.
    pytest.param(
        Row("repo", (("core.attributesFile", "{outside}/attributes"),), check=diff_shows_text),
        id="repo:core.attributesFile",
    ),
    pytest.param(
        Row("repo", (("core.excludesFile", "{outside}/ignore"),), check=untracked_listed),
        id="repo:core.excludesFile",
    ),
    pytest.param(Row("repo", (("mailmap.file", "{outside}/mailmap"),)), id="repo:mailmap.file"),
    pytest.param(
        Row("repo", (("diff.orderFile", "{outside}/order"),), check=default_order), id="repo:diff.orderFile"
    ),
    pytest.param(
        Row(
            "repo",
            (("blame.ignoreRevsFile", "{outside}/secret.txt"),),
            refused={"git_blame": "blame.ignoreRevsFile"},
        ),
        id="repo:blame.ignoreRevsFile",
    ),
    # Attributes from .git/info/attributes rather than the working tree.
    pytest.param(
        Row(
            "info-attributes",
            (("diff.drv.textconv", PROGRAM), ("filter.drv.clean", PROGRAM), FILTER_REQUIRED),
        ),
        id="info-attributes:textconv+filter",
    ),
    # Included files inside the root: their drivers are found and switched off like the repo's own.
    *[
        pytest.param(
            Row(
                route,
                (
                    ("core.fsmonitor", PROGRAM),
                    ("diff.external", PROGRAM),
                    ("diff.drv.textconv", PROGRAM),
                    ("filter.drv.clean", PROGRAM),
                    FILTER_REQUIRED,
                ),
            ),
            id=f"{route}:fsmonitor+external+textconv+filter",
        )
        for route in ("include", "include-if", "nested-include")
    ],
    pytest.param(
        Row(
            "include",
            (("blame.ignoreRevsFile", "{outside}/secret.txt"),),
            refused={"git_blame": "blame.ignoreRevsFile"},
        ),
        id="include:blame.ignoreRevsFile",
    ),
    # Includes naming files outside the root: refused before git reads them.
    pytest.param(
        Row("repo", (("include.path", OUTSIDE_CONFIG),), refused=INCLUDE_REFUSED),
        id="repo:include.path-outside",
    ),
    pytest.param(
        Row("repo", (("include.path", "../../outside/evil.gitconfig"),), refused=INCLUDE_REFUSED),
        id="repo:include.path-relative-outside",
    ),
    pytest.param(
        Row("repo", (("includeIf.onbranch:main.path", OUTSIDE_CONFIG),), refused=INCLUDE_REFUSED),
        id="repo:includeIf.path-outside",
    ),
    pytest.param(
        Row("repo", (("include.path", "~/evil.gitconfig"),), refused=INCLUDE_REFUSED),
        id="repo:include.path-home",
    ),
    pytest.param(
        Row("include", (("include.path", OUTSIDE_CONFIG),), refused=INCLUDE_REFUSED),
        id="include:include.path-outside",
    ),
    # git reads core.worktree before includes: the working tree stays where it is (and is checked).
    pytest.param(Row("include", (("core.worktree", "{outside}"),)), id="include:core.worktree-outside"),
    # The submodule's config, with the superproject asking git to recurse into it (finding 1: a child
    # `git diff` in the submodule inherits `-c` settings but not `--no-ext-diff` / `--no-textconv`).
    *program_rows("submodule", ["diff.external", "diff.drv.textconv", "diff.drv.command", "core.fsmonitor"]),
    pytest.param(
        Row(
            "submodule",
            (("core.fsmonitor", PROGRAM), ("filter.drv.clean", PROGRAM), FILTER_REQUIRED),
            superproject=(("diff.submodule", "diff"),),
            gitmodules='[submodule "sub"]\n\tpath = sub\n\turl = ./sub\n\tignore = none\n',
        ),
        id="submodule:everything-with-.gitmodules-ignore=none",
    ),
    pytest.param(
        Row("submodule", (("filter.drv.clean", PROGRAM), FILTER_REQUIRED)), id="submodule:filter.drv.clean"
    ),
    *[
        pytest.param(
            Row(
                "submodule",
                (
                    ("core.fsmonitor", PROGRAM),
                    ("diff.external", PROGRAM),
                    ("diff.drv.textconv", PROGRAM),
                    ("filter.drv.clean", PROGRAM),
                    FILTER_REQUIRED,
                    ("core.pager", PROGRAM),
                ),
                superproject=superproject,
            ),
            id=f"submodule:everything-with-{name}",
        )
        for name, superproject in (
            ("diff.submodule=log", (("diff.submodule", "log"),)),
            ("status.submoduleSummary", (("status.submoduleSummary", "true"),)),
            ("submodule.recurse", (("submodule.recurse", "true"), ("diff.submodule", "diff"))),
            ("diff.ignoreSubmodules=none", (("diff.ignoreSubmodules", "none"), ("diff.submodule", "diff"))),
            ("submodule.sub.ignore=none", (("submodule.sub.ignore", "none"), ("diff.submodule", "diff"))),
        )
    ],
]


def test_the_table_covers_at_least_twenty_five_keys_and_routes() -> None:
    assert len(ROWS) >= 25
    routes = {row.values[0].route for row in ROWS}
    assert {"repo", "include", "include-if", "nested-include", "info-attributes", "submodule"} <= routes


def fill(repo: HostileRepo, value: str, key: str) -> str:
    if value == PROGRAM:
        tail = (
            'cat "$1"'
            if "textconv" in key
            else "cat"
            if key.startswith(("filter", "core.pager"))
            else "exit 0"
        )
        return repo.program(key, tail)
    return value.format(outside=repo.outside, base=repo.base, hooks=repo.scripts / "hooks")


def plant_outside_files(repo: HostileRepo) -> None:
    """Files outside the root that hostile settings name: each would change an answer if git read it."""
    (repo.outside / "attributes").write_text("* -diff\n")
    (repo.outside / "ignore").write_text("untracked.txt\n")
    (repo.outside / "mailmap").write_text(f"{SECRET} <t@e.x>\n")
    (repo.outside / "order").write_text("notes.md\nhello.py\n")
    evil = repo.outside / "evil.gitconfig"
    for key in ("core.fsmonitor", "diff.external", "diff.drv.textconv", "filter.drv.clean"):
        repo.configure(evil, key, repo.program(f"outside-{key}"))
    repo.configure(evil, *FILTER_REQUIRED)
    (repo.root / "untracked.txt").write_text("new\n")
    hooks = repo.scripts / "hooks"
    hooks.mkdir()
    for hook in HOOKS:
        os.link(repo.program(f"hook-{hook}", "exit 0"), hooks / hook)


def plant(repo: HostileRepo, row: Row) -> None:
    plant_outside_files(repo)
    config = repo.git_dir / "config"
    settings = [(key, fill(repo, value, key)) for key, value in row.settings]
    if row.route == "submodule":
        for key, value in row.superproject:
            repo.configure(config, key, value)
        config = repo.sub_git_dir / "config"
        (repo.sub_git_dir / "info").mkdir(exist_ok=True)
        (repo.sub_git_dir / "info" / "attributes").write_text(ATTRIBUTES)
    elif row.route == "info-attributes":
        (repo.git_dir / "info").mkdir(exist_ok=True)
        (repo.git_dir / "info" / "attributes").write_text(ATTRIBUTES)
    else:
        (repo.root / ".gitattributes").write_text(ATTRIBUTES)
    if row.gitmodules is not None:
        (repo.root / ".gitmodules").write_text(row.gitmodules)
    if row.route == "hooks":
        for hook in HOOKS:
            os.link(repo.scripts / "hooks" / hook, repo.git_dir / "hooks" / hook)
    if row.route in ("include", "include-if", "nested-include"):
        shared = repo.root / "shared.gitconfig"
        key = "includeIf.onbranch:main.path" if row.route == "include-if" else "include.path"
        repo.configure(config, key, "../shared.gitconfig")
        config = shared
        if row.route == "nested-include":
            repo.configure(shared, "include.path", "config/deeper.gitconfig")
            (repo.root / "config").mkdir()
            config = repo.root / "config" / "deeper.gitconfig"
    for key, value in settings:
        repo.configure(config, key, value)


def assert_answered(name: str, outcome: ToolOutcome, refused: str | None) -> None:
    assert SECRET not in outcome.content, f"{name} returned the outside secret"
    assert OUTSIDE_SUBJECT not in outcome.content, f"{name} read the outside repository"
    if refused is None:
        assert not outcome.is_error, f"{name} failed: {outcome.content}"
    else:
        assert outcome.is_error, f"{name} should have refused: {outcome.content[:500]}"
        assert refused in outcome.content, f"{name}: unclear refusal: {outcome.content}"


@pytest.mark.parametrize("row", ROWS)
async def test_hostile_config_runs_no_program_and_reads_nothing_outside(
    hostile_repo: HostileRepo, row: Row
) -> None:
    plant(hostile_repo, row)
    ctx = hostile_repo.context()
    answers: dict[str, str] = {}
    for name, (tool, arguments) in {**CALLS, **row.extra_calls}.items():
        outcome = await tool(ctx).call(arguments)
        refused = next((phrase for prefix, phrase in row.refused.items() if name.startswith(prefix)), None)
        assert_answered(name, outcome, refused)
        answers[name] = outcome.content
    assert hostile_repo.ran() == [], f"git ran planted programs: {hostile_repo.ran()}"
    if row.check is not None:
        row.check(hostile_repo, answers)
    if not row.refused:
        # The tools still did their work: the submodule's move and the changed file both show.
        assert "+print('HELLO')" in answers["git_diff"]
        assert "Subproject commit" in answers["git_diff HEAD~1..HEAD"]
        assert "modified:   hello.py" in answers["git_status"]


async def test_finding_1_cannot_be_planted_with_write_file_and_runs_nothing_when_planted_otherwise(
    hostile_repo: HostileRepo,
) -> None:
    """The attack as reported: on a clean repository with a submodule, `write_file` (all `--no-terminal`
    leaves) planted `diff.submodule = diff` in the superproject's config and an external diff and a
    textconv driver in the submodule's. Now no tool writes into `.git` at all (a plain `git commit` by the
    user would otherwise run what was planted); and planted by another process, it still runs nothing
    through git_diff, git_show and git_log under `--read-only --no-terminal`, over a real MCP client."""
    from mcp import Client

    from mcp_tools.server.app import build_server
    from mcp_tools.toolkit import ToolOptions, open_toolset
    from tests.support.mcp_clients import text_of

    marker = hostile_repo.markers / "pwned"
    plants = {
        ".git/config": "[diff]\n\tsubmodule = diff\n",
        ".git/modules/sub/config": (
            f'[diff]\n\texternal = touch "{marker}" #\n'
            f'[diff "drv"]\n\ttextconv = touch "{marker}-textconv" #\n'
        ),
        ".git/modules/sub/info/attributes": "* diff=drv\n",
    }
    before = {
        path: (hostile_repo.root / path).read_bytes()
        for path in plants
        if (hostile_repo.root / path).exists()
    }
    planting = open_toolset(
        ToolOptions(roots=[hostile_repo.root], home=hostile_repo.base / "h1", no_terminal=True)
    )
    async with Client(build_server(planting.tools, planting.context)) as client:
        for path, text in plants.items():
            written = await client.call_tool("write_file", {"path": path, "content": text})
            assert written.is_error and "git's own files" in text_of(written), text_of(written)
        edited = await client.call_tool(
            "edit_file",
            {
                "path": ".git/config",
                "old_string": "[core]",
                "new_string": "[diff]\n\tsubmodule = diff\n[core]",
            },
        )
        assert edited.is_error and "git's own files" in text_of(edited), text_of(edited)
    await planting.aclose()
    after = {
        path: (hostile_repo.root / path).read_bytes()
        for path in plants
        if (hostile_repo.root / path).exists()
    }
    assert after == before, "a tool wrote into .git"

    # Another process inside the root (not a tool) plants the same config.
    for path, text in plants.items():
        target = hostile_repo.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a") as out:
            out.write(text)
    assert "submodule = diff" in (hostile_repo.git_dir / "config").read_text()

    reading = open_toolset(
        ToolOptions(
            roots=[hostile_repo.root], home=hostile_repo.base / "h2", read_only=True, no_terminal=True
        )
    )
    async with Client(build_server(reading.tools, reading.context)) as client:
        for tool, arguments in (
            ("git_diff", {}),
            ("git_diff", {"target": "HEAD~1..HEAD"}),
            ("git_show", {"revision": "HEAD"}),
            ("git_log", {"patch": True, "max_count": 2}),
            ("git_status", {}),
        ):
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, text_of(result)
            assert not list(hostile_repo.markers.iterdir()), f"{tool} {arguments} ran the planted command"
        shown = text_of(await client.call_tool("git_show", {"revision": "HEAD"}))
        assert "+Subproject commit" in shown
    await reading.aclose()


async def test_finding_1_runs_nothing_under_the_real_server_started_read_only_without_terminal(
    hostile_repo: HostileRepo,
) -> None:
    """The same planted repository against `m2bridge mcp --read-only --no-terminal` as its own process."""
    from tests.support.mcp_clients import server_env, stdio_client, stdio_params, text_of

    marker = hostile_repo.markers / "pwned"
    hostile_repo.configure(hostile_repo.git_dir / "config", "diff.submodule", "diff")
    hostile_repo.configure(hostile_repo.sub_git_dir / "config", "diff.external", f'touch "{marker}" #')
    hostile_repo.configure(hostile_repo.sub_git_dir / "config", "diff.drv.textconv", f'touch "{marker}-tc" #')
    (hostile_repo.sub_git_dir / "info" / "attributes").write_text("* diff=drv\n")
    env = server_env(hostile_repo.base / "server-home")
    params = stdio_params([hostile_repo.root], env, "--read-only", "--no-terminal")
    async with stdio_client(params, "legacy") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "write_file" not in names and "run_command" not in names
        for tool, arguments in (
            ("git_diff", {}),
            ("git_diff", {"target": "HEAD~1..HEAD"}),
            ("git_show", {"revision": "HEAD"}),
            ("git_log", {"patch": True, "max_count": 2}),
        ):
            result = await client.call_tool(tool, arguments)
            assert hostile_repo.ran() == [], f"{tool} {arguments} ran the planted command"
            assert not result.is_error, text_of(result)
            assert "Subproject commit" in text_of(result)
