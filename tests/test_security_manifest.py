"""docs/security.md is a manifest: every security rule names the tests that attack it, and each named test
exists. A rule without an attack test, or a test name that no longer exists, fails here (the MCP SDK keeps
its spec requirements the same way)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
MANIFEST = TOP / "docs" / "security.md"

# The rules of design.md ("Rules every part follows") that are about attacks. Each must have a section.
REQUIRED_RULES = (
    "one-path-policy",
    "race-free-paths",
    "regular-files-only",
    "hostile-repos",
    "nothing-slow-on-the-event-loop",
    "project-files-only-narrow",
    "spill-per-server",
    "commands-in-a-sandbox",
    "processes-are-contained",
    "nothing-unbounded",
    "secrets-stay-out",
    "http-is-locked-down",
    "hostile-messages",
    "approval",
    "paid-calls-are-not-repeated",
    "editor-settings-cannot-redirect-the-key",
    "clear-errors-nothing-lost",
    # Ours beyond design.md's list: what the model says reaches a webview in the editor.
    "model-output-stays-text",
    # Issue 18: a shared PostgreSQL store keeps each role to its own sessions.
    "sessions-are-isolated-by-the-database",
)

_HEADING = re.compile(r"^### `(?P<id>[a-z0-9-]+)`")
_TEST_REF = re.compile(r"`(?P<file>tests/[\w/]+\.py)::(?P<name>[\w:]+)`")
# The extension's tests (Node's test runner): `vscode-ext/test/<file>::"<the test's sentence>"`.
_NODE_TEST_REF = re.compile(r'`(?P<file>vscode-ext/test/[\w/.-]+\.(?:mjs|ts))::"(?P<name>[^"]+)"`')
_PLANNED = re.compile(r"^Status: planned in issue (?P<issue>\d+)\b", re.MULTILINE)


@dataclass
class Rule:
    id: str
    text: list[str] = field(default_factory=list)
    tests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def planned_issue(self) -> str | None:
        found = _PLANNED.search("\n".join(self.text))
        return found.group("issue") if found else None


def read_manifest() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    current: Rule | None = None
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = rules.setdefault(heading.group("id"), Rule(heading.group("id")))
            continue
        if line.startswith(("## ", "# ")):
            current = None
        if current is not None:
            current.text.append(line)
            current.tests += [(m.group("file"), m.group("name")) for m in _TEST_REF.finditer(line)]
            current.tests += [(m.group("file"), m.group("name")) for m in _NODE_TEST_REF.finditer(line)]
    return rules


def defined_tests(path: Path) -> set[str]:
    """`name` and `Class::name` for every test function defined in a test file; for the extension's
    tests, the sentence of every `test("...")` and `it("...")`."""
    if path.suffix in (".mjs", ".ts"):
        source = path.read_text(encoding="utf-8")
        return set(re.findall(r'^\s*(?:test|it)\(\s*"((?:[^"\\]|\\.)*)"', source, re.MULTILINE))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names |= {
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    return {name for name in names if name.rsplit("::", 1)[-1].startswith("test_")}


def test_every_required_rule_has_a_section_in_the_manifest() -> None:
    missing = [rule for rule in REQUIRED_RULES if rule not in read_manifest()]
    assert not missing, f"docs/security.md has no section for {missing}"


@pytest.mark.parametrize("rule_id", REQUIRED_RULES)
def test_each_rule_is_attacked_by_at_least_one_test_or_names_the_issue_that_builds_it(rule_id: str) -> None:
    rule = read_manifest().get(rule_id)
    assert rule is not None, f"docs/security.md has no section for {rule_id}"
    if rule.planned_issue is not None:
        assert not rule.tests, f"{rule_id} is marked planned but lists tests: drop the Status line"
        return
    assert rule.tests, f"{rule_id}: no test attacks this rule"


def test_every_test_the_manifest_names_exists() -> None:
    unknown: list[str] = []
    cache: dict[str, set[str]] = {}
    for rule in read_manifest().values():
        for file, name in rule.tests:
            path = TOP / file
            if not path.is_file():
                unknown.append(f"{rule.id}: {file} does not exist")
                continue
            defined = cache.setdefault(file, defined_tests(path))
            if name not in defined:
                unknown.append(f"{rule.id}: {file}::{name} is not a test there")
    assert not unknown, "\n".join(unknown)


def test_the_manifest_has_no_rule_the_design_does_not_know() -> None:
    extra = sorted(set(read_manifest()) - set(REQUIRED_RULES))
    assert not extra, f"sections without a place in REQUIRED_RULES: {extra}"
