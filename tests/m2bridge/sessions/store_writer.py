"""A writer process for the session store tests (run as a script, not collected by pytest).

Appends `count` batches of turns to one session. Each turn carries its writer, batch number and place
in the batch in `provider_message`, so the test can check that nothing was lost, duplicated or
reordered. Prints `ready`, waits for the go file (so that writers really run at the same time), then
prints `ack INDEX` for every turn once `append` has returned, flushing each line: a printed index is an
acknowledged one. Ends with `done RETRIES`.

Lease modes: never (optimistic appends only), alternate (every other batch under a per-batch lease),
hold (one lease for the whole run, kept alive by the appends).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from m2bridge.errors import SessionBusy, SessionMovedOn
from m2bridge.messages import AssistantTurn, TextBlock, ThinkingBlock, ToolCall, ToolResult, ToolResultsTurn
from m2bridge.sessions import open_store_at


def make_turn(writer: str, seq: int, part: int):
    marker = {"writer": writer, "seq": seq, "part": part}
    if part % 2:
        return ToolResultsTurn(
            results=[ToolResult(tool_call_id=f"c{seq}", name="read", content=json.dumps(marker))]
        )
    thinking = (
        f"{writer} thinks about step {seq}\n  <think>nested?</think>  \u00e9\u6f22\u5b57 \U0001f914  " * 4
    )
    return AssistantTurn(
        protocol="anthropic",
        model="MiniMax-M2",
        blocks=[
            ThinkingBlock(text=thinking, signature="sig"),
            TextBlock(text=f"step {seq}"),
            ToolCall(id=f"c{seq}", name="read", arguments={"path": f"/tmp/{seq}"}),
        ],
        provider_message={"role": "assistant", "marker": marker, "content": [{"type": "thinking"}]},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("session")
    parser.add_argument("writer")
    parser.add_argument("count", type=int)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--lease", choices=["never", "alternate", "hold"], default="never")
    parser.add_argument("--ttl", type=float, default=10.0)
    parser.add_argument("--go", help="wait for this file to exist before writing")
    args = parser.parse_args()

    store = open_store_at(args.db)  # a file path, or a PostgreSQL URL
    owner = f"{args.writer}:{os.getpid()}"
    print("ready", flush=True)
    if args.go:
        while not os.path.exists(args.go):
            time.sleep(0.002)

    retries = 0
    held = None
    if args.lease == "hold":
        while held is None:
            try:
                held = store.acquire(args.session, owner, ttl=args.ttl)
            except SessionBusy:  # a predecessor's lease, until it is seen dead or expires
                retries += 1
                time.sleep(0.02)
    head = store.get(args.session).turns
    for seq in range(args.count):
        batch = [make_turn(args.writer, seq, part) for part in range(args.batch)]
        while True:
            try:
                if args.lease == "alternate" and seq % 2 == 0:
                    with store.acquire(args.session, owner, ttl=args.ttl) as lease:
                        head = store.get(args.session).turns
                        new_head = store.append(args.session, batch, expected_head=head, lease=lease)
                else:
                    new_head = store.append(args.session, batch, expected_head=head, lease=held)
                break
            except (SessionMovedOn, SessionBusy):
                # Someone else wrote (or is writing): reload the head and try again.
                retries += 1
                time.sleep(0.0005)
                head = store.get(args.session).turns
        sys.stdout.write("".join(f"ack {i}\n" for i in range(head, new_head)))
        sys.stdout.flush()
        head = new_head
    if held is not None:
        held.release()
    store.close()
    print(f"done {retries}", flush=True)


if __name__ == "__main__":
    main()
