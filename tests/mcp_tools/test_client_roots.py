"""How the roots a client lists narrow the path policy (`PathPolicy.narrowed`): an empty list is no
opinion, anything else is intersected with the server's roots, non-file URIs skipped."""

from __future__ import annotations

import pytest

from mcp_tools.paths import PathPolicy, PathRefused
from tests.support.sandbox import Sandbox


def test_an_empty_list_keeps_the_server_roots(sandbox: Sandbox) -> None:
    policy = PathPolicy.of([sandbox.root])
    kept = policy.narrowed([])
    assert kept.roots == (sandbox.root,)
    assert kept.resolve("hello.py") == sandbox.root / "hello.py"
    with pytest.raises(PathRefused, match="outside the allowed roots"):
        kept.resolve(str(sandbox.outside / "secret.txt"))


def test_an_empty_generator_is_an_empty_list_too(sandbox: Sandbox) -> None:
    policy = PathPolicy.of([sandbox.root])
    assert policy.narrowed(uri for uri in ()).roots == (sandbox.root,)


def test_a_list_of_only_non_file_uris_leaves_no_root_open(sandbox: Sandbox) -> None:
    policy = PathPolicy.of([sandbox.root]).narrowed(["https://example.com/repo", "untitled:Untitled-1"])
    assert policy.roots == ()
    with pytest.raises(PathRefused, match="no root is open"):
        policy.resolve("hello.py")


def test_non_file_uris_beside_file_ones_are_skipped(sandbox: Sandbox) -> None:
    policy = PathPolicy.of([sandbox.root]).narrowed(
        ["https://example.com/repo", (sandbox.root / "sub").as_uri()]
    )
    assert policy.roots == (sandbox.root / "sub",)
