"""Request shape checks: what the real API would refuse with HTTP 400."""

from __future__ import annotations

from typing import Any

_UNSUPPORTED_MEDIA = {"image", "document", "image_url", "input_audio", "file"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unit_interval(body: dict[str, Any], key: str) -> list[str]:
    """MiniMax accepts temperature and top_p in (0, 1]."""
    if key not in body or body[key] is None:
        return []
    value = body[key]
    if not _is_number(value) or not 0 < value <= 1:
        return [f"{key} must be a number in (0, 1], got {value!r}"]
    return []


def _positive_int(body: dict[str, Any], key: str, required: bool) -> list[str]:
    if key not in body or (body[key] is None and not required):
        return [f"{key} is required"] if required and key not in body else []
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return [f"{key} must be a positive integer, got {value!r}"]
    return []


def _optional(body: dict[str, Any], key: str, kind: type) -> list[str]:
    if key in body and body[key] is not None and not isinstance(body[key], kind):
        return [f"{key} must be {kind.__name__}, got {body[key]!r}"]
    return []


def _text_blocks(value: Any, where: str, part_type: str = "text") -> list[str]:
    """A string, or a list of {type: text, text: str} parts."""
    if isinstance(value, str):
        return []
    if not isinstance(value, list):
        return [f"{where} must be a string or a list of text blocks"]
    problems = []
    for i, block in enumerate(value):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind in _UNSUPPORTED_MEDIA:
            problems.append(f"{where}[{i}]: {kind} content is not supported by MiniMax-M2")
        elif kind != part_type or not isinstance(block.get("text"), str):
            problems.append(f"{where}[{i}] must be a {part_type} block with a string text")
    return problems


def _common(body: dict[str, Any]) -> list[str]:
    problems = []
    if not isinstance(body.get("model"), str) or not body["model"]:
        problems.append("model is required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        problems.append("messages must be a non-empty list")
    elif not all(isinstance(m, dict) for m in messages):
        problems.append("every message must be an object")
    problems += _optional(body, "stream", bool)
    problems += _unit_interval(body, "temperature")
    problems += _unit_interval(body, "top_p")
    problems += _optional(body, "tools", list)
    return problems


# --- Anthropic ---------------------------------------------------------------------------------


def _anthropic_user_block(block: dict[str, Any], where: str) -> list[str]:
    kind = block.get("type")
    if kind == "text":
        return [] if isinstance(block.get("text"), str) else [f"{where}.text must be a string"]
    if kind == "tool_result":
        problems = [] if isinstance(block.get("tool_use_id"), str) else [f"{where}.tool_use_id is required"]
        if "content" in block:
            problems += _text_blocks(block["content"], f"{where}.content")
        if "is_error" in block and not isinstance(block["is_error"], bool):
            problems.append(f"{where}.is_error must be a boolean")
        return problems
    if kind in _UNSUPPORTED_MEDIA:
        return [f"{where}: {kind} content is not supported by MiniMax-M2"]
    return [f"{where}: user messages cannot carry {kind!r} blocks"]


def _anthropic_assistant_block(block: dict[str, Any], where: str) -> list[str]:
    required = {
        "thinking": {"thinking": str, "signature": str},
        "text": {"text": str},
        "tool_use": {"id": str, "name": str, "input": dict},
    }.get(str(block.get("type")))
    if required is None:
        return [f"{where}: assistant messages cannot carry {block.get('type')!r} blocks"]
    return [
        f"{where}.{k} must be {t.__name__}" for k, t in required.items() if not isinstance(block.get(k), t)
    ]


def _anthropic_message(message: dict[str, Any], where: str) -> list[str]:
    role, content = message.get("role"), message.get("content")
    if role not in ("user", "assistant"):
        return [f"{where}.role must be user or assistant, got {role!r}"]
    if isinstance(content, str):
        return []
    if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
        return [f"{where}.content must be a string or a list of blocks"]
    check = _anthropic_user_block if role == "user" else _anthropic_assistant_block
    return [p for i, b in enumerate(content) for p in check(b, f"{where}.content[{i}]")]


def _anthropic_tools(body: dict[str, Any]) -> list[str]:
    problems = []
    for i, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or not tool["name"]:
            problems.append(f"tools[{i}].name is required")
        elif not isinstance(tool.get("input_schema"), dict):
            problems.append(f"tools[{i}].input_schema must be an object")
        elif "description" in tool and not isinstance(tool["description"], str):
            problems.append(f"tools[{i}].description must be a string")
    choice = body.get("tool_choice")
    if choice is not None:
        if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none"):
            problems.append(f"tool_choice is malformed: {choice!r}")
        elif choice["type"] == "tool" and not isinstance(choice.get("name"), str):
            problems.append("tool_choice of type tool needs a name")
    return problems


def anthropic_problems(body: dict[str, Any]) -> list[str]:
    problems = _common(body) + _positive_int(body, "max_tokens", required=True)
    if "system" in body:
        problems += _text_blocks(body["system"], "system")
    problems += _optional(body, "metadata", dict)
    thinking = body.get("thinking")
    if thinking is not None and (not isinstance(thinking, dict) or "type" not in thinking):
        problems.append("thinking must be an object with a type")
    if isinstance(body.get("tools"), list):
        problems += _anthropic_tools(body)
    if not problems:
        for i, message in enumerate(body["messages"]):
            problems += _anthropic_message(message, f"messages[{i}]")
    return problems


# --- OpenAI ------------------------------------------------------------------------------------


def _openai_message(message: dict[str, Any], where: str) -> list[str]:
    role, content = message.get("role"), message.get("content")
    if role in ("system", "user"):
        return _text_blocks(content, f"{where}.content")
    if role == "tool":
        problems = (
            [] if isinstance(message.get("tool_call_id"), str) else [f"{where}.tool_call_id is required"]
        )
        return problems + _text_blocks(content, f"{where}.content")
    if role == "assistant":
        calls = message.get("tool_calls")
        if calls is not None and (not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls)):
            return [f"{where}.tool_calls must be a list of objects"]
        if content is not None and not isinstance(content, str | list):
            return [f"{where}.content must be a string"]
        return []
    return [f"{where}.role must be system, user, assistant or tool, got {role!r}"]


def _openai_tools(body: dict[str, Any]) -> list[str]:
    problems = []
    for i, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(function, dict):
            problems.append(f"tools[{i}] must be {{type: function, function: {{...}}}}")
        elif not isinstance(function.get("name"), str) or not function["name"]:
            problems.append(f"tools[{i}].function.name is required")
        elif "parameters" in function and not isinstance(function["parameters"], dict):
            problems.append(f"tools[{i}].function.parameters must be an object")
    choice = body.get("tool_choice")
    if choice is not None and choice not in ("none", "auto", "required"):
        function = choice.get("function") if isinstance(choice, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            problems.append(f"tool_choice is malformed: {choice!r}")
    return problems


def openai_problems(body: dict[str, Any]) -> list[str]:
    problems = _common(body)
    if body.get("n") not in (None, 1):
        problems.append(f"n must be 1, got {body['n']!r}")
    problems += [
        f"legacy {key} is not supported; use tools" for key in ("functions", "function_call") if key in body
    ]
    problems += _positive_int(body, "max_tokens", required=False)
    problems += _positive_int(body, "max_completion_tokens", required=False)
    problems += _optional(body, "reasoning_split", bool)
    # vLLM and SGLang take top_k as an extra body field and refuse a non-positive one.
    problems += _positive_int(body, "top_k", required=False)
    problems += _optional(body, "stream_options", dict)
    if isinstance(body.get("tools"), list):
        problems += _openai_tools(body)
    if not problems:
        for i, message in enumerate(body["messages"]):
            problems += _openai_message(message, f"messages[{i}]")
    return problems
