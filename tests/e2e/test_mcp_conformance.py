"""The official MCP conformance suite (`@modelcontextprotocol/conformance`, npm) against `m2bridge mcp` over
Streamable HTTP, with the reference server-everything run the same way beside it.

The suite cannot send a bearer token, so it talks to the auth proxy in tests/support, which adds it; the
server's token stays on. Scenarios that need the suite's own fixtures are listed, each with its reason, in
tests/conformance/not_applicable.toml; every check of every other scenario must pass. `.ci/run` installs the
suite with scripts/conformance before the slow group; the side-by-side table goes to
test-artifacts/conformance/side-by-side.txt (and `python -m tests.conformance` prints it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.servers import everything_server, m2bridge_behind_proxy
from tests.conformance.suite import ROOT, NotInstalled, SuiteRun, require_installed, run_suite
from tests.conformance.tally import load_not_applicable, report, tally

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts" / "conformance"


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    try:
        require_installed()
    except NotInstalled as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def m2bridge_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteRun]:
    base = tmp_path_factory.mktemp("m2bridge")
    with m2bridge_behind_proxy(base) as url:
        yield run_suite(url, base / "results")


@pytest.fixture(scope="module")
def everything_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteRun]:
    base = tmp_path_factory.mktemp("server-everything")
    with everything_server(base) as url:
        yield run_suite(url, base / "results")


def test_every_conformance_check_that_applies_passes_against_m2bridge(m2bridge_run: SuiteRun) -> None:
    result = tally(m2bridge_run, load_not_applicable())
    assert result.applicable > 0 and result.passed > 0, m2bridge_run.output
    assert not result.problems, "\n".join(result.problems)


def test_no_scenario_on_the_not_applicable_list_has_started_passing(m2bridge_run: SuiteRun) -> None:
    result = tally(m2bridge_run, load_not_applicable())
    assert not result.stale, "\n".join(result.stale)


def test_the_figures_stand_side_by_side_with_the_reference_server(
    m2bridge_run: SuiteRun, everything_run: SuiteRun
) -> None:
    not_applicable = load_not_applicable()
    tallies = {"m2bridge": tally(m2bridge_run, not_applicable)}
    tallies["server-everything"] = tally(everything_run, not_applicable)
    table = report(tallies)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "side-by-side.txt").write_text(table + "\n")
    print(table)
    # The same harness reached the reference server: every scenario ran and its protocol core passed.
    assert not everything_run.missing, everything_run.output
    assert tallies["server-everything"].passed > 0, everything_run.output


def test_a_server_that_refuses_the_suite_fails_the_checks(tmp_path: Path) -> None:
    # The harness can fail: with the wrong token in the proxy, m2bridge answers 401 and initialize fails.
    with m2bridge_behind_proxy(tmp_path, token="not-the-token") as url:
        run = run_suite(url, tmp_path / "results", scenario="server-initialize")
    result = tally(run, load_not_applicable())
    assert result.passed == 0
    assert result.problems and "server-initialize / server-initialize: FAILURE" in result.problems[0]
