import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  ChatRelay,
  type ChatServer,
  type EditorActions,
  type ServerEvents,
  parseFromPage,
  webLink,
  withoutRunningTurn,
} from "../../src/chatRelay";
import { ServerUnavailable } from "../../src/errorCards";
import type {
  ChatDelta,
  ChatResult,
  ErrorCard,
  SessionSummary,
  SessionTranscript,
  ToPage,
  TurnOrigin,
} from "../../src/protocol";

const summary = (id: string, title = id): SessionSummary => ({
  id,
  title,
  updated: 1_700_000_000,
  turns: 2,
  contextTokens: 100,
  workspace: "/repo",
});

const transcript = (id: string, turns: SessionTranscript["turns"] = [{ index: 0, created: 1, kind: "user", text: "hello" }]): SessionTranscript => ({
  id,
  title: id,
  workspace: "/repo",
  updated: 1_700_000_000,
  contextTokens: 100,
  turns,
});

const answer = (sessionId: string | null, stopReason: ChatResult["stopReason"] = "end_turn"): ChatResult => ({
  sessionId,
  text: "done",
  stopReason,
  incomplete: stopReason !== "end_turn",
  error: null,
});

const failedWith = (code: string, message: string, traceId: string | null = null, sessionId: string | null = null): ChatResult => ({
  ...answer(sessionId, "error"),
  text: "",
  error: { code, message, traceId },
});

interface PendingChat {
  params: { sessionId?: string; prompt: string };
  signal: AbortSignal;
  resolve(result: ChatResult): void;
  reject(error: unknown): void;
}

/** A language server whose turns the test ends by hand, which records what it was asked and announces
 * turns the way `m2bridge lsp` does to a client offering m2Turns. */
class FakeServer implements ChatServer {
  list: SessionSummary[] = [summary("s1")];
  transcripts = new Map<string, SessionTranscript>();
  chats: PendingChat[] = [];
  opened: string[] = [];
  newSessions = 0;
  stops = 0;
  restarts: string[] = [];
  restartOk = true;
  failSessions: unknown = undefined;
  events: ServerEvents | undefined;

  async sessions(): Promise<SessionSummary[]> {
    if (this.failSessions !== undefined) throw this.failSessions;
    return [...this.list];
  }
  async session(id: string): Promise<SessionTranscript> {
    this.opened.push(id);
    if (id === "missing") throw new Error("unknown session missing");
    return this.transcripts.get(id) ?? transcript(id === "s" ? "s1" : id);
  }
  chat(params: { sessionId?: string; prompt: string }, signal: AbortSignal): Promise<ChatResult> {
    return new Promise((resolve, reject) => {
      this.chats.push({ params, signal, resolve, reject });
      // Like the real server: a cancel ends the turn with what arrived, marked cancelled.
      signal.addEventListener("abort", () => resolve(answer(params.sessionId ?? "new-1", "cancelled")));
    });
  }
  async newSession(): Promise<void> {
    this.newSessions++;
  }
  async stopTurns(): Promise<void> {
    this.stops++;
  }
  async restart(reason: string): Promise<boolean> {
    this.restarts.push(reason);
    if (this.restartOk) this.events?.started({ hasKey: true, keyChanged: false });
    return this.restartOk;
  }
  listen(events: ServerEvents): { dispose(): void } {
    this.events = events;
    return { dispose: () => (this.events = undefined) };
  }
  last(): PendingChat {
    const chat = this.chats.at(-1);
    assert.ok(chat, "no chat request was sent");
    return chat;
  }
  // What the server announces for a turn it runs.
  announce(prompt: string, origin: TurnOrigin = "codeAction", sessionId: string | null = "s1"): void {
    assert.ok(this.events, "the relay does not listen");
    this.events.turnStarted({ sessionId, prompt, origin });
  }
  end(result: ChatResult): void {
    assert.ok(this.events, "the relay does not listen");
    this.events.turnEnded({ sessionId: result.sessionId, result });
  }
}

/** VS Code's side, recorded. */
class FakeEditor implements EditorActions {
  calls: string[] = [];
  clipboard: string[] = [];
  inserted: string[] = [];
  links: string[] = [];
  settings: string[] = [];
  hasEditor = true;
  async setApiKey(): Promise<void> {
    this.calls.push("setApiKey");
  }
  async openSettings(query: string): Promise<void> {
    this.settings.push(query);
  }
  async copy(text: string): Promise<void> {
    this.clipboard.push(text);
  }
  async insert(text: string): Promise<boolean> {
    if (!this.hasEditor) return false;
    this.inserted.push(text);
    return true;
  }
  async openLink(url: string): Promise<void> {
    this.links.push(url);
  }
  showLog(): void {
    this.calls.push("showLog");
  }
  async reveal(): Promise<void> {
    this.calls.push("reveal");
  }
}

interface Setup {
  relay: ChatRelay;
  server: FakeServer;
  editor: FakeEditor;
  page: ToPage[];
  currents: (string | null)[];
}

/** A relay attached to a page that has said `ready`, and the messages it posted since. */
async function setUp(server = new FakeServer(), graceMs = 10_000): Promise<Setup> {
  const currents: (string | null)[] = [];
  const relay = new ChatRelay(server, { current: (id) => currents.push(id) }, { graceMs });
  const editor = new FakeEditor();
  relay.useEditor(editor);
  const page: ToPage[] = [];
  relay.attach((m) => page.push(m));
  await relay.handle({ type: "ready" });
  page.length = 0;
  return { relay, server, editor, page, currents };
}

const types = (page: ToPage[]): string[] => page.map((m) => m.type);
const cards = (page: ToPage[]): ErrorCard[] => page.flatMap((m) => (m.type === "error" ? [m.error] : []));
const tick = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe("the chat relay", () => {
  it("answers the page's ready with the session list and no current session", async () => {
    const relay = new ChatRelay(new FakeServer());
    const page: ToPage[] = [];
    relay.attach((m) => page.push(m));
    await relay.handle({ type: "ready" });
    assert.deepEqual(page, [{ type: "sessions", sessions: [summary("s1")], current: null }]);
  });

  it("runs a turn: turnStarted, the deltas, turnEnded, then the refreshed sessions", async () => {
    const { relay, server, page } = await setUp();
    const sent = relay.handle({ type: "send", prompt: "explain main.py" });
    await tick();
    assert.deepEqual(server.last().params, { prompt: "explain main.py" });
    const delta: ChatDelta = { sessionId: "new-1", kind: "text", text: "It " };
    relay.delta(delta);
    server.list = [summary("new-1"), summary("s1")];
    server.last().resolve(answer("new-1"));
    await sent;
    assert.deepEqual(types(page), ["turnStarted", "delta", "turnEnded", "sessions"]);
    assert.deepEqual(page[0], { type: "turnStarted", prompt: "explain main.py", origin: "chat" });
    assert.deepEqual(page[1], { type: "delta", delta });
    assert.deepEqual(page.at(-1), { type: "sessions", sessions: [summary("new-1"), summary("s1")], current: "new-1" });
  });

  it("makes the result's session current and continues it in the next turn", async () => {
    const { relay, server, currents } = await setUp();
    const first = relay.send("one");
    await tick();
    server.last().resolve(answer("abc"));
    await first;
    assert.equal(relay.current, "abc");
    assert.deepEqual(currents, ["abc"]);
    const second = relay.send("two");
    await tick();
    assert.deepEqual(server.last().params, { sessionId: "abc", prompt: "two" });
    server.last().resolve(answer("abc"));
    await second;
  });

  it("keeps the current session when a turn fails before one exists", async () => {
    const { relay, server } = await setUp();
    const turn = relay.send("hi");
    await tick();
    server.last().resolve(failedWith("config", "No MiniMax API key: set MINIMAX_API_KEY"));
    await turn;
    assert.equal(relay.current, null);
  });

  it("starts a new server session before the first turn of a new conversation, not before later ones", async () => {
    const { relay, server } = await setUp();
    const first = relay.send("one");
    await tick();
    assert.equal(server.newSessions, 1);
    server.last().resolve(answer("abc"));
    await first;
    const second = relay.send("two");
    await tick();
    assert.equal(server.newSessions, 1);
    server.last().resolve(answer("abc"));
    await second;
  });

  it("stop cancels the running request, and the turn ends as the server answers", async () => {
    const { relay, server, page } = await setUp();
    const sent = relay.handle({ type: "send", prompt: "long task" });
    await tick();
    const chat = server.last();
    assert.equal(chat.signal.aborted, false);
    await relay.handle({ type: "stop" });
    assert.equal(chat.signal.aborted, true);
    await sent;
    const ended = page.find((m) => m.type === "turnEnded");
    assert.deepEqual(ended, { type: "turnEnded", result: answer("new-1", "cancelled") });
    assert.equal(relay.busy, false);
    assert.deepEqual(cards(page), []);
  });

  it("refuses a second prompt while a turn runs, and tells the page with a notice, not a card", async () => {
    const { relay, server, page } = await setUp();
    const first = relay.send("one");
    await tick();
    assert.equal(await relay.send("two"), undefined);
    assert.equal(server.chats.length, 1);
    assert.deepEqual(page.at(-1), { type: "notice", message: "M2 is still answering: wait for it, or press Stop." });
    server.last().resolve(answer("a"));
    await first;
  });

  it("opens a session: its transcript, and it becomes current", async () => {
    const { relay, server, page } = await setUp();
    await relay.handle({ type: "openSession", id: "s1" });
    assert.deepEqual(server.opened, ["s1"]);
    assert.deepEqual(page[0], { type: "transcript", session: transcript("s1") });
    assert.equal(relay.current, "s1");
    assert.deepEqual(page.at(-1), { type: "sessions", sessions: [summary("s1")], current: "s1" });
  });

  it("makes the full id current when a session is opened by a prefix", async () => {
    const { relay } = await setUp();
    await relay.open("s");
    assert.equal(relay.current, "s1");
  });

  it("reports a session that cannot be opened as one card and keeps the current one", async () => {
    const { relay, page } = await setUp();
    await relay.open("s1");
    page.length = 0;
    await relay.handle({ type: "openSession", id: "missing" });
    assert.deepEqual(types(page), ["error"]);
    assert.equal(cards(page)[0]?.title, "Could not open session missing");
    assert.equal(relay.current, "s1");
  });

  it("starts a new session: current cleared, the page cleared, the server told", async () => {
    const { relay, server, page, currents } = await setUp();
    await relay.open("s1");
    page.length = 0;
    await relay.handle({ type: "newSession" });
    assert.equal(relay.current, null);
    assert.equal(server.newSessions, 1);
    assert.deepEqual(types(page), ["cleared", "sessions"]);
    assert.deepEqual(currents, ["s1", null]);
    const next = relay.send("fresh start");
    await tick();
    assert.deepEqual(server.last().params, { prompt: "fresh start" });
    server.last().resolve(answer("s2"));
    await next;
  });

  it("stops a running turn before switching sessions, so its end comes first", async () => {
    const { relay, server, page } = await setUp();
    const turn = relay.send("long");
    await tick();
    const chat = server.last();
    await relay.handle({ type: "newSession" });
    await turn;
    assert.equal(chat.signal.aborted, true);
    assert.deepEqual(types(page), ["turnStarted", "turnEnded", "sessions", "cleared", "sessions"]);
    assert.equal(relay.current, null);
  });

  it("forwards every delta, whatever its kind", async () => {
    const { relay, page } = await setUp();
    const deltas: ChatDelta[] = [
      { sessionId: "x", kind: "thinking", text: "hmm" },
      { sessionId: "x", kind: "toolStart", tool: { id: "t1", name: "read_file", arguments: { path: "a" } } },
      { sessionId: "x", kind: "toolEnd", tool: { id: "t1", name: "read_file", arguments: { path: "a" }, ok: true, summary: "12 lines" } },
      { sessionId: "x", kind: "usage", inputTokens: 1, outputTokens: 2, contextTokens: 3, contextWindow: 4 },
    ];
    for (const d of deltas) relay.delta(d);
    assert.deepEqual(
      page,
      deltas.map((delta) => ({ type: "delta", delta })),
    );
  });

  it("refreshes the session list on request, and reports a failure as a card that Retry clears", async () => {
    const { relay, server, page } = await setUp();
    await relay.handle({ type: "refreshSessions" });
    assert.deepEqual(page, [{ type: "sessions", sessions: [summary("s1")], current: null }]);
    server.failSessions = new Error("server down");
    await relay.handle({ type: "refreshSessions" });
    const [card] = cards(page);
    assert.equal(card?.id, "sessions");
    assert.deepEqual(card?.actions, ["retry"]);
    server.failSessions = undefined;
    await relay.handle({ type: "errorAction", id: "sessions", action: "retry" });
    assert.deepEqual(page.at(-2), { type: "errorCleared", id: "sessions" });
    assert.equal(page.at(-1)?.type, "sessions");
  });

  it("holds a turn until the page says ready, then sends it after the session list", async () => {
    const server = new FakeServer();
    const relay = new ChatRelay(server);
    const turn = relay.send("explain this"); // a command ran before the view existed
    await tick();
    relay.delta({ sessionId: "n", kind: "text", text: "A" });
    const page: ToPage[] = [];
    relay.attach((m) => page.push(m));
    assert.deepEqual(page, []);
    await relay.handle({ type: "ready" });
    assert.deepEqual(types(page), ["sessions", "turnStarted", "delta"]);
    server.last().resolve(answer("n"));
    await turn;
    assert.deepEqual(types(page).slice(3), ["turnEnded", "sessions"]);
  });

  it("replays a running turn and the current transcript, without the turn's stored prompt, to a page that reloads", async () => {
    const { relay, server } = await setUp();
    await relay.open("s1");
    const turn = relay.send("go on");
    await tick();
    relay.delta({ sessionId: "s1", kind: "text", text: "so far" });
    // The store already holds the running turn's prompt (and its editor context).
    server.transcripts.set(
      "s1",
      transcript("s1", [
        { index: 0, created: 1, kind: "user", text: "hello" },
        { index: 1, created: 2, kind: "assistant", blocks: [{ type: "text", text: "hi" }] },
        { index: 2, created: 3, kind: "context", text: "Active file: a.py", source: "editor" },
        { index: 3, created: 3, kind: "user", text: "go on" },
      ]),
    );
    relay.detach();
    const page: ToPage[] = [];
    relay.attach((m) => page.push(m));
    await relay.handle({ type: "ready" });
    assert.deepEqual(types(page), ["sessions", "transcript", "turnStarted", "delta"]);
    const shown = page[1]?.type === "transcript" ? page[1].session.turns.map((t) => t.kind) : [];
    assert.deepEqual(shown, ["user", "assistant"]);
    server.last().resolve(answer("s1"));
    await turn;
  });

  it("ignores page messages that do not follow the protocol", async () => {
    const { relay, server, editor, page } = await setUp();
    const bad = [
      null,
      42,
      "send",
      {},
      { type: "send" },
      { type: "send", prompt: "   " },
      { type: "openSession", id: 3 },
      { type: "eval" },
      { type: "errorAction", id: "turn", action: "runShell" },
      { type: "errorAction", action: "retry" },
      { type: "copy", text: 5 },
      { type: "insert", text: "" },
      { type: "openLink" },
    ];
    for (const message of bad) await relay.handle(message);
    assert.deepEqual(page, []);
    assert.equal(server.chats.length, 0);
    assert.deepEqual([editor.clipboard, editor.inserted, editor.links], [[], [], []]);
    assert.deepEqual(parseFromPage({ type: "openSession", id: "s1", extra: 1 }), { type: "openSession", id: "s1" });
  });
});

describe("turns the server started (code actions)", () => {
  it("shows a code action's turn with its prompt and end, and the chat box works after it", async () => {
    const { relay, server, editor, page } = await setUp();
    await relay.open("s1");
    page.length = 0;
    server.announce("Fix the problem in app.py line 2", "codeAction", "s1");
    assert.equal(relay.busy, true);
    relay.delta({ sessionId: "s1", kind: "text", text: "Fixed." });
    server.end({ ...answer("s1"), text: "Fixed." });
    await tick();
    assert.deepEqual(types(page), ["turnStarted", "delta", "turnEnded", "sessions"]);
    assert.deepEqual(page[0], { type: "turnStarted", prompt: "Fix the problem in app.py line 2", origin: "codeAction" });
    assert.equal(relay.busy, false);
    assert.deepEqual(editor.calls, ["reveal"]);
    // The bug: the view stayed locked. The next message from the chat box is sent, in the same session.
    page.length = 0;
    const next = relay.handle({ type: "send", prompt: "thanks, now explain it" });
    await tick();
    assert.deepEqual(server.last().params, { sessionId: "s1", prompt: "thanks, now explain it" });
    server.last().resolve(answer("s1"));
    await next;
    assert.deepEqual(types(page), ["turnStarted", "turnEnded", "sessions"]);
  });

  it("switches the view to the session a code action's turn continues: its transcript first, then the turn", async () => {
    const { relay, server, page, currents } = await setUp();
    await relay.open("s1");
    page.length = 0;
    server.announce("Explain lines 1-2", "codeAction", "s2");
    relay.delta({ sessionId: "s2", kind: "text", text: "It returns one." });
    await tick();
    assert.equal(relay.current, "s2");
    assert.deepEqual(currents.at(-1), "s2");
    assert.deepEqual(types(page), ["transcript", "turnStarted", "delta"]);
    assert.equal(page[0]?.type === "transcript" && page[0].session.id, "s2");
    server.end(answer("s2"));
    await tick();
    assert.deepEqual(types(page).slice(3), ["turnEnded", "sessions"]);
  });

  it("clears the view for a code action's turn that starts a new session", async () => {
    const { relay, server, page } = await setUp();
    await relay.open("s1");
    page.length = 0;
    server.announce("Explain lines 1-2", "codeAction", null);
    server.end(answer("s9"));
    await tick();
    assert.deepEqual(types(page), ["cleared", "turnStarted", "turnEnded", "sessions"]);
    assert.equal(relay.current, "s9");
  });

  it("does not show the relay's own turn twice when the server announces it too", async () => {
    const { relay, server, page } = await setUp();
    const sent = relay.send("hello");
    await tick();
    server.announce("hello", "chat", null);
    relay.delta({ sessionId: "n1", kind: "text", text: "Hi" });
    server.end(answer("n1"));
    server.last().resolve(answer("n1"));
    await sent;
    assert.deepEqual(types(page), ["turnStarted", "delta", "turnEnded", "sessions"]);
    // And the next server turn is shown again.
    server.announce("Explain", "codeAction", "n1");
    assert.equal(relay.busy, true);
  });

  it("keeps the view busy while a server turn runs: a send is refused with a notice", async () => {
    const { relay, server, page } = await setUp();
    server.announce("Fix it", "codeAction", null);
    page.length = 0;
    assert.equal(await relay.send("hello?"), undefined);
    assert.deepEqual(types(page), ["notice"]);
    assert.equal(server.chats.length, 0);
  });

  it("stops a server-started turn through the server (m2.stop); it ends as the server says", async () => {
    const { relay, server, page } = await setUp();
    server.announce("Refactor", "codeAction", null);
    await relay.handle({ type: "stop" });
    assert.equal(server.stops, 1);
    assert.equal(relay.busy, true); // until the server's end arrives
    server.end({ ...answer("s5", "cancelled"), text: "partial" });
    await tick();
    assert.equal(relay.busy, false);
    assert.deepEqual(page.filter((m) => m.type === "turnEnded").length, 1);
  });

  it("ends a server-started turn that the server never ends after Stop, so the view does not stay busy", async () => {
    const { relay, server, page } = await setUp(new FakeServer(), 5);
    server.announce("Refactor", "codeAction", null);
    await relay.handle({ type: "stop" });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(relay.busy, false);
    const ended = page.filter((m) => m.type === "turnEnded");
    assert.equal(ended.length, 1);
    assert.equal(ended[0]?.type === "turnEnded" && ended[0].result.stopReason, "cancelled");
    server.end(answer("late")); // a late end changes nothing
    assert.equal(page.filter((m) => m.type === "turnEnded").length, 1);
  });

  it("ends the server's turn with one card when the server stops mid-turn", async () => {
    const { relay, server, page } = await setUp();
    server.announce("Fix it", "codeAction", null);
    server.events?.stopped();
    assert.equal(relay.busy, false);
    assert.deepEqual(types(page).slice(-2), ["turnEnded", "error"]);
    assert.deepEqual(cards(page).map((c) => c.actions), [["retry", "showLog"]]);
  });

  it("shows a second server turn that starts during the first only by its end, never twice", async () => {
    const { relay, server, page } = await setUp();
    server.announce("one", "codeAction", null);
    server.announce("two", "codeAction", null);
    server.end(answer("a"));
    server.end(answer("a"));
    await tick();
    assert.equal(page.filter((m) => m.type === "turnStarted").length, 1);
    assert.equal(page.filter((m) => m.type === "turnEnded").length, 1);
    assert.equal(relay.busy, false);
  });
});

describe("errors as cards", () => {
  it("makes one card of a failed send, after its one turnEnded (a request that failed)", async () => {
    const { relay, server, page } = await setUp();
    const turn = relay.send("hi");
    await tick();
    server.failSessions = new ServerUnavailable("the language server stopped; see the m2bridge output");
    server.last().reject(new ServerUnavailable("the language server stopped; see the m2bridge output"));
    const result = await turn;
    assert.equal(result?.stopReason, "error");
    assert.deepEqual(types(page), ["turnStarted", "turnEnded", "error"]);
    assert.deepEqual(cards(page)[0]?.actions, ["openSettings", "showLog", "retry"]);
    assert.equal(relay.busy, false);
  });

  it("shows a turn's error as its card only, not again inside the ended turn", async () => {
    const { relay, server, page } = await setUp();
    const turn = relay.send("hi");
    await tick();
    server.last().resolve(failedWith("auth", "MiniMax rejected the API key (2049). set MINIMAX_API_HOST=...", "trace-1"));
    await turn;
    const ended = page.find((m) => m.type === "turnEnded");
    assert.equal(ended?.type === "turnEnded" && ended.result.error, null);
    assert.equal(ended?.type === "turnEnded" && ended.result.stopReason, "error");
    const [card, ...more] = cards(page);
    assert.deepEqual(more, []);
    assert.equal(card?.id, "auth");
    assert.deepEqual(card?.actions, ["setApiKey", "openSettings", "copyDetails"]);
  });

  it("replaces a card of the same cause instead of adding one, and clears all when a turn succeeds", async () => {
    const { relay, server, page } = await setUp();
    for (const prompt of ["one", "two"]) {
      const turn = relay.send(prompt);
      await tick();
      server.last().resolve(failedWith("rate_limited", "Rate limited by MiniMax (1002)", "t"));
      await turn;
    }
    assert.deepEqual(relay.openCards, ["turn"]);
    const ok = relay.send("three");
    await tick();
    server.last().resolve(answer("s3"));
    await ok;
    assert.deepEqual(relay.openCards, []);
    assert.deepEqual(page.filter((m) => m.type === "errorCleared"), [{ type: "errorCleared", id: "turn" }]);
  });

  it("shows a failed start as a card with Open Settings, Show Log and Retry, and clears it once the server starts", async () => {
    const { relay, server, page } = await setUp();
    const shown = await server.events?.startFailed(Object.assign(new Error("spawn m2bridge ENOENT"), { code: "ENOENT" }), ["m2bridge", "lsp"]);
    assert.equal(shown, true); // a page shows it: no notification
    const [card] = cards(page);
    assert.equal(card?.id, "server");
    assert.deepEqual(card?.actions, ["openSettings", "showLog", "retry"]);
    server.events?.started({ hasKey: true, keyChanged: false });
    await tick();
    assert.deepEqual(page.find((m) => m.type === "errorCleared"), { type: "errorCleared", id: "server" });
    assert.deepEqual(relay.openCards, []);
  });

  it("asks for a notification when no chat page would show a failed start", async () => {
    const server = new FakeServer();
    new ChatRelay(server, {}, { pageWaitMs: 20 });
    assert.equal(await server.events?.startFailed(new Error("spawn m2bridge ENOENT"), ["m2bridge", "lsp"]), false);
  });

  it("needs no notification when the chat page that activated the extension attaches just after a failed start", async () => {
    const server = new FakeServer();
    const relay = new ChatRelay(server, {}, { pageWaitMs: 5_000 });
    const shown = server.events?.startFailed(new Error("spawn m2bridge ENOENT"), ["m2bridge", "lsp"]);
    await tick();
    const page: ToPage[] = [];
    relay.attach((message) => page.push(message));
    assert.equal(await shown, true);
    assert.deepEqual(relay.openCards, ["server"]); // kept for the page, which gets it once ready
  });

  it("clears an error from before the server started once it starts (the session list it could not read)", async () => {
    const server = new FakeServer();
    server.failSessions = new ServerUnavailable("the language server has not started yet; see the m2bridge output");
    const relay = new ChatRelay(server);
    const page: ToPage[] = [];
    relay.attach((m) => page.push(m));
    await relay.handle({ type: "ready" });
    assert.deepEqual(cards(page).map((c) => c.id), ["server"]);
    server.failSessions = undefined;
    server.events?.started({ hasKey: true, keyChanged: false });
    await tick();
    assert.deepEqual(types(page).slice(-2), ["errorCleared", "sessions"]);
  });

  it("clears the no-key card when the server restarts with a key, and the rejected-key card when the key changed", async () => {
    const { relay, server } = await setUp();
    for (const [result, _] of [
      [failedWith("config", "No MiniMax API key: set MINIMAX_API_KEY (export MINIMAX_API_KEY=...)"), 0],
      [failedWith("auth", "MiniMax rejected the API key", "tr"), 0],
    ] as const) {
      const turn = relay.send("hi");
      await tick();
      server.last().resolve(result);
      await turn;
    }
    assert.deepEqual(relay.openCards.sort(), ["auth", "key"]);
    server.events?.started({ hasKey: true, keyChanged: false });
    assert.deepEqual(relay.openCards, ["auth"]);
    server.events?.started({ hasKey: true, keyChanged: true });
    assert.deepEqual(relay.openCards, []);
  });

  it("carries out a card's buttons: Set API Key, Open Settings on the card's setting, Copy details, Show Log", async () => {
    const { relay, server, editor } = await setUp();
    const turn = relay.send("hi");
    await tick();
    server.last().resolve(failedWith("auth", "MiniMax rejected the API key (2049 invalid api key).", "trace-42"));
    await turn;
    await relay.handle({ type: "errorAction", id: "auth", action: "setApiKey" });
    await relay.handle({ type: "errorAction", id: "auth", action: "openSettings" });
    await relay.handle({ type: "errorAction", id: "auth", action: "copyDetails" });
    await relay.handle({ type: "errorAction", id: "auth", action: "showLog" }); // not offered by this card
    assert.deepEqual(editor.calls, ["setApiKey"]);
    assert.deepEqual(editor.settings, ["m2bridge.host"]);
    assert.equal(editor.clipboard.length, 1);
    assert.match(editor.clipboard[0] ?? "", /auth/);
    assert.match(editor.clipboard[0] ?? "", /MiniMax rejected the API key \(2049 invalid api key\)\./);
    assert.match(editor.clipboard[0] ?? "", /Trace-Id: trace-42/);
  });

  it("Retry sends the failed prompt again", async () => {
    const { relay, server } = await setUp();
    const turn = relay.send("what does main do?");
    await tick();
    server.last().resolve(failedWith("timeout", "Timed out talking to MiniMax."));
    await turn;
    const retried = relay.handle({ type: "errorAction", id: "turn", action: "retry" });
    await tick();
    assert.equal(server.chats.length, 2);
    assert.equal(server.last().params.prompt, "what does main do?");
    server.last().resolve(answer("s1"));
    await retried;
    assert.deepEqual(relay.openCards, []);
  });

  it("Retry on a server that was not running restarts it, then sends the prompt", async () => {
    const { relay, server } = await setUp();
    const turn = relay.send("hello");
    await tick();
    server.last().reject(new ServerUnavailable("the language server could not start (spawn m2bridge ENOENT); see the m2bridge output"));
    await turn;
    const retried = relay.handle({ type: "errorAction", id: "server", action: "retry" });
    await tick();
    assert.equal(server.restarts.length, 1);
    assert.equal(server.last().params.prompt, "hello");
    server.last().resolve(answer("s1"));
    await retried;
  });

  it("shows a reloaded page the failed prompt with its card, not a bare prompt", async () => {
    const { relay, server } = await setUp();
    const turn = relay.send("first question");
    await tick();
    server.last().resolve(failedWith("connection", "Could not connect to api.minimax.io."));
    await turn;
    relay.detach();
    const page: ToPage[] = [];
    relay.attach((m) => page.push(m));
    await relay.handle({ type: "ready" });
    assert.deepEqual(types(page), ["sessions", "turnStarted", "turnEnded", "error"]);
    assert.deepEqual(page[1], { type: "turnStarted", prompt: "first question", origin: "chat" });
    assert.equal(page[2]?.type === "turnEnded" && page[2].result.stopReason, "error");
  });

  it("shows a reloaded page only the card when the stored transcript holds the failed prompt", async () => {
    const { relay, server } = await setUp();
    await relay.open("s1");
    const turn = relay.send("second question");
    await tick();
    server.last().resolve(failedWith("server", "MiniMax internal error (1000).", "tr", "s1"));
    await turn;
    server.transcripts.set(
      "s1",
      transcript("s1", [
        { index: 0, created: 1, kind: "user", text: "hello" },
        { index: 1, created: 2, kind: "assistant", blocks: [{ type: "text", text: "hi" }] },
        { index: 2, created: 3, kind: "user", text: "second question" },
      ]),
    );
    relay.detach();
    const page: ToPage[] = [];
    relay.attach((m) => page.push(m));
    await relay.handle({ type: "ready" });
    assert.deepEqual(types(page), ["sessions", "transcript", "error"]);
  });

  it("does not show a failed turn's card in another session, but keeps the set-up cards everywhere", async () => {
    const { relay, server } = await setUp();
    await relay.open("s1");
    const first = relay.send("q");
    await tick();
    server.last().resolve(failedWith("rate_limited", "Rate limited", null, "s1"));
    await first;
    const second = relay.send("q2");
    await tick();
    server.last().resolve(failedWith("config", "No MiniMax API key: set MINIMAX_API_KEY", null, "s1"));
    await second;
    await relay.open("s2");
    relay.detach();
    const page: ToPage[] = [];
    relay.attach((m) => page.push(m));
    await relay.handle({ type: "ready" });
    assert.deepEqual(cards(page).map((c) => c.id), ["key"]);
  });
});

describe("the page's copy, insert and links", () => {
  it("copies to the clipboard and inserts at the editor's cursor", async () => {
    const { relay, editor } = await setUp();
    await relay.handle({ type: "copy", text: "print(1)" });
    await relay.handle({ type: "insert", text: "x = 2\n" });
    assert.deepEqual(editor.clipboard, ["print(1)"]);
    assert.deepEqual(editor.inserted, ["x = 2\n"]);
  });

  it("says so when there is no editor to insert into", async () => {
    const { relay, editor, page } = await setUp();
    editor.hasEditor = false;
    await relay.handle({ type: "insert", text: "x = 2" });
    assert.deepEqual(page, [{ type: "notice", message: "Open a file to insert the code into." }]);
  });

  it("opens http and https links in the browser", async () => {
    const { relay, editor } = await setUp();
    await relay.handle({ type: "openLink", href: "https://platform.minimax.io/docs?x=1#y" });
    await relay.handle({ type: "openLink", href: "HTTP://example.com" });
    assert.deepEqual(editor.links, ["https://platform.minimax.io/docs?x=1#y", "http://example.com/"]);
  });

  it("refuses every other link: javascript:, file:, command:, vscode: and the like (attack)", async () => {
    const { relay, editor } = await setUp();
    const attacks = [
      "javascript:alert(document.cookie)",
      " javascript:alert(1)",
      "java\tscript:alert(1)",
      "JavaScript:alert(1)",
      "file:///etc/passwd",
      "command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%20-rf%20~%22%7D",
      "vscode:extension/evil.extension",
      "vscode://vscode.git/clone?url=https://evil.example",
      "vscode-insiders://settings",
      "data:text/html,<script>alert(1)</script>",
      "//evil.example/path",
      "https:",
      "http://",
      "/relative/path",
      `https://example.com/${"a".repeat(9000)}`,
    ];
    for (const href of attacks) {
      await relay.handle({ type: "openLink", href });
      assert.equal(webLink(href), undefined, href);
    }
    assert.deepEqual(editor.links, []);
  });
});

describe("the transcript of a running turn", () => {
  it("drops the stored prompt (and its editor context) of the turn that runs, and nothing else", () => {
    const session = transcript("s", [
      { index: 0, created: 1, kind: "user", text: "a" },
      { index: 1, created: 2, kind: "assistant", blocks: [] },
      { index: 2, created: 3, kind: "context", text: "ctx", source: "editor" },
      { index: 3, created: 3, kind: "user", text: "b" },
    ]);
    assert.deepEqual(withoutRunningTurn(session, "b").turns.map((t) => t.index), [0, 1]);
    assert.equal(withoutRunningTurn(session, "other"), session);
    assert.equal(withoutRunningTurn(session, "a"), session); // answered already: not the running turn
  });
});

describe("a session that grows elsewhere (m2/sessionChanged)", () => {
  // A question and an answer, again and again: `count` stored turns.
  const turns = (count: number): SessionTranscript["turns"] =>
    Array.from({ length: count }, (_, index) =>
      index % 2 ? { index, created: index, kind: "assistant", blocks: [] } : { index, created: index, kind: "user", text: `q${index}` },
    );
  const changed = (server: FakeServer, sessionId: string, count: number): void => {
    assert.ok(server.events, "the relay does not listen");
    server.events.sessionChanged({ sessionId, turns: count });
  };
  const transcripts = (page: ToPage[]): number[] => page.flatMap((m) => (m.type === "transcript" ? [m.session.turns.length] : []));

  it("fetches the session shown and shows it whole, once, with the new turns", async () => {
    const { relay, server, page } = await setUp();
    server.transcripts.set("s1", transcript("s1", turns(2)));
    await relay.open("s1");
    page.length = 0;
    server.opened.length = 0;
    server.transcripts.set("s1", transcript("s1", turns(4)));
    changed(server, "s1", 4);
    await tick();
    assert.deepEqual(server.opened, ["s1"]);
    assert.deepEqual(types(page), ["transcript", "sessions"]);
    assert.deepEqual(transcripts(page), [4]);
    // The same news again, or older news: nothing to fetch, nothing shown twice.
    changed(server, "s1", 4);
    changed(server, "s1", 3);
    await tick();
    assert.deepEqual(server.opened, ["s1"]);
    assert.deepEqual(transcripts(page), [4]);
  });

  it("leaves a session the view does not show alone", async () => {
    const { relay, server, page } = await setUp();
    await relay.open("s1");
    page.length = 0;
    server.opened.length = 0;
    changed(server, "other", 7);
    await tick();
    assert.deepEqual(server.opened, []);
    assert.deepEqual(page, []);
  });

  it("waits for the view's own turn to end, then shows the session with the turns added meanwhile", async () => {
    const { relay, server, page } = await setUp();
    server.transcripts.set("s1", transcript("s1", turns(2)));
    await relay.open("s1");
    page.length = 0;
    server.opened.length = 0;
    const sent = relay.send("mine");
    await tick();
    changed(server, "s1", 6);
    await tick();
    assert.deepEqual(server.opened, [], "fetched while the turn streamed");
    assert.deepEqual(types(page), ["turnStarted"]);
    server.transcripts.set("s1", transcript("s1", turns(6)));
    server.last().resolve(answer("s1"));
    await sent;
    await tick();
    assert.deepEqual(server.opened, ["s1"]);
    const order = types(page);
    assert.ok(order.indexOf("turnEnded") < order.indexOf("transcript"), order.join());
    assert.deepEqual(transcripts(page), [6]);
  });

  it("fetches again after a fetch when more news came during it", async () => {
    const server = new FakeServer();
    const { relay, page } = await setUp(server);
    server.transcripts.set("s1", transcript("s1", turns(2)));
    await relay.open("s1");
    page.length = 0;
    server.opened.length = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const realSession = server.session.bind(server);
    server.session = async (id: string) => {
      await gate;
      return realSession(id);
    };
    server.transcripts.set("s1", transcript("s1", turns(4)));
    changed(server, "s1", 4);
    await tick();
    changed(server, "s1", 6); // while the first fetch is out
    server.transcripts.set("s1", transcript("s1", turns(6)));
    release();
    await tick();
    await tick();
    assert.deepEqual(server.opened, ["s1", "s1"]);
    assert.equal(transcripts(page).at(-1), 6);
  });
});
