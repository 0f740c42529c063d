// The chat view's logic, between the page (src/protocol.ts's FromPage/ToPage) and the language server.
// It knows neither the webview nor the LanguageClient: both come in through the small interfaces below,
// so the tests drive it with page messages and scripted server answers.

import type { ChatDelta, ChatResult, FromPage, SessionSummary, SessionTranscript, ToPage } from "./protocol";

/** What the relay asks of the language server (client.ts implements it over LSP). */
export interface ChatServer {
  sessions(): Promise<SessionSummary[]>;
  session(id: string): Promise<SessionTranscript>;
  /** `m2/chat`; aborting `signal` cancels the request ($/cancelRequest): the server answers "cancelled". */
  chat(params: { sessionId?: string; prompt: string }, signal: AbortSignal): Promise<ChatResult>;
  /** The server's `m2.newSession` command. */
  newSession(): Promise<void>;
}

export interface RelayEvents {
  /** The current session changed (null: the next turn starts a new one). */
  current?(sessionId: string | null, sessions: readonly SessionSummary[]): void;
  sessions?(sessions: readonly SessionSummary[]): void;
  log?(text: string): void;
}

export type Post = (message: ToPage) => unknown;

/** Messages kept for a page that is not listening yet; past this many the oldest are dropped. */
export const MAX_QUEUED = 20_000;

interface Turn {
  prompt: string;
  controller: AbortController;
  /** turnStarted and the deltas so far, replayed to a page that reloads mid-turn. */
  shown: ToPage[];
  done: Promise<ChatResult | undefined>;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** Page messages arrive through postMessage: anything not of the protocol's shape is ignored. */
export function parseFromPage(raw: unknown): FromPage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const m = raw as { type?: unknown; prompt?: unknown; id?: unknown };
  switch (m.type) {
    case "ready":
    case "stop":
    case "newSession":
    case "refreshSessions":
      return { type: m.type };
    case "send":
      return typeof m.prompt === "string" && m.prompt.trim() !== "" ? { type: "send", prompt: m.prompt } : undefined;
    case "openSession":
      return typeof m.id === "string" && m.id !== "" ? { type: "openSession", id: m.id } : undefined;
    default:
      return undefined;
  }
}

export class ChatRelay {
  private currentId: string | null = null;
  private list: SessionSummary[] = [];
  private turn: Turn | undefined;
  private post: Post | undefined;
  private pageReady = false;
  private queue: ToPage[] = [];

  constructor(
    private readonly server: ChatServer,
    private readonly events: RelayEvents = {},
    private readonly maxQueued = MAX_QUEUED,
  ) {}

  get current(): string | null {
    return this.currentId;
  }

  get sessions(): readonly SessionSummary[] {
    return this.list;
  }

  get busy(): boolean {
    return this.turn !== undefined;
  }

  // The page ---------------------------------------------------------------------------------------

  /** A webview now shows the page; messages wait until its script says `ready`. */
  attach(post: Post): void {
    this.post = post;
    this.pageReady = false;
  }

  /** The webview is gone. A turn still running is replayed to the next page from its start. */
  detach(): void {
    // A page that never said `ready` missed everything queued so far; one that did saw all but the turn.
    if (this.pageReady) this.queue = this.turn ? [...this.turn.shown] : [];
    this.post = undefined;
    this.pageReady = false;
  }

  async handle(raw: unknown): Promise<void> {
    const message = parseFromPage(raw);
    if (message === undefined) {
      this.events.log?.(`chat view: ignored a message of unknown shape`);
      return;
    }
    switch (message.type) {
      case "ready":
        return this.ready();
      case "send":
        await this.send(message.prompt);
        return;
      case "stop":
        this.stop();
        return;
      case "newSession":
        return this.newSession();
      case "openSession":
        return this.open(message.id);
      case "refreshSessions":
        await this.refreshSessions();
        return;
    }
  }

  private emit(message: ToPage): void {
    if (this.turn && (message.type === "turnStarted" || message.type === "delta")) this.turn.shown.push(message);
    if (this.post && this.pageReady) {
      this.post(message);
      return;
    }
    this.queue.push(message);
    if (this.queue.length > this.maxQueued) this.queue.splice(0, this.queue.length - this.maxQueued);
  }

  /** The page (re)loaded: the session list, the current transcript, then whatever it missed. */
  private async ready(): Promise<void> {
    const post = this.post;
    if (post === undefined) return;
    this.pageReady = false;
    try {
      this.list = await this.server.sessions();
      this.events.sessions?.(this.list);
    } catch (error) {
      post({ type: "error", message: `Could not list sessions: ${errorText(error)}` });
    }
    post({ type: "sessions", sessions: this.list, current: this.currentId });
    if (this.currentId !== null) {
      try {
        post({ type: "transcript", session: await this.server.session(this.currentId) });
      } catch (error) {
        post({ type: "error", message: `Could not load session ${this.currentId}: ${errorText(error)}` });
      }
    }
    if (this.post !== post) return; // detached meanwhile: the queue waits for the next page
    for (const message of this.queue) post(message);
    this.queue = [];
    this.pageReady = true;
  }

  // Turns ------------------------------------------------------------------------------------------

  /**
   * One chat turn in the current session (a new one when there is none). Every turnStarted is followed
   * by exactly one turnEnded; a request that failed posts `error` first, then turnEnded with stopReason
   * "error". Returns undefined when a turn is already running (and tells the page so).
   */
  send(prompt: string): Promise<ChatResult | undefined> {
    if (this.turn) {
      this.emit({ type: "error", message: "M2 is still answering: wait for it, or press Stop." });
      return Promise.resolve(undefined);
    }
    const controller = new AbortController();
    const turn: Turn = { prompt, controller, shown: [], done: Promise.resolve(undefined) };
    this.turn = turn;
    this.emit({ type: "turnStarted", prompt });
    turn.done = this.runTurn(turn);
    return turn.done;
  }

  private async runTurn(turn: Turn): Promise<ChatResult> {
    const sessionId = this.currentId;
    let result: ChatResult;
    try {
      // Without a session id the server continues its own current session, which a code action may
      // have set meanwhile; the page shows a new conversation, so the server starts one too.
      if (sessionId === null) await this.server.newSession();
      const params = sessionId !== null ? { sessionId, prompt: turn.prompt } : { prompt: turn.prompt };
      result = await this.server.chat(params, turn.controller.signal);
    } catch (error) {
      this.emit({ type: "error", message: `M2 request failed: ${errorText(error)}` });
      result = { sessionId, text: "", stopReason: "error", incomplete: true, error: null };
    }
    this.turn = undefined;
    if (result.sessionId) this.setCurrent(result.sessionId);
    this.emit({ type: "turnEnded", result });
    await this.refreshSessions();
    return result;
  }

  /** Cancels the running turn; the server keeps what arrived and answers with stopReason "cancelled". */
  stop(): void {
    this.turn?.controller.abort();
  }

  /** Stops a running turn and waits for its end, before the view switches sessions. */
  private async settle(): Promise<void> {
    const turn = this.turn;
    if (turn === undefined) return;
    turn.controller.abort();
    await turn.done;
  }

  /** An `m2/chatDelta` notification. */
  delta(delta: ChatDelta): void {
    this.emit({ type: "delta", delta });
  }

  // Sessions ---------------------------------------------------------------------------------------

  async newSession(): Promise<void> {
    await this.settle();
    this.setCurrent(null);
    this.emit({ type: "cleared" });
    try {
      await this.server.newSession();
    } catch (error) {
      this.emit({ type: "error", message: `Could not start a new session: ${errorText(error)}` });
    }
    await this.refreshSessions();
  }

  async open(id: string): Promise<void> {
    await this.settle();
    let transcript: SessionTranscript;
    try {
      transcript = await this.server.session(id);
    } catch (error) {
      this.emit({ type: "error", message: `Could not open session ${id}: ${errorText(error)}` });
      return;
    }
    this.setCurrent(transcript.id);
    this.emit({ type: "transcript", session: transcript });
    await this.refreshSessions();
  }

  async refreshSessions(): Promise<readonly SessionSummary[]> {
    try {
      this.list = await this.server.sessions();
    } catch (error) {
      this.emit({ type: "error", message: `Could not list sessions: ${errorText(error)}` });
      return this.list;
    }
    this.emit({ type: "sessions", sessions: this.list, current: this.currentId });
    this.events.sessions?.(this.list);
    return this.list;
  }

  private setCurrent(id: string | null): void {
    if (id === this.currentId) return;
    this.currentId = id;
    this.events.current?.(id, this.list);
  }
}
