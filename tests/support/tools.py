"""Small real tools for engine tests: they do real file I/O through the tool protocol."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from m2bridge.tools import ToolOutcome, ToolSpec


class ReadNote:
    """Reads a note file from a folder (what a read-only tool looks like to the loop)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.calls = 0

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(
            name="read_note",
            description="Read a note by its number.",
            input_schema={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
        )

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutcome:
        self.calls += 1
        path = self.folder / f"note{int(arguments['n'])}.txt"
        if not path.exists():
            return ToolOutcome(f"no note {arguments['n']}", is_error=True)
        return ToolOutcome(path.read_text())


class WriteNote:
    """A destructive tool: needs approval."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(
            name="write_note",
            description="Write a note.",
            input_schema={
                "type": "object",
                "properties": {"n": {"type": "integer"}, "text": {"type": "string"}},
                "required": ["n", "text"],
            },
            destructive=True,
        )

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutcome:
        (self.folder / f"note{int(arguments['n'])}.txt").write_text(str(arguments["text"]))
        return ToolOutcome("written")


def make_notes(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"note{n}.txt").write_text(f"note {n}: " + "é中🙂 " * (n % 5) + "\n  trailing  \n")
