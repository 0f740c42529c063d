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

  it("lists the most recent first, title first, the current one marked and the id last", () => {
    const items = sessionItems(
      [
        { id: "aaaaaaaa-1", title: "old", updated: at(7200), turns: 1, contextTokens: 500, workspace: "/r" },
        { id: "bbbbbbbb-2", title: "fix the\nparser", updated: at(60), turns: 6, contextTokens: 12_000, workspace: "/r" },
      ],
      "aaaaaaaa-1",
      now,
    );
    assert.deepEqual(items, [
      { id: "bbbbbbbb-2", label: "fix the parser", description: "1 min ago", detail: "6 turns · 12k context tokens · bbbbbbbb" },
      { id: "aaaaaaaa-1", label: "old", description: "current · 2 h ago", detail: "1 turn · 500 context tokens · aaaaaaaa" },
    ]);
  });

  it("names a session without a title 'Untitled session'", () => {
    const [item] = sessionItems([{ id: "c", title: "  ", updated: at(5), turns: 0, contextTokens: 0, workspace: "/r" }], null, now);
    assert.equal(item?.label, "Untitled session");
  });

  it("shows a title's own $(icon) text as text", () => {
    const [item] = sessionItems([{ id: "c", title: "$(zap) speed up", updated: at(5), turns: 1, contextTokens: 0, workspace: "/r" }], null, now);
    assert.equal(item?.label, "\\$(zap) speed up");
  });
});
