"""A stored session as the `session/update` notifications that show it again (for `session/load`): the
user's words, M2's thinking and text, and each tool call followed by its result.

Editor context turns are left out (they are what the editor showed, not the user's words), as is a
compaction's summary (the turns it replaced are still stored and shown)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from acp import (
    start_tool_call,
    text_block,
    tool_content,
    update_agent_message_text,
    update_agent_thought_text,
    update_tool_call,
    update_user_message_text,
)
from acp.schema import (
    AgentMessageChunk,
    AgentThoughtChunk,
    ToolCallProgress,
    ToolCallStart,
    UserMessageChunk,
)

from acp_agent.tool_calls import tool_kind, tool_locations, tool_title
from m2bridge.messages import (
    AssistantTurn,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolResultsTurn,
    Turn,
    UserTurn,
)

__all__ = ["Replayed", "replay_updates"]

Replayed = UserMessageChunk | AgentMessageChunk | AgentThoughtChunk | ToolCallStart | ToolCallProgress


def replay_updates(turns: Sequence[Turn], cwd: Path) -> list[Replayed]:
    updates: list[Replayed] = []
    for turn in turns:
        if isinstance(turn, UserTurn):
            updates.append(update_user_message_text(turn.text))
        elif isinstance(turn, AssistantTurn):
            for block in turn.blocks:
                if isinstance(block, ThinkingBlock):
                    updates.append(update_agent_thought_text(block.text))
                elif isinstance(block, TextBlock):
                    updates.append(update_agent_message_text(block.text))
                else:
                    updates.append(_started(block, cwd))
        elif isinstance(turn, ToolResultsTurn):
            for result in turn.results:
                updates.append(
                    update_tool_call(
                        result.tool_call_id,
                        status="failed" if result.is_error else "completed",
                        content=[tool_content(text_block(result.content))],
                    )
                )
    return updates


def _started(call: ToolCall, cwd: Path) -> ToolCallStart:
    return start_tool_call(
        call.id,
        tool_title(call.name, call.arguments),
        kind=tool_kind(call.name),
        status="in_progress",
        locations=tool_locations(call.arguments, cwd),
        raw_input=call.arguments,
    )
