"""MiniMax-M2's raw tool-call markup, as a server without a tool parser passes it through.

Byte for byte what MiniMax-M2's chat template writes for the calls (checked against the template itself in
tests/m2bridge/client/test_native_tools_template.py): values verbatim, with no newline added around them.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.minimax.turns import ToolCall


def _value(value: Any) -> str:
    # The template writes strings verbatim and everything else with tojson (json.dumps, ensure_ascii=False).
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _invoke(call: ToolCall) -> str:
    parameters = "".join(
        f'<parameter name="{k}">{_value(v)}</parameter>\n' for k, v in call.arguments.items()
    )
    return f'<invoke name="{call.name}">\n{parameters}</invoke>\n'


def tool_call_markup(calls: tuple[ToolCall, ...]) -> str:
    if not calls:
        return ""
    return "<minimax:tool_call>\n" + "".join(_invoke(c) for c in calls) + "</minimax:tool_call>"
