"""What a conformance run means for a server, given the checked-in list of scenarios that do not apply; and
the side-by-side table of two servers' figures.

A check passes when its status is SUCCESS. In a scenario that applies, FAILURE and WARNING both count as not
passed, and so does a scenario that wrote no results at all. A scenario on the not-applicable list whose
checks all pass is stale, unless its entry says why it passes anyway.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tests.conformance.suite import SuiteRun

__all__ = [
    "NOT_APPLICABLE",
    "NotApplicable",
    "Tally",
    "load_not_applicable",
    "report",
    "side_by_side",
    "tally",
]

NOT_APPLICABLE = Path(__file__).with_name("not_applicable.toml")
_COUNTED = ("SUCCESS", "FAILURE", "WARNING")


@dataclass(frozen=True)
class NotApplicable:
    scenario: str
    reason: str
    passes_anyway: str = ""


@dataclass
class Tally:
    scenarios_run: int = 0
    applicable: int = 0  # scenarios
    passed: int = 0  # checks, in scenarios that apply
    failed: int = 0  # checks not passed (FAILURE, WARNING, or a scenario with no results)
    not_applicable: int = 0  # scenarios
    na_passed: int = 0  # checks, in scenarios that do not apply
    na_failed: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # each failed check in a scenario that applies
    stale: list[str] = field(default_factory=list)  # list entries that should go


def load_not_applicable(path: Path = NOT_APPLICABLE) -> dict[str, NotApplicable]:
    with path.open("rb") as fh:
        entries = tomllib.load(fh)["scenarios"]
    return {
        name: NotApplicable(name, entry["reason"], entry.get("passes_anyway", ""))
        for name, entry in entries.items()
    }


def tally(run: SuiteRun, not_applicable: dict[str, NotApplicable]) -> Tally:
    result = Tally(scenarios_run=len(run.scenarios), seconds=run.seconds)
    for scenario in run.scenarios:
        checks = [c for c in run.checks.get(scenario, []) if c.status in _COUNTED]
        passed = sum(c.status == "SUCCESS" for c in checks)
        if scenario in not_applicable:
            result.not_applicable += 1
            result.na_passed += passed
            result.na_failed += len(checks) - passed
            if checks and passed == len(checks) and not not_applicable[scenario].passes_anyway:
                result.stale.append(f"{scenario}: every check passes now; remove it from the list")
            continue
        result.applicable += 1
        if scenario not in run.checks:
            result.failed += 1
            result.problems.append(f"{scenario}: the suite failed to run it (no results written)")
            continue
        result.passed += passed
        result.failed += len(checks) - passed
        result.problems += [
            f"{scenario} / {c.id}: {c.status} {c.message}".rstrip() for c in checks if c.status != "SUCCESS"
        ]
    for name in sorted(set(not_applicable) - set(run.scenarios)):
        result.stale.append(f"{name}: the suite has no such scenario; remove it from the list")
    return result


def side_by_side(tallies: dict[str, Tally]) -> str:
    """The figures of each server in one column; the same suite, run the same way, the same list applied."""
    rows = [
        ("scenarios run", lambda t: str(t.scenarios_run)),
        ("  that apply", lambda t: str(t.applicable)),
        ("  not applicable (list)", lambda t: str(t.not_applicable)),
        ("checks passed", lambda t: str(t.passed)),
        ("checks failed", lambda t: str(t.failed)),
        ("checks in n/a scenarios: passed", lambda t: str(t.na_passed)),
        ("checks in n/a scenarios: failed", lambda t: str(t.na_failed)),
        ("suite time", lambda t: f"{t.seconds:.1f} s"),
    ]
    names = list(tallies)
    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(name), 8) for name in names]
    lines = [" " * label_width + "".join(f"  {n:>{w}}" for n, w in zip(names, widths, strict=True))]
    for label, cell in rows:
        cells = "".join(f"  {cell(tallies[n]):>{w}}" for n, w in zip(names, widths, strict=True))
        lines.append(f"{label:<{label_width}}{cells}")
    return "\n".join(lines)


def report(tallies: dict[str, Tally]) -> str:
    """The table, then what m2bridge (the first column) failed and which list entries are stale."""
    mine = tallies["m2bridge"]
    lines = [
        "MCP conformance suite, every server scenario (--suite all), the same not-applicable list applied",
        f"({NOT_APPLICABLE.name}: scenarios that need the suite's fixtures,",
        " or capabilities m2bridge does not declare)",
        "",
        side_by_side(tallies),
    ]
    if mine.problems:
        lines += ["", "m2bridge: checks that apply and did not pass:", *(f"  {p}" for p in mine.problems)]
    if mine.stale:
        lines += ["", f"m2bridge: stale entries in {NOT_APPLICABLE.name}:", *(f"  {s}" for s in mine.stale)]
    return "\n".join(lines)
