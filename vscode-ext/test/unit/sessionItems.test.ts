import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ago, sessionItems } from "../../src/sessionItems";

describe("the resume-session list", () => {
  const now = 1_700_000_000_000;
  const at = (secondsAgo: number): number => now / 1000 - secondsAgo;

  it("says how long ago a session was updated", () => {
    assert.deepEqual([5, 120, 7200, 86_400, 3 * 86_400].map((s) => ago(at(s), now)), [
      "just now",
      "2 min ago",
      "2 h ago",
      "yesterday",
      "3 days ago",
    ]);
  });

  it("lists the most recent first, marks the current one and names untitled ones", () => {
    const items = sessionItems(
      [
        { id: "aaaaaaaa-1", title: "old", updated: at(7200), turns: 1, contextTokens: 500, workspace: "/r" },
        { id: "bbbbbbbb-2", title: "  ", updated: at(60), turns: 6, contextTokens: 12_000, workspace: "/r" },
      ],
      "aaaaaaaa-1",
      now,
    );
    assert.deepEqual(items, [
      { id: "bbbbbbbb-2", label: "(untitled)", description: "bbbbbbbb", detail: "1 min ago · 6 turns · 12k context tokens" },
      { id: "aaaaaaaa-1", label: "old", description: "aaaaaaaa · current", detail: "2 h ago · 1 turn · 500 context tokens" },
    ]);
  });
});
