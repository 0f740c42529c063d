"""How a conformance run is judged against the not-applicable list, on hand-made results (the real suite runs
in tests/e2e/test_mcp_conformance.py)."""

from __future__ import annotations

from tests.conformance.suite import Check, SuiteRun
from tests.conformance.tally import NotApplicable, load_not_applicable, side_by_side, tally


def run_of(**scenarios: list[str]) -> SuiteRun:
    checks = {
        name.replace("_", "-"): [
            Check(name, f"{name}-{i}", status, "why") for i, status in enumerate(statuses)
        ]
        for name, statuses in scenarios.items()
    }
    return SuiteRun("http://127.0.0.1:1/mcp", list(checks), checks, 1.5, 0, "")


NA = {
    "prompts-list": NotApplicable("prompts-list", "no prompts"),
    "tools-call-error": NotApplicable("tools-call-error", "fixture", passes_anyway="unknown tool is isError"),
}


def test_a_failure_or_warning_in_a_scenario_that_applies_is_a_problem() -> None:
    result = tally(run_of(ping=["SUCCESS", "INFO"], tools_list=["FAILURE"], sse=["WARNING"]), NA)
    assert (result.passed, result.failed, result.applicable) == (1, 2, 3)
    assert [p.split(":")[0] for p in result.problems] == ["tools-list / tools_list-0", "sse / sse-0"]


def test_failures_in_not_applicable_scenarios_are_counted_apart() -> None:
    result = tally(run_of(ping=["SUCCESS"], prompts_list=["FAILURE"], tools_call_error=["SUCCESS"]), NA)
    assert not result.problems and not result.stale
    assert (result.not_applicable, result.na_passed, result.na_failed) == (2, 1, 1)


def test_a_listed_scenario_that_passes_is_stale_unless_it_passes_anyway() -> None:
    result = tally(run_of(prompts_list=["SUCCESS"], tools_call_error=["SUCCESS"]), NA)
    assert result.stale == ["prompts-list: every check passes now; remove it from the list"]


def test_a_listed_scenario_the_suite_does_not_have_is_stale() -> None:
    result = tally(run_of(ping=["SUCCESS"], prompts_list=["FAILURE"]), NA)
    assert result.stale == ["tools-call-error: the suite has no such scenario; remove it from the list"]


def test_a_scenario_that_wrote_no_results_fails() -> None:
    run = run_of(ping=["SUCCESS"])
    run.scenarios.append("server-initialize")
    result = tally(run, NA)
    assert result.failed == 1 and "server-initialize: the suite failed to run it" in result.problems[0]


def test_every_entry_of_the_checked_in_list_gives_a_reason() -> None:
    entries = load_not_applicable()
    assert entries and all(len(entry.reason) > 20 for entry in entries.values())


def test_the_table_puts_each_server_in_a_column() -> None:
    table = side_by_side({"m2bridge": tally(run_of(ping=["SUCCESS"]), {}), "other": tally(run_of(), {})})
    assert table.splitlines()[0].split() == ["m2bridge", "other"]
    assert table.splitlines()[1].split() == ["scenarios", "run", "1", "0"]
