"""Run the official MCP conformance suite against m2bridge (HTTP, behind the auth proxy) and against the
reference server-everything, the same way, and print their figures side by side.

    scripts/conformance && .venv/bin/python -m tests.conformance [--keep FOLDER]

Exits 1 when a check that applies to m2bridge fails or an entry of not_applicable.toml is stale.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.conformance.servers import everything_server, m2bridge_behind_proxy
from tests.conformance.suite import NotInstalled, SuiteRun, run_suite
from tests.conformance.tally import load_not_applicable, report, tally

__all__ = ["main", "run_both"]


def run_both(base: Path) -> dict[str, SuiteRun]:
    with m2bridge_behind_proxy(base / "m2bridge") as url:
        m2bridge = run_suite(url, base / "m2bridge" / "results")
    with everything_server(base / "server-everything") as url:
        everything = run_suite(url, base / "server-everything" / "results")
    return {"m2bridge": m2bridge, "server-everything": everything}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the servers' logs and the suite's results here")
    args = parser.parse_args(argv)
    not_applicable = load_not_applicable()
    try:
        with tempfile.TemporaryDirectory(prefix="conformance-") as scratch:
            base = args.keep or Path(scratch)
            runs = run_both(base)
    except NotInstalled as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
    tallies = {name: tally(run, not_applicable) for name, run in runs.items()}
    print(report(tallies))
    return 1 if tallies["m2bridge"].problems or tallies["m2bridge"].stale else 0


if __name__ == "__main__":
    sys.exit(main())
