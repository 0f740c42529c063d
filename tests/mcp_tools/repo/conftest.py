"""Fixtures of the repo tools' tests: hostile git repositories, built once and copied per test."""

from tests.support.hostile_repo import hostile_repo, hostile_template

__all__ = ["hostile_repo", "hostile_template"]
