import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { ChatDelta, SessionSummary } from "../../src/protocol";
import { DEFAULT_WINDOW, type StatusState, StatusModel, formatTokens, statusText, statusTooltip } from "../../src/status";

const session = (id: string, contextTokens: number, title = "fix the parser"): SessionSummary => ({
  id,
  title,
  updated: 1_700_000_000,
  turns: 4,
  contextTokens,
  workspace: "/repo",
});

const usage = (sessionId: string, contextTokens: number, contextWindow = 204_800): ChatDelta => ({
  sessionId,
  kind: "usage",
  inputTokens: 10,
  outputTokens: 5,
  contextTokens,
  contextWindow,
});

describe("the status bar text", () => {
  it("shows the short session id, context tokens, window and percentage", () => {
    const state: StatusState = { sessionId: "0123456789abcdef", contextTokens: 51_200, contextWindow: 204_800 };
    assert.equal(statusText(state), "M2: 01234567 · 51k/205k (25%)");
  });

  it("says 'new' before the first turn of a session", () => {
    assert.equal(statusText({ sessionId: null, contextTokens: 0, contextWindow: DEFAULT_WINDOW }), "M2: new · 0/205k (0%)");
  });

  it("formats token counts the way people read them", () => {
    assert.deepEqual([0, 950, 1000, 12_345, 204_800, 999_499, 1_500_000].map(formatTokens), [
      "0",
      "950",
      "1.0k",
      "12k",
      "205k",
      "999k",
      "1.5M",
    ]);
  });

  it("has a tooltip with the session's title and id", () => {
    const tip = statusTooltip({ sessionId: "abc", title: "fix the parser", contextTokens: 1234, contextWindow: 204_800 });
    assert.match(tip, /fix the parser \(abc\)/);
    assert.match(tip, /1,234 of 204,800 context tokens/);
    assert.match(statusTooltip({ sessionId: null, contextTokens: 0, contextWindow: 1 }), /New session/);
  });
});

describe("the status model", () => {
  it("takes title and context size from the session list when the current session changes", () => {
    const seen: StatusState[] = [];
    const model = new StatusModel((s) => seen.push(s));
    model.current("s1", [session("s1", 9000)]);
    assert.deepEqual(seen.at(-1), { sessionId: "s1", title: "fix the parser", contextTokens: 9000, contextWindow: DEFAULT_WINDOW });
  });

  it("follows usage deltas of the current session and learns the real window", () => {
    const model = new StatusModel(() => undefined);
    model.current("s1", [session("s1", 9000)]);
    model.delta(usage("s1", 20_000, 1_000_000));
    assert.equal(statusText(model.state), "M2: s1 · 20k/1.0M (2%)");
  });

  it("ignores usage of another session, such as a code action's turn", () => {
    const model = new StatusModel(() => undefined);
    model.current("s1", [session("s1", 9000)]);
    model.delta(usage("other", 99_000));
    assert.equal(model.state.contextTokens, 9000);
    assert.equal(model.state.sessionId, "s1");
  });

  it("adopts the session a new conversation's first usage delta names", () => {
    const model = new StatusModel(() => undefined);
    model.current(null, []);
    model.delta(usage("fresh", 3000));
    assert.equal(model.state.sessionId, "fresh");
    assert.equal(model.state.contextTokens, 3000);
  });

  it("ignores deltas that are not usage", () => {
    const seen: StatusState[] = [];
    const model = new StatusModel((s) => seen.push(s));
    model.delta({ sessionId: "s", kind: "text", text: "hi" });
    assert.equal(seen.length, 0);
  });

  it("refreshes the current session's stored size from a new session list", () => {
    const model = new StatusModel(() => undefined);
    model.current("s1", []);
    model.sessions([session("s1", 4242, "renamed")]);
    assert.equal(model.state.contextTokens, 4242);
    assert.equal(model.state.title, "renamed");
  });
});
