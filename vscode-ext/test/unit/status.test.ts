import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { ChatDelta, SessionSummary } from "../../src/protocol";
import {
  DEFAULT_WINDOW,
  MAX_STATUS_TITLE,
  STATUS_ICON,
  type StatusState,
  StatusModel,
  escapeIcons,
  formatTokens,
  statusText,
  statusTooltip,
  truncate,
} from "../../src/status";

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
  it("shows the session's title with an icon, context tokens, window and percentage, not the id", () => {
    const state: StatusState = { sessionId: "0123456789abcdef", title: "fix the parser", contextTokens: 51_200, contextWindow: 204_800 };
    assert.equal(statusText(state), "$(comment-discussion) fix the parser · 51k/205k (25%)");
    assert.doesNotMatch(statusText(state), /01234567/);
  });

  it("says 'm2bridge: new session' before the first turn of a session", () => {
    assert.equal(
      statusText({ sessionId: null, contextTokens: 0, contextWindow: DEFAULT_WINDOW }),
      `${STATUS_ICON} m2bridge: new session`,
    );
  });

  it("cuts a long title with an ellipsis and keeps it on one line", () => {
    const title = "refactor the\nsession store so that leases expire after the configured time";
    const text = statusText({ sessionId: "s", title, contextTokens: 0, contextWindow: 1000 });
    const shown = text.slice(`${STATUS_ICON} `.length, text.indexOf(" · "));
    assert.equal(Array.from(shown).length, MAX_STATUS_TITLE);
    assert.ok(shown.startsWith("refactor the session store"), shown);
    assert.ok(shown.endsWith("…"), shown);
  });

  it("never cuts an emoji in half", () => {
    assert.equal(truncate("🙂🙂🙂🙂", 3), "🙂🙂…");
    assert.equal(truncate("short", 10), "short");
  });

  it("calls a session without a title 'Untitled session'", () => {
    assert.match(statusText({ sessionId: "s", title: "  \n ", contextTokens: 0, contextWindow: 1000 }), / Untitled session · /);
    assert.match(statusText({ sessionId: "s", contextTokens: 0, contextWindow: 1000 }), / Untitled session · /);
  });

  it("shows a title's own $(icon) text as text, not as an icon", () => {
    const text = statusText({ sessionId: "s", title: "why does $(alert) render", contextTokens: 0, contextWindow: 1000 });
    assert.equal(text, "$(comment-discussion) why does \\$(alert) render · 0/1.0k (0%)");
    assert.equal(escapeIcons("already \\$(x) escaped"), "already \\$(x) escaped");
    assert.equal(escapeIcons("$(a) and $(b~spin)"), "\\$(a) and \\$(b~spin)");
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

  it("has a tooltip with the whole title, the session id and its workspace", () => {
    const title = "a title longer than the status bar would ever show in its narrow space";
    const tip = statusTooltip({ sessionId: "abc-123", title, workspace: "/home/me/repo", contextTokens: 1234, contextWindow: 204_800 });
    assert.equal(
      tip,
      `m2bridge: ${title}\nSession abc-123\nWorkspace: /home/me/repo\n1,234 of 204,800 context tokens\nClick to resume another session`,
    );
  });

  it("has a tooltip for a new session that says what starts it", () => {
    assert.match(statusTooltip({ sessionId: null, contextTokens: 0, contextWindow: 1 }), /^m2bridge: new session\n/);
  });
});

describe("the status model", () => {
  it("takes title, workspace and context size from the session list when the current session changes", () => {
    const seen: StatusState[] = [];
    const model = new StatusModel((s) => seen.push(s));
    model.current("s1", [session("s1", 9000)]);
    assert.deepEqual(seen.at(-1), {
      sessionId: "s1",
      title: "fix the parser",
      workspace: "/repo",
      contextTokens: 9000,
      contextWindow: DEFAULT_WINDOW,
    });
  });

  it("follows usage deltas of the current session and learns the real window", () => {
    const model = new StatusModel(() => undefined);
    model.current("s1", [session("s1", 9000)]);
    model.delta(usage("s1", 20_000, 1_000_000));
    assert.equal(statusText(model.state), "$(comment-discussion) fix the parser · 20k/1.0M (2%)");
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
