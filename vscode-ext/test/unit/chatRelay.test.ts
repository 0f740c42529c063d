import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ChatRelay, type ChatServer, parseFromPage } from "../../src/chatRelay";
import type { ChatDelta, ChatResult, SessionSummary, SessionTranscript, ToPage } from "../../src/protocol";

const summary = (id: string, title = id): SessionSummary => ({
  id,
  title,
  updated: 1_700_000_000,
  turns: 2,
  contextTokens: 100,
  workspace: "/repo",
});

const transcript = (id: string): SessionTranscript => ({
  id,
  title: id,
  workspace: "/repo",
  updated: 1_700_000_000,
  contextTokens: 100,
  turns: [{ index: 0, created: 1, kind: "user", text: "hello" }],
});

const answer = (sessionId: string | null, stopReason: ChatResult["stopReason"] = "end_turn"): ChatResult => ({
  sessionId,
  text: "done",
  stopReason,
  incomplete: stopReason !== "end_turn",
  error: null,
});

interface PendingChat {
  params: { sessionId?: string; prompt: string };
  signal: AbortSignal;
  resolve(result: ChatResult): void;
  reject(error: unknown): void;
}

/** A language server whose chat turns the test ends by hand, and which records what it was asked. */
class FakeServer implements ChatServer {
  list: SessionSummary[] = [summary("s1")];
  chats: PendingChat[] = [];
  opened: string[] = [];
  newSessions = 0;
  failSessions = false;

  async sessions(): Promise<SessionSummary[]> {
    if (this.failSessions) throw new Error("server down");
    return [...this.list];
  }
  async session(id: string): Promise<SessionTranscript> {
    this.opened.push(id);
    if (id === "missing") throw new Error("unknown session missing");
    return transcript(id === "s" ? "s1" : id);
  }
  chat(params: { sessionId?: string; prompt: string }, signal: AbortSignal): Promise<ChatResult> {
    return new Promise((resolve, reject) => {
      const pending = { params, signal, resolve, reject };
      this.chats.push(pending);
      // Like the real server: a cancel ends the turn with what arrived, marked cancelled.
      signal.addEventListener("abort", () => resolve(answer(params.sessionId ?? "new-1", "cancelled")));
    });
  }
  async newSession(): Promise<void> {
    this.newSessions++;
  }
  last(): PendingChat {
    const chat = this.chats.at(-1);
    assert.ok(chat, "no chat request was sent");
    return chat;
  }
}

/** A relay attached to a page that has said `ready`, and the messages it posted since. */
async function setUp(server = new FakeServer()): Promise<{ relay: ChatRelay; server: FakeServer; page: ToPage[]; currents: (string | null)[] }> {
  const currents: (string | null)[] = [];
  const relay = new ChatRelay(server, { current: (id) => currents.push(id) });
  const page: ToPage[] = [];
  relay.attach((m) => page.push(m));
  await relay.handle({ type: "ready" });
  page.length = 0;
  return { relay, server, page, currents };
}

const types = (page: ToPage[]): string[] => page.map((m) => m.type);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

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
    assert.deepEqual(page[0], { type: "turnStarted", prompt: "explain main.py" });
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
    server.last().resolve({ ...answer(null, "error"), error: { code: "no_key", message: "set MINIMAX_API_KEY", traceId: null } });
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
  });

  it("refuses a second prompt while a turn runs, and tells the page", async () => {
    const { relay, server, page } = await setUp();
    const first = relay.send("one");
    await tick();
    assert.equal(await relay.send("two"), undefined);
    assert.equal(server.chats.length, 1);
    assert.deepEqual(page.at(-1), { type: "error", message: "M2 is still answering: wait for it, or press Stop." });
    server.last().resolve(answer("a"));
    await first;
  });

  it("posts an error and still ends the turn when the request fails", async () => {
    const { relay, server, page } = await setUp();
    const turn = relay.send("hi");
    await tick();
    server.last().reject(new Error("Client is not running"));
    const result = await turn;
    assert.equal(result?.stopReason, "error");
    assert.deepEqual(types(page), ["turnStarted", "error", "turnEnded", "sessions"]);
    assert.deepEqual(page[1], { type: "error", message: "M2 request failed: Client is not running" });
    assert.equal(relay.busy, false);
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

  it("reports a session that cannot be opened and keeps the current one", async () => {
    const { relay, page } = await setUp();
    await relay.open("s1");
    page.length = 0;
    await relay.handle({ type: "openSession", id: "missing" });
    assert.deepEqual(page, [{ type: "error", message: "Could not open session missing: unknown session missing" }]);
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

  it("refreshes the session list on request, and reports a failure", async () => {
    const { relay, server, page } = await setUp();
    await relay.handle({ type: "refreshSessions" });
    assert.deepEqual(page, [{ type: "sessions", sessions: [summary("s1")], current: null }]);
    server.failSessions = true;
    await relay.handle({ type: "refreshSessions" });
    assert.deepEqual(page.at(-1), { type: "error", message: "Could not list sessions: server down" });
  });

  it("holds messages until the page says ready, then sends them after the session list", async () => {
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

  it("replays a running turn and the current transcript to a page that reloads", async () => {
    const { relay, server } = await setUp();
    await relay.open("s1");
    const turn = relay.send("go on");
    await tick();
    relay.delta({ sessionId: "s1", kind: "text", text: "so far" });
    relay.detach();
    const page: ToPage[] = [];
    relay.attach((m) => page.push(m));
    await relay.handle({ type: "ready" });
    assert.deepEqual(types(page), ["sessions", "transcript", "turnStarted", "delta"]);
    server.last().resolve(answer("s1"));
    await turn;
  });

  it("ignores page messages that do not follow the protocol", async () => {
    const { relay, server, page } = await setUp();
    for (const bad of [null, 42, "send", {}, { type: "send" }, { type: "send", prompt: "   " }, { type: "openSession", id: 3 }, { type: "eval" }]) {
      await relay.handle(bad);
    }
    assert.deepEqual(page, []);
    assert.equal(server.chats.length, 0);
    assert.deepEqual(parseFromPage({ type: "openSession", id: "s1", extra: 1 }), { type: "openSession", id: "s1" });
  });
});
