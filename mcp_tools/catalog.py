"""Which tools a toolset holds, each as a stand-in that imports its module only when first called.

A server lists two dozen tools and a session calls a few: importing every tool module (and building
every argument model's schema) for `tools/list` cost more than the rest of start-up. A tool here is
named by `module:Class`; what it tells clients and M2 (name, description, input schema, annotations)
comes from the packaged manifest (`mcp_tools.manifest`, generated from these classes and checked by a
test), and the class is imported and built on the tool's first call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from m2bridge.tools import Tool, ToolOutcome, ToolSpec

__all__ = [
    "M2_TASK",
    "MEDIA",
    "MEDIA_READ_ONLY",
    "MODULES",
    "READING",
    "TERMINAL",
    "WRITING",
    "Entry",
    "LazyTool",
    "every_ref",
    "tool_class",
]


@dataclass(frozen=True)
class Entry:
    """A tool class by reference, and what its constructor takes besides the tools' context."""

    ref: str  # "package.module:Class"
    needs: Literal["context", "media", "processes"] = "context"


READING = (
    Entry("mcp_tools.repo.files:ReadFile"),
    Entry("mcp_tools.repo.listing:ListDir"),
    Entry("mcp_tools.repo.listing:FindFiles"),
    Entry("mcp_tools.repo.search:SearchTool"),
    Entry("mcp_tools.repo.git:GitStatus"),
    Entry("mcp_tools.repo.git:GitDiff"),
    Entry("mcp_tools.repo.git:GitLog"),
    Entry("mcp_tools.repo.git:GitShow"),
    Entry("mcp_tools.repo.git:GitBlame"),
)
WRITING = (Entry("mcp_tools.repo.files:WriteFile"), Entry("mcp_tools.repo.files:EditFile"))
MEDIA = (
    Entry("mcp_tools.media.image:TextToImage", "media"),
    Entry("mcp_tools.media.video:GenerateVideo", "media"),
    Entry("mcp_tools.media.video:QueryVideoGeneration", "media"),
    Entry("mcp_tools.media.speech:TextToAudio", "media"),
    Entry("mcp_tools.media.voices:ListVoices", "media"),
    Entry("mcp_tools.media.voices:VoiceClone", "media"),
    Entry("mcp_tools.media.voices:VoiceDesign", "media"),
    Entry("mcp_tools.media.music:MusicGeneration", "media"),
)
# A read-only server's media tools change nothing: the voice list, and the video query that reports URLs.
MEDIA_READ_ONLY = (
    Entry("mcp_tools.media.voices:ListVoices", "media"),
    Entry("mcp_tools.media.video:QueryVideoGenerationUrls", "media"),
)
TERMINAL = (
    Entry("mcp_tools.terminal.run:RunCommand"),
    Entry("mcp_tools.terminal.process_tools:StartProcess", "processes"),
    Entry("mcp_tools.terminal.process_tools:ReadProcess", "processes"),
    Entry("mcp_tools.terminal.process_tools:WriteProcess", "processes"),
    Entry("mcp_tools.terminal.process_tools:KillProcess", "processes"),
    Entry("mcp_tools.terminal.process_tools:ListProcesses", "processes"),
)
# The MCP server's own tool: built by the server (it needs the settings and the other tools).
M2_TASK = "mcp_tools.m2task:M2Task"


def every_ref() -> list[str]:
    """Every tool class the manifest describes, once each, in listing order."""
    refs = [entry.ref for group in (READING, WRITING, MEDIA, MEDIA_READ_ONLY, TERMINAL) for entry in group]
    return list(dict.fromkeys([*refs, M2_TASK]))


def tool_class(ref: str) -> Any:
    """The class `ref` names, its module imported now (the first call of one of its tools)."""
    module, _, name = ref.partition(":")
    return getattr(MODULES[module](), name)


# Plain imports, one function per tool module, so the import checker sees what the catalog loads.
def _repo_files() -> ModuleType:
    from mcp_tools.repo import files

    return files


def _repo_listing() -> ModuleType:
    from mcp_tools.repo import listing

    return listing


def _repo_search() -> ModuleType:
    from mcp_tools.repo import search

    return search


def _repo_git() -> ModuleType:
    from mcp_tools.repo import git

    return git


def _media_image() -> ModuleType:
    from mcp_tools.media import image

    return image


def _media_video() -> ModuleType:
    from mcp_tools.media import video

    return video


def _media_speech() -> ModuleType:
    from mcp_tools.media import speech

    return speech


def _media_voices() -> ModuleType:
    from mcp_tools.media import voices

    return voices


def _media_music() -> ModuleType:
    from mcp_tools.media import music

    return music


def _terminal_run() -> ModuleType:
    from mcp_tools.terminal import run

    return run


def _terminal_process_tools() -> ModuleType:
    from mcp_tools.terminal import process_tools

    return process_tools


def _m2task() -> ModuleType:
    from mcp_tools import m2task

    return m2task


MODULES: dict[str, Callable[[], ModuleType]] = {
    "mcp_tools.repo.files": _repo_files,
    "mcp_tools.repo.listing": _repo_listing,
    "mcp_tools.repo.search": _repo_search,
    "mcp_tools.repo.git": _repo_git,
    "mcp_tools.media.image": _media_image,
    "mcp_tools.media.video": _media_video,
    "mcp_tools.media.speech": _media_speech,
    "mcp_tools.media.voices": _media_voices,
    "mcp_tools.media.music": _media_music,
    "mcp_tools.terminal.run": _terminal_run,
    "mcp_tools.terminal.process_tools": _terminal_process_tools,
    "mcp_tools.m2task": _m2task,
}


class LazyTool(Tool):
    """A tool known by its spec until its first call, which builds the real one and hands it every call."""

    def __init__(self, spec: ToolSpec, build: Callable[[], Tool]) -> None:
        self._spec = spec
        self._build = build
        self._tool: Tool | None = None

    @property
    def spec(self) -> ToolSpec:
        return self._spec

    @property
    def built(self) -> Tool | None:
        """The real tool, if a call has built it."""
        return self._tool

    def tool(self) -> Tool:
        # Built between two awaits: calls that arrive together still build it once.
        if self._tool is None:
            self._tool = self._build()
        return self._tool

    async def call(self, arguments: Mapping[str, Any]) -> ToolOutcome:
        return await self.tool().call(arguments)
