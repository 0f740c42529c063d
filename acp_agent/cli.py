"""`m2bridge acp [--sandbox MODE] [--allow-network] [--unstable]`: the ACP agent on stdio.

stdout carries JSON-RPC only: logging goes to stderr, and fd 1 itself is pointed at stderr once the
protocol holds its own copy of it (see `acp_agent.streams`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from typing import cast

from m2bridge.sandbox_choice import SandboxChoice, add_sandbox_arguments, flag_choice

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="m2bridge acp", description="MiniMax-M2 as an Agent Client Protocol agent, on stdio."
    )
    add_sandbox_arguments(parser)
    parser.add_argument(
        "--unstable",
        action="store_true",
        help="also offer the schema's unstable parts: session/fork, session/resume, session/close and "
        "usage_update (for editors that use them)",
    )
    args = parser.parse_args(argv)
    # The agent's own story at INFO; libraries only from WARNING (httpx alone would log every request,
    # on the path to M2's first thought).
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="m2bridge acp: %(levelname)s %(message)s"
    )
    logging.getLogger("m2bridge.acp").setLevel(logging.INFO)
    try:
        asyncio.run(_serve(flag_choice(args), unstable=bool(args.unstable)))
    except KeyboardInterrupt:
        return 130
    return 0


async def _serve(sandbox: SandboxChoice, *, unstable: bool) -> None:
    from acp import Agent, run_agent

    from acp_agent.agent import M2Agent
    from acp_agent.streams import protocol_streams

    agent = M2Agent(sandbox, owner=f"acp:{os.getpid()}", unstable=unstable)
    reader, writer = await protocol_streams()
    try:
        # The SDK answers a method M2Agent lacks, or an unstable one without the switch, with
        # method_not_found.
        await run_agent(cast(Agent, agent), writer, reader, use_unstable_protocol=unstable)
    finally:
        await agent.aclose()
