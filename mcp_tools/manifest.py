"""The packaged tool manifest: what each tool class tells clients and M2, without importing the class.

    python -m mcp_tools.manifest      # rewrite mcp_tools/tools.json after changing a tool

tools.json holds, per `module:Class` of `mcp_tools.catalog`, the class's spec: name, description, input
schema (as `mcp_tools.schemas` makes it) and annotations. It is generated from the classes and checked in;
tests/mcp_tools/test_manifest.py fails when it no longer matches them, as pygls checks its generated code.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from m2bridge.tools import ToolSpec

__all__ = ["MANIFEST", "generate", "render", "spec_of", "write"]

MANIFEST = Path(__file__).with_name("tools.json")


@cache
def _records() -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = json.loads(MANIFEST.read_text(encoding="utf-8"))["tools"]
    return records


def spec_of(ref: str) -> ToolSpec:
    """The spec of the tool class `ref` names, as the manifest records it (a KeyError if it does not)."""
    return ToolSpec(**_records()[ref])


def generate() -> dict[str, Any]:
    """The manifest as the tool classes make it now (imports every tool module)."""
    from mcp_tools.catalog import every_ref, tool_class
    from mcp_tools.schemas import schema_of

    tools: dict[str, dict[str, Any]] = {}
    for ref in every_ref():
        cls = tool_class(ref)
        spec: ToolSpec = cls.class_spec()
        tools[ref] = {
            "name": spec.name,
            "description": spec.description,
            "input_schema": schema_of(cls.arguments),
            "destructive": spec.destructive,
            "read_only": spec.read_only,
            "idempotent": spec.idempotent,
            "open_world": spec.open_world,
        }
    return {"generated_by": "python -m mcp_tools.manifest", "tools": tools}


def render(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"


def write() -> None:
    MANIFEST.write_text(render(generate()), encoding="utf-8")


if __name__ == "__main__":
    write()
