"""A model request as the engine states it, before a wire protocol renders it.

Sampling defaults are MiniMax's recommendation for M2 (m2-facts.md, "The model"): temperature 1.0,
top_p 0.95, top_k 40; temperature and top_p must be in (0, 1]. `top_k` is applied by vLLM and SGLang
and documented as ignored by hosted MiniMax, so a wire sends it only where `sends_top_k` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from m2bridge.config import Settings
from m2bridge.messages import Turn
from m2bridge.tools import ToolSpec

__all__ = ["SUMMARY_TAG", "ModelRequest", "context_text", "sends_top_k", "summary_text"]

# The compaction summary is sent as a user message that starts with this tag.
SUMMARY_TAG = "conversation-summary"


@dataclass(frozen=True)
class ModelRequest:
    system: str
    turns: Sequence[Turn]
    tools: Sequence[ToolSpec] = ()
    max_tokens: int = 16_384
    temperature: float = 1.0
    top_p: float = 0.95
    # None: leave top_k out of the request, and the server's own default applies.
    top_k: int | None = 40


def sends_top_k(settings: Settings) -> bool:
    """Whether requests carry `top_k`: only to a server named by M2BRIDGE_BASE_URL (vLLM, SGLang apply it).

    MiniMax's hosted Anthropic endpoint lists top_k as "Ignored", and its OpenAI endpoint does not
    document it at all; leaving it out there keeps hosted requests to the fields that take effect.
    """
    return not settings.uses_minimax_host


def summary_text(summary: str) -> str:
    return f"<{SUMMARY_TAG}>\n{summary}\n</{SUMMARY_TAG}>"


def context_text(source: str, text: str) -> str:
    return f'<context source="{source}">\n{text}\n</context>'
