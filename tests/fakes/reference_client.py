"""A minimal correct client for the fake: it rebuilds canonical assistant messages from responses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from tests.fakes.minimax import FakeMiniMax


@dataclass(frozen=True)
class SSE:
    event: str
    data: str


def parse_sse(text: str) -> list[SSE]:
    events = []
    for block in text.split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
        if data:
            events.append(SSE(event, "\n".join(data)))
    return events


def anthropic_message_from_events(events: list[SSE]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    partial_json: dict[int, str] = {}
    for event in events:
        data = json.loads(event.data)
        if event.event == "content_block_start":
            blocks.append(dict(data["content_block"]))
        elif event.event == "content_block_delta":
            block, delta = blocks[data["index"]], data["delta"]
            if delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            elif delta["type"] == "text_delta":
                block["text"] += delta["text"]
            else:
                partial_json[data["index"]] = partial_json.get(data["index"], "") + delta["partial_json"]
        elif event.event == "content_block_stop" and data["index"] in partial_json:
            blocks[data["index"]]["input"] = json.loads(partial_json[data["index"]])
    return {"role": "assistant", "content": blocks}


def openai_message_from_events(events: list[SSE], cumulative: bool) -> dict[str, Any]:
    texts: dict[str, str] = {}
    detail: dict[str, Any] | None = None
    calls: dict[int, dict[str, Any]] = {}

    def grow(key: str, piece: str) -> None:
        texts[key] = piece if cumulative else texts.get(key, "") + piece

    for event in events:
        if event.data == "[DONE]":
            break
        for choice in json.loads(event.data)["choices"]:
            # SGLang writes null for every field a delta does not carry.
            delta = {k: v for k, v in choice["delta"].items() if v is not None}
            for key in ("content", "reasoning", "reasoning_content"):
                if key in delta:
                    grow(key, delta[key])
            for item in delta.get("reasoning_details", []):
                detail = {k: v for k, v in item.items() if k != "text"}
                grow("reasoning_details", item["text"])
            for call in delta.get("tool_calls", []):
                slot = calls.setdefault(call["index"], {"function": {"arguments": ""}})
                if "id" in call:
                    slot.update(id=call["id"], type=call["type"])
                    slot["function"]["name"] = call["function"]["name"]
                slot["function"]["arguments"] += call["function"]["arguments"]
    message: dict[str, Any] = {"role": "assistant", "content": texts.get("content", "")}
    if detail is not None:
        message["reasoning_details"] = [{**detail, "text": texts["reasoning_details"]}]
    for key in ("reasoning", "reasoning_content"):
        if key in texts:
            message[key] = texts[key]
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return message


class Client:
    """Posts one model request and returns the canonical assistant message it produced."""

    def __init__(self, fake: FakeMiniMax, protocol: str, stream: bool, reasoning_split: bool = False) -> None:
        self.fake = fake
        self.protocol = protocol
        self.stream = stream
        self.reasoning_split = reasoning_split
        self.http = httpx.Client(timeout=5)

    def close(self) -> None:
        self.http.close()

    def body(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": "MiniMax-M2", "messages": messages, "stream": self.stream}
        if self.protocol == "anthropic":
            body["max_tokens"] = 1024
            # Anthropic refuses tool_use/tool_result blocks in a request that defines no tools.
            body["tools"] = [{"name": "read_file", "input_schema": {"type": "object"}}]
        elif self.reasoning_split:
            body["reasoning_split"] = True
        return body

    def post(self, body: dict[str, Any], key: str = "test-key") -> httpx.Response:
        if self.protocol == "anthropic":
            url, headers = self.fake.anthropic_base + "/v1/messages", {"x-api-key": key}
        else:
            url, headers = self.fake.openai_base + "/chat/completions", {"authorization": f"Bearer {key}"}
        return self.http.post(url, json=body, headers=headers)

    def message_from(self, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 200, response.text
        if not self.stream:
            data = response.json()
            if self.protocol == "anthropic":
                return {"role": "assistant", "content": data["content"]}
            # vLLM and SGLang write null (or []) for what a message does not carry.
            return {k: v for k, v in data["choices"][0]["message"].items() if v is not None and v != []}
        events = parse_sse(response.text)
        if self.protocol == "anthropic":
            return anthropic_message_from_events(events)
        return openai_message_from_events(events, self.fake.stream_style == "cumulative")

    def turn(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return self.message_from(self.post(self.body(messages)))

    def results_for(self, message: dict[str, Any], texts: list[str] | None = None) -> list[dict[str, Any]]:
        """The message(s) answering every tool call in `message`."""
        if self.protocol == "anthropic":
            ids = [b["id"] for b in message["content"] if b["type"] == "tool_use"]
            blocks = [
                {"type": "tool_result", "tool_use_id": i, "content": f"result {n}"} for n, i in enumerate(ids)
            ]
            return [{"role": "user", "content": blocks}]
        if "tool_calls" in message:
            ids = [c["id"] for c in message["tool_calls"]]
        else:  # native markup: the client names the calls itself
            ids = [f"own_{n}" for n in range(message["content"].count("<invoke "))]
        return [{"role": "tool", "tool_call_id": i, "content": f"result {n}"} for n, i in enumerate(ids)]

    def read_until_cut(self, body: dict[str, Any]) -> tuple[str, Exception | None]:
        """Stream a response, keeping whatever text arrived before the connection dropped."""
        if self.protocol == "anthropic":
            url, headers = self.fake.anthropic_base + "/v1/messages", {"x-api-key": "test-key"}
        else:
            url, headers = self.fake.openai_base + "/chat/completions", {"authorization": "Bearer test-key"}
        received = ""
        try:
            with self.http.stream("POST", url, json=body, headers=headers) as response:
                for text in response.iter_text():
                    received += text
        except httpx.HTTPError as error:
            return received, error
        return received, None
