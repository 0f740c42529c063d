"""`m2bridge chat`: one turn with -p (optionally as one JSON object), or an interactive conversation."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from m2bridge.agent import AgentEvent, TurnResult
from m2bridge.cli.history import private_history
from m2bridge.cli.render import TerminalRenderer, console_for
from m2bridge.cli.runtime import chat_service, open_settings
from m2bridge.cli.slash import Command, Unknown, help_text, read_line
from m2bridge.client.events import TextDelta
from m2bridge.config import Settings
from m2bridge.conversation import Conversation, turn_to_snake
from m2bridge.errors import M2BridgeError
from m2bridge.sandbox_choice import flag_choice
from m2bridge.tools import Approver

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

__all__ = ["STOP_SIGNALS", "run_chat"]

# Signals that end a running turn the way Ctrl-C does: what arrived is stored, marked incomplete,
# and the session's lease is released. SIGHUP is a closed terminal window.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def run_chat(args: argparse.Namespace) -> int:
    if args.prompt is not None:
        return _one_shot(args)
    return asyncio.run(_interactive(args))


# -p ---------------------------------------------------------------------------------------------
def _one_shot(args: argparse.Namespace) -> int:
    try:
        prompt = _prompt_of(args.prompt)
        settings, workspace = open_settings(quiet=args.json, sandbox=flag_choice(args))
    except M2BridgeError as err:
        return _report(args, TurnResult(session_id="", stop_reason="error", error=err))
    return _report(args, asyncio.run(_one_turn(args, settings, workspace, prompt)))


def _prompt_of(given: str) -> str:
    """The -p prompt; `-p -` reads it from stdin (all of it, as UTF-8)."""
    if given == "-":
        if sys.stdin.isatty():
            print("m2bridge: reading the prompt from stdin; end it with Ctrl-D", file=sys.stderr)
        try:
            given = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise M2BridgeError("the prompt on stdin is not UTF-8 text") from None
        if not given.strip():
            raise M2BridgeError("the prompt on stdin is empty (-p - reads the prompt from stdin)")
    if not given.strip():
        raise M2BridgeError("the prompt is empty")
    return given


async def _one_turn(args: argparse.Namespace, settings: Settings, workspace: Path, prompt: str) -> TurnResult:
    console = console_for(sys.stderr)
    renderer = TerminalRenderer(console, show_thinking=False)

    def on_event(event: AgentEvent) -> None:
        if args.json:
            return
        if isinstance(event, TextDelta):
            sys.stdout.write(event.text)
            sys.stdout.flush()
        else:
            renderer(event)

    async def approve(name: str, arguments: Mapping[str, Any]) -> bool | str:
        return True if args.yes else "in non-interactive mode, destructive tools need --yes"

    def warn(text: str) -> None:
        console.print(f"m2bridge: {text}", style="yellow", markup=False)

    async with chat_service(settings, workspace, warn, None if args.json else renderer.retrying) as service:
        try:
            chat = await service.open(args.session, latest=args.continue_)
        except M2BridgeError as err:
            return TurnResult(session_id="", stop_reason="error", error=err)
        if (note := chat.elsewhere()) is not None:
            print(f"m2bridge: {note}", file=sys.stderr)
        with _stopping_on_signals(lambda _signal: chat.cancel()):
            return await chat.run(prompt, approver=approve, on_event=on_event)


@contextmanager
def _stopping_on_signals(stop: Callable[[int], None]) -> Generator[None]:
    """Call `stop(signal number)` on any of STOP_SIGNALS while inside (a running event loop's handlers).

    A signal the process was started ignoring stays ignored: `nohup m2bridge chat ...` asked for
    the turn to outlive the terminal, and a background job of a script ignores Ctrl-C."""
    loop = asyncio.get_running_loop()
    wanted = [number for number in STOP_SIGNALS if signal.getsignal(number) is not signal.SIG_IGN]
    for number in wanted:
        loop.add_signal_handler(number, stop, number)
    try:
        yield
    finally:
        for number in wanted:
            loop.remove_signal_handler(number)


def _report(args: argparse.Namespace, result: TurnResult) -> int:
    try:
        if args.json:
            print(json.dumps(turn_to_snake(result), ensure_ascii=False))
        else:
            if result.text and not result.text.endswith("\n"):
                print()
            if result.error is not None:
                print(f"m2bridge: {result.error}", file=sys.stderr)
            elif result.stop_reason == "max_steps":
                print(f"m2bridge: stopped at the step limit ({result.steps} steps).", file=sys.stderr)
    except OSError:
        pass  # the terminal went away (SIGHUP): the turn is stored, there is no one left to tell
    return 1 if result.error is not None else 0


# interactive ------------------------------------------------------------------------------------
_HINT = "/help lists the commands · Ctrl-C stops a turn · /exit quits"


async def _interactive(args: argparse.Namespace) -> int:
    from prompt_toolkit import PromptSession

    settings, workspace = open_settings(sandbox=flag_choice(args))
    settings.require_key()
    console = console_for(sys.stdout)
    renderer = TerminalRenderer(console)
    settings.home.mkdir(parents=True, exist_ok=True)
    history, trouble = private_history(settings.home / "chat_history")
    prompts: PromptSession[str] = PromptSession(history=history)

    async def approve(name: str, arguments: Mapping[str, Any]) -> bool:
        if args.yes:
            return True
        answer = await prompts.prompt_async(f"Allow {name} {json.dumps(dict(arguments))[:200]}? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    def warn(text: str) -> None:
        console.print(f"m2bridge: {text}", style="yellow", markup=False)

    async with chat_service(settings, workspace, warn, renderer.retrying) as service:
        chat = await service.open(args.session, latest=args.continue_)
        console.print(f"m2bridge chat · {settings.model} · {workspace}", style="bold", markup=False)
        if trouble is not None:
            warn(trouble)
        if chat.info is not None:
            if (note := chat.elsewhere()) is not None:
                warn(note)
            console.print(f"continuing session {chat.info.id} ({chat.info.turns} turns)", style="dim")
        console.print(_HINT, style="dim")
        return await _converse(chat, prompts, renderer, approve, warn, settings.context_window)


async def _converse(
    chat: Conversation,
    prompts: PromptSession[str],
    renderer: TerminalRenderer,
    approve: Approver,
    warn: Callable[[str], None],
    context_window: int,
) -> int:
    console = renderer.console
    ending: list[int] = []  # a SIGTERM or SIGHUP during a turn: stop it, store it, then leave

    def stop(number: int) -> None:
        if number != signal.SIGINT:  # Ctrl-C stops only the turn
            ending.append(number)
        chat.cancel()

    while True:
        try:
            line = await prompts.prompt_async("> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        text = line.strip()
        if not text:
            continue
        said = read_line(text)
        if isinstance(said, Unknown):
            warn(f"unknown command {said.name}; /help lists them (start with // to send it to M2)")
            continue
        if isinstance(said, Command):
            if said.argument:
                warn(f"{said.name} takes no arguments")
                continue
            if said.name in ("/exit", "/quit"):
                return 0
            if said.name == "/help":
                console.print(help_text(), style="dim", markup=False)
            elif said.name == "/think":
                renderer.show_thinking = not renderer.show_thinking
                console.print(f"thinking {'shown' if renderer.show_thinking else 'hidden'}", style="dim")
            elif said.name == "/new":
                chat.forget()
                console.print("new session", style="dim")
            elif said.name == "/session":
                console.print(chat.session_id or "no session yet", style="dim")
            continue
        created = chat.session_id is None
        with _stopping_on_signals(stop):
            result = await chat.run(said.text, approver=approve, on_event=renderer)
        dropped = created and chat.session_id is None  # M2 answered nothing: no session was kept
        if ending:
            return 128 + ending[0]  # the turn is stored and its lease released; now leave
        # The session's stored figure: a stopped or failed turn adds nothing M2 will be sent again.
        renderer.end_turn(await chat.context_tokens(), context_window)
        if result.error is not None:
            console.print(f"m2bridge: {result.error}", style="red", markup=False)
        elif result.stop_reason == "cancelled":
            console.print(
                "(stopped before M2 answered)" if dropped else "(stopped; what arrived is kept)",
                style="yellow",
            )
