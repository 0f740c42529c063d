"""The search tool with the real ripgrep binary, on the sandbox's repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from m2bridge.tools import ToolOutcome
from mcp_tools.repo.search import SearchTool
from mcp_tools.tool_context import ToolContext
from tests.mcp_tools.attacks import PATH_ATTACKS, fill
from tests.support.sandbox import SECRET, Sandbox


def ok(outcome: ToolOutcome) -> str:
    assert not outcome.is_error, outcome.content
    return outcome.content


async def search(ctx: ToolContext, **arguments: object) -> ToolOutcome:
    return await SearchTool(ctx).call(arguments)


async def test_search_finds_matches_with_context_lines_marked(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    (sandbox.root / "app.py").write_text("import os\n\ndef main():\n    return 1\n\n\nx = 2\n")
    out = ok(await search(tool_ctx, pattern=r"def \w+", context_lines=1))
    assert out.splitlines() == [
        "app.py-2- ",
        "app.py:3: def main():",
        "app.py-4-     return 1",
        "[1 matching line in 1 file]",
    ]


async def test_search_separates_context_groups_and_counts_files(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    (sandbox.root / "a.txt").write_text("needle 1\n" + "hay\n" * 5 + "needle 2\n")
    (sandbox.root / "sub" / "b.txt").write_text("needle 3\n")
    out = ok(await search(tool_ctx, pattern="needle", context_lines=1, glob=["*.txt"]))
    lines = out.splitlines()
    assert "a.txt:1: needle 1" in lines and "a.txt:7: needle 2" in lines and "sub/b.txt:1: needle 3" in lines
    assert "--" in lines
    assert lines[-1] == "[3 matching lines in 2 files]"


async def test_search_honours_gitignore_unless_asked(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / ".gitignore").write_text("build/\n")
    (sandbox.root / "build").mkdir()
    (sandbox.root / "build" / "out.js").write_text("const marker = 1;\n")
    (sandbox.root / "src.js").write_text("const marker = 2;\n")
    out = ok(await search(tool_ctx, pattern="marker"))
    assert "src.js:1:" in out and "build/out.js" not in out
    assert "build/out.js:1:" in ok(await search(tool_ctx, pattern="marker", include_ignored=True))


async def test_search_skips_hidden_files_unless_asked_and_never_searches_git(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    (sandbox.root / ".env.example").write_text("HIDDEN_TOKEN=1\n")
    assert "No matches" in ok(await search(tool_ctx, pattern="HIDDEN_TOKEN"))
    assert ".env.example:1:" in ok(await search(tool_ctx, pattern="HIDDEN_TOKEN", include_hidden=True))
    everything = ok(await search(tool_ctx, pattern="first", include_hidden=True, include_ignored=True))
    assert ".git/" not in everything  # the commit message "first" lives in .git/logs


async def test_search_filters_files_by_glob(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "one.py").write_text("token\n")
    (sandbox.root / "two.txt").write_text("token\n")
    out = ok(await search(tool_ctx, pattern="token", glob=["*.py"]))
    assert "one.py:1: token" in out and "two.txt" not in out
    single = ok(await search(tool_ctx, pattern="token", glob="*.txt"))
    assert "two.txt:1: token" in single and "one.py" not in single
    excluded = ok(await search(tool_ctx, pattern="token", glob=["!*.py"]))
    assert "two.txt" in excluded and "one.py" not in excluded


async def test_fixed_strings_search_literal_text(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "calls.py").write_text("value = compute(a.b(\nvalue = compute(axb(\n")
    out = ok(await search(tool_ctx, pattern="a.b(", fixed_strings=True))
    assert "calls.py:1: value = compute(a.b(" in out and "axb" not in out


async def test_an_invalid_regex_gets_a_clear_error(tool_ctx: ToolContext) -> None:
    outcome = await search(tool_ctx, pattern="compute(a")
    assert outcome.is_error
    assert "invalid regular expression" in outcome.content and "unclosed group" in outcome.content
    assert "fixed_strings=true" in outcome.content


@pytest.mark.parametrize("pattern", ["--files", "-e", "--pre=touch", "-L"])
async def test_a_pattern_starting_with_a_dash_is_searched_not_taken_as_an_option(
    tool_ctx: ToolContext, sandbox: Sandbox, pattern: str
) -> None:
    (sandbox.root / "cli.txt").write_text(f"run it with {pattern} here\n")
    out = ok(await search(tool_ctx, pattern=pattern, fixed_strings=True))
    assert out.splitlines()[0] == f"cli.txt:1: run it with {pattern} here"
    assert out.splitlines()[1] == "[1 matching line in 1 file]"


async def test_results_are_cut_at_max_results_with_a_note(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "many.txt").write_text("".join(f"hit {n}\n" for n in range(500)))
    out = ok(await search(tool_ctx, pattern="hit", max_results=10))
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("many.txt:")] == [
        f"many.txt:{n + 1}: hit {n}" for n in range(10)
    ]
    assert "stopped at max_results=10" in lines[-1] and "Narrow the search" in lines[-1]


async def test_files_only_lists_matching_files(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    for name in ("a.md", "b.md", "c.md"):
        (sandbox.root / name).write_text("shared words\n")
    out = ok(await search(tool_ctx, pattern="shared", files_only=True))
    assert sorted(out.splitlines()[:-1]) == ["a.md", "b.md", "c.md"] and out.endswith("[3 files]")
    cut = ok(await search(tool_ctx, pattern="shared", files_only=True, max_results=2))
    assert len(cut.splitlines()) == 3 and "stopped at max_results=2 files" in cut


async def test_ignore_case_matches_any_case(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "case.txt").write_text("Hello World\n")
    assert "No matches" in ok(await search(tool_ctx, pattern="hello world"))
    assert "case.txt:1: Hello World" in ok(await search(tool_ctx, pattern="hello world", ignore_case=True))


async def test_a_long_line_is_cut_to_a_preview(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "min.js").write_text("var needle=" + "x" * 100_000 + ";\n")
    out = ok(await search(tool_ctx, pattern="needle"))
    assert len(out) < 1000 and "min.js:1: var needle=xxx" in out and "omitted" in out


async def test_search_in_one_file_or_folder_shows_paths_from_the_root(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    assert ok(await search(tool_ctx, pattern="notes", path="sub/notes.md")).startswith(
        "sub/notes.md:1: # notes"
    )
    assert ok(await search(tool_ctx, pattern="notes", path="sub")).startswith("sub/notes.md:1: # notes")


async def test_no_match_is_an_answer_not_an_error(tool_ctx: ToolContext) -> None:
    out = ok(await search(tool_ctx, pattern="nothing-like-this-anywhere"))
    assert out.startswith("No matches for 'nothing-like-this-anywhere' in .")


async def test_a_symlink_to_a_folder_outside_the_roots_is_not_followed(
    tool_ctx: ToolContext, sandbox: Sandbox
) -> None:
    # The sandbox's root holds link_out, link_file, chain_link and link_parent, all leading outside.
    for extra in ({}, {"include_hidden": True, "include_ignored": True}):
        out = ok(await search(tool_ctx, pattern=SECRET, **extra))
        assert out.startswith("No matches"), out


@pytest.mark.parametrize("name", sorted(PATH_ATTACKS))
async def test_a_path_outside_the_roots_is_refused(
    tool_ctx: ToolContext, sandbox: Sandbox, name: str
) -> None:
    raw = fill(
        PATH_ATTACKS[name], root=str(sandbox.root), outside=str(sandbox.outside), sibling=str(sandbox.sibling)
    )
    outcome = await search(tool_ctx, pattern="SECRET", path=raw)
    assert outcome.is_error, outcome.content
    assert SECRET not in outcome.content


async def test_a_ripgrep_config_file_in_the_environment_is_ignored(
    tool_ctx: ToolContext, sandbox: Sandbox, tmp_path: Path
) -> None:
    config = tmp_path / "ripgreprc"
    config.write_text("--glob=!*.py\n--fixed-strings\n")
    ctx = ToolContext(
        base_policy=tool_ctx.base_policy,
        spill=tool_ctx.spill,
        workspace=tool_ctx.workspace,
        child_env={**tool_ctx.child_env, "RIPGREP_CONFIG_PATH": str(config)},
    )
    assert "hello.py:1: print('hello')" in ok(await search(ctx, pattern=r"print\('hel+o'\)"))


async def test_output_over_the_budget_is_spilled(tool_ctx: ToolContext, sandbox: Sandbox) -> None:
    (sandbox.root / "wide.txt").write_text(("match " + "y" * 250 + "\n") * 1000)
    out = ok(await search(tool_ctx, pattern="match", max_results=1000))
    assert len(out) < tool_ctx.budget + 500 and "the whole output is in" in out
    assert out.rstrip().endswith("[1000 matching lines in 1 file]")


async def test_a_search_past_its_time_limit_is_stopped_and_says_so(
    tool_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mcp_tools.repo.search as search_module

    monkeypatch.setattr(search_module, "SEARCH_TIMEOUT", 0.0)
    out = ok(await search(tool_ctx, pattern="hello"))
    assert "the search was stopped" in out


def test_search_is_read_only_and_idempotent(tool_ctx: ToolContext) -> None:
    spec = SearchTool(tool_ctx).spec
    assert spec.read_only and spec.idempotent and not spec.destructive
    assert spec.input_schema["required"] == ["pattern"]
