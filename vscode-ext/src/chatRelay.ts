// The chat view's logic, between the page (src/protocol.ts's FromPage/ToPage) and the language server.
// It knows neither the webview nor the LanguageClient: both come in through the small interfaces below,
// so the tests drive it with page messages, scripted server answers and server announcements.
//
// Turns. Every turn, whoever started it, reaches the page as turnStarted, its deltas and exactly one
// turnEnded, in the session it belongs to. The relay's own turns are m2/chat requests; the server also
// announces every turn (m2/turnStarted, m2/turnEnded), so a code action's turn shows here too. While the
// relay's own turn runs, the server's announcement with origin "chat" is that same turn and is not shown
// twice. One turn shows at a time; a second turn the server starts meanwhile is counted, not shown.
// Stop on a turn the relay did not start asks the server to stop it (`m2.stop`).
//
// Live sessions. When the session shown grows elsewhere (a terminal's `m2bridge chat`, another editor),
// the server says so (m2/sessionChanged) and the relay fetches the session and shows it whole: a
// transcript replaces what the page shows, so no turn shows twice. Not while a turn runs here (the page
// shows that turn as it streams): the fetch waits for the turn's end. One fetch at a time; a change
// that arrives during one is fetched after it.
//
// Errors. Each failure is one card (errorCards.ts) with a stable id; a new failure of the same cause
// replaces it, and it is cleared (`errorCleared`) when resolved: the server started, the key set, or a
// turn succeeded. A failed send makes at most one card. A page that (re)loads gets the cards still open,
// and the failed turn's prompt with it.

import { CARD, type Failure, requestFailure, serverFailure, sessionsFailure, turnFailure } from "./errorCards";
import type {
  ChatDelta,
  ChatResult,
  DisplayTurn,
  ErrorAction,
  FromPage,
  SessionChangedParams,
  SessionSummary,
  SessionTranscript,
  ToPage,
  TurnEndedParams,
  TurnOrigin,
  TurnStartedParams,
} from "./protocol";

/** What the server says of itself when it (re)started. */
export interface ServerState {
  /** It has an API key (from the secret store or the environment). */
  hasKey: boolean;
  /** The key differs from the one the previous server had. */
  keyChanged: boolean;
}

/** What the language server tells the relay besides answers (client.ts calls these). */
export interface ServerEvents {
  turnStarted(params: TurnStartedParams): void;
  turnEnded(params: TurnEndedParams): void;
  /** The session the editor shows grew elsewhere (m2/sessionChanged). */
  sessionChanged(params: SessionChangedParams): void;
  started(state: ServerState): void;
  /** The server could not start; true when a chat page shows the card (one open now, or one that opens
   *  within a moment: the view that activated the extension may still be resolving), so no notification
   *  is needed. */
  startFailed(error: unknown, command: readonly string[]): Promise<boolean>;
  /** The server stopped: a turn it announced will not end by itself. */
  stopped(): void;
}

/** What the relay asks of the language server (client.ts implements it over LSP). */
export interface ChatServer {
  sessions(): Promise<SessionSummary[]>;
  session(id: string): Promise<SessionTranscript>;
  /** `m2/chat`; aborting `signal` cancels the request ($/cancelRequest): the server answers "cancelled". */
  chat(params: { sessionId?: string; prompt: string }, signal: AbortSignal): Promise<ChatResult>;
  /** The server's `m2.newSession` command. */
  newSession(): Promise<void>;
  /** The server's `m2.stop` command: its running turns end as cancelled, with what arrived. */
  stopTurns(): Promise<void>;
  /** Starts the server again (a card's Retry); false when it could not. */
  restart(reason: string): Promise<boolean>;
  /** Subscribes to the server's announcements. */
  listen(events: ServerEvents): { dispose(): void };
}

/** What the relay asks of VS Code for the page (chatView.ts implements it). */
export interface EditorActions {
  setApiKey(): Promise<void>;
  /** Opens the Settings editor searching for `query` (on the Remote tab in a remote window). */
  openSettings(query: string): Promise<void>;
  copy(text: string): Promise<void>;
  /** Inserts at the active editor's selection; false when no editor is open. */
  insert(text: string): Promise<boolean>;
  /** Opens an http(s) URL in the browser. */
  openLink(url: string): Promise<void>;
  showLog(): void;
  /** Shows the chat view without taking the focus (a code action's turn streams into it). */
  reveal(): Promise<void>;
}

export interface RelayEvents {
  /** The current session changed (null: the next turn starts a new one). */
  current?(sessionId: string | null, sessions: readonly SessionSummary[]): void;
  sessions?(sessions: readonly SessionSummary[]): void;
  log?(text: string): void;
}

export interface RelayOptions {
  /** How long Stop or a session switch waits for a server-started turn to end before ending it here. */
  graceMs?: number;
  /** How long a failed start waits for a chat page to attach before a notification says it instead. */
  pageWaitMs?: number;
}

export type Post = (message: ToPage) => unknown;

/** Text the page may ask to copy or insert: a code block, not a file. */
export const MAX_PAGE_TEXT = 1_000_000;
export const MAX_LINK = 8192;
const ACTIONS: readonly ErrorAction[] = ["setApiKey", "openSettings", "retry", "copyDetails", "showLog"];
// Cards about the set-up, not about one turn: shown whatever session the view shows.
const GLOBAL_CARDS = new Set<string>([CARD.key, CARD.auth, CARD.config, CARD.server]);

interface Turn {
  prompt: string;
  origin: TurnOrigin;
  /** Started by this relay's m2/chat request; else announced by the server. */
  own: boolean;
  controller: AbortController;
  /** The server's announcement of this own turn arrived (origin "chat"). */
  announced: boolean;
  /** turnStarted and the deltas so far, replayed to a page that reloads mid-turn. */
  shown: ToPage[];
  done: Promise<void>;
  end(): void;
}

interface OpenCard {
  failure: Failure;
  /** The prompt Retry sends again. */
  prompt?: string;
  /** The session of the failed turn; undefined for a card about the set-up. */
  sessionId?: string | null;
}

interface FailedTurn {
  sessionId: string | null;
  prompt: string;
  origin: TurnOrigin;
  result: ChatResult;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** The URL if it is an http(s) link with a host, normalised; anything else (javascript:, file:, command:,
 * vscode:, data:) is refused. */
export function webLink(href: string): string | undefined {
  if (href.length > MAX_LINK) return undefined;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return url.hostname === "" ? undefined : url.href;
}

function pageText(value: unknown): value is string {
  return typeof value === "string" && value !== "" && value.length <= MAX_PAGE_TEXT;
}

/** Page messages arrive through postMessage: anything not of the protocol's shape is ignored. */
export function parseFromPage(raw: unknown): FromPage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const m = raw as { type?: unknown; prompt?: unknown; id?: unknown; action?: unknown; text?: unknown; href?: unknown };
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
    case "errorAction":
      return typeof m.id === "string" && ACTIONS.includes(m.action as ErrorAction)
        ? { type: "errorAction", id: m.id, action: m.action as ErrorAction }
        : undefined;
    case "copy":
    case "insert":
      return pageText(m.text) ? { type: m.type, text: m.text } : undefined;
    case "openLink": {
      const href = typeof m.href === "string" ? webLink(m.href) : undefined;
      return href !== undefined ? { type: "openLink", href } : undefined;
    }
    default:
      return undefined;
  }
}

function lastUserTurn(turns: readonly DisplayTurn[]): number {
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i]?.kind === "user") return i;
  return -1;
}

/** The transcript without the turn now running: the store may already hold its prompt, which the page
 * shows from turnStarted. */
export function withoutRunningTurn(session: SessionTranscript, prompt: string): SessionTranscript {
  const turns = session.turns;
  const last = lastUserTurn(turns);
  if (last < 0 || turns[last]?.text !== prompt || turns.slice(last).some((t) => t.kind === "assistant")) return session;
  const from = turns[last - 1]?.kind === "context" ? last - 1 : last;
  return { ...session, turns: turns.slice(0, from) };
}

/** How many stored turns a transcript holds (its indexes may skip an unreadable record). */
export function turnCount(session: SessionTranscript): number {
  return session.turns.reduce((count, turn) => Math.max(count, turn.index + 1), 0);
}

function endsWithPrompt(turns: readonly DisplayTurn[], prompt: string): boolean {
  const last = lastUserTurn(turns);
  return last >= 0 && turns[last]?.text === prompt && !turns.slice(last).some((t) => t.kind === "assistant");
}

/** The cards a page showing `sessionId` shows: those about the set-up, and those of its failed turns. */
function cardsFor(cards: readonly OpenCard[], sessionId: string | null): ToPage[] {
  return cards
    .filter((c) => c.sessionId === undefined || c.sessionId === sessionId)
    .map((c) => ({ type: "error", error: c.failure.card }));
}

function stopped(sessionId: string | null): ChatResult {
  return { sessionId, text: "", stopReason: "cancelled", incomplete: true, error: null };
}

export class ChatRelay {
  private currentId: string | null = null;
  private list: SessionSummary[] = [];
  private turn: Turn | undefined;
  /** Server turns that started while another turn was shown: their ends are not the shown turn's. */
  private extra = 0;
  private post: Post | undefined;
  private pageReady = false;
  /** Messages while the page loads (between its `ready` and the replay). */
  private early: ToPage[] | undefined;
  /** Messages while the view switches to a server turn's session (they follow its transcript). */
  private held: ToPage[] | undefined;
  private readonly cards = new Map<string, OpenCard>();
  private failed: FailedTurn | undefined;
  private editor: EditorActions | undefined;
  private readonly graceMs: number;
  private readonly pageWaitMs: number;
  private pageAttached: (() => void)[] = [];
  private readonly subscription: { dispose(): void };
  /** How many stored turns of the current session the page's last transcript held. */
  private shownTurns = 0;
  /** A fetch of the current session for m2/sessionChanged is running. */
  private fetching = false;
  /** A change came while a turn ran or a fetch was running: fetched once they end. */
  private changePending = false;

  constructor(
    private readonly server: ChatServer,
    private readonly events: RelayEvents = {},
    options: RelayOptions = {},
  ) {
    this.graceMs = options.graceMs ?? 10_000;
    this.pageWaitMs = options.pageWaitMs ?? 3_000;
    this.subscription = server.listen({
      turnStarted: (params) => this.serverTurnStarted(params),
      turnEnded: (params) => this.serverTurnEnded(params),
      sessionChanged: (params) => this.sessionChanged(params),
      started: (state) => this.serverStarted(state),
      startFailed: (error, command) => this.serverStartFailed(error, command),
      stopped: () => this.serverStopped(),
    });
  }

  get current(): string | null {
    return this.currentId;
  }

  get sessions(): readonly SessionSummary[] {
    return this.list;
  }

  get busy(): boolean {
    return this.turn !== undefined;
  }

  /** The ids of the cards shown now. */
  get openCards(): string[] {
    return [...this.cards.keys()];
  }

  /** VS Code's side of the page's requests (copy, insert, links, the cards' buttons). */
  useEditor(editor: EditorActions): void {
    this.editor = editor;
  }

  dispose(): void {
    this.subscription.dispose();
  }

  // The page ---------------------------------------------------------------------------------------

  /** A webview now shows the page; messages wait until its script says `ready`. */
  attach(post: Post): void {
    this.post = post;
    this.pageReady = false;
    const waiting = this.pageAttached;
    this.pageAttached = [];
    for (const resolve of waiting) resolve();
  }

  /** The webview is gone; the next page gets the state replayed (transcript, cards, a running turn). */
  detach(): void {
    this.post = undefined;
    this.pageReady = false;
    this.early = undefined;
  }

  async handle(raw: unknown): Promise<void> {
    const message = parseFromPage(raw);
    if (message === undefined) {
      this.log("chat view: ignored a message of unknown shape (or a link that is not http/https)");
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
      case "errorAction":
        return this.errorAction(message.id, message.action);
      case "copy":
        await this.editor?.copy(message.text);
        return;
      case "insert":
        if (this.editor && !(await this.editor.insert(message.text))) this.notice("Open a file to insert the code into.");
        return;
      case "openLink":
        await this.editor?.openLink(message.href);
        return;
    }
  }

  private log(text: string): void {
    this.events.log?.(text);
  }

  private notice(message: string): void {
    this.emit({ type: "notice", message });
  }

  private emit(message: ToPage): void {
    if (this.turn && (message.type === "turnStarted" || message.type === "delta")) this.turn.shown.push(message);
    if (this.held) this.held.push(message);
    else this.deliver(message);
  }

  private deliver(message: ToPage): void {
    if (this.post && this.pageReady) this.post(message);
    else this.early?.push(message);
    // With no page listening the message is not kept: the state is replayed when one says `ready`.
  }

  /** The page (re)loaded: the session list, the current transcript, the open cards, a running turn. */
  private async ready(): Promise<void> {
    const post = this.post;
    if (post === undefined) return;
    this.pageReady = false;
    const early: ToPage[] = [];
    this.early = early;
    const shown = this.turn ? [...this.turn.shown] : [];
    const running = this.turn?.prompt;
    const failed = this.failed;
    const open = [...this.cards.values()]; // cards shown meanwhile arrive with `early`
    const out: ToPage[] = [];
    try {
      this.list = await this.server.sessions();
      this.events.sessions?.(this.list);
    } catch (error) {
      this.showCard(sessionsFailure(error, "list the sessions"));
    }
    out.push({ type: "sessions", sessions: this.list, current: this.currentId });
    let turns: DisplayTurn[] = [];
    const id = this.currentId;
    if (id !== null) {
      try {
        const session = await this.server.session(id);
        const shownSession = running !== undefined ? withoutRunningTurn(session, running) : session;
        turns = shownSession.turns;
        this.shownTurns = turnCount(shownSession);
        out.push({ type: "transcript", session: shownSession });
      } catch (error) {
        this.showCard(sessionsFailure(error, "open the session"));
      }
    }
    if (this.post !== post || this.early !== early) return; // detached or reloaded meanwhile
    if (failed && failed === this.failed && failed.sessionId === id && !endsWithPrompt(turns, failed.prompt)) {
      // A failed turn the store does not show: its prompt, and its end, above its card.
      out.push({ type: "turnStarted", prompt: failed.prompt, origin: failed.origin }, { type: "turnEnded", result: failed.result });
    }
    out.push(...cardsFor(open, id), ...shown);
    this.early = undefined;
    this.pageReady = true;
    for (const message of [...out, ...early]) post(message);
  }

  // Cards ------------------------------------------------------------------------------------------

  private showCard(failure: Failure, prompt?: string, sessionId?: string | null): void {
    const card: OpenCard = { failure };
    if (prompt !== undefined) card.prompt = prompt;
    if (sessionId !== undefined && !GLOBAL_CARDS.has(failure.card.id)) card.sessionId = sessionId;
    this.cards.set(failure.card.id, card);
    this.emit({ type: "error", error: failure.card });
  }

  private clearCard(id: string): void {
    if (this.cards.delete(id)) this.emit({ type: "errorCleared", id });
  }

  private clearCards(): void {
    for (const id of [...this.cards.keys()]) this.clearCard(id);
  }

  private async errorAction(id: string, action: ErrorAction): Promise<void> {
    const card = this.cards.get(id);
    if (card === undefined || !card.failure.card.actions.includes(action)) {
      this.log(`chat view: no card ${id} offering ${action}`);
      return;
    }
    const editor = this.editor;
    switch (action) {
      case "setApiKey":
        await editor?.setApiKey();
        return;
      case "openSettings":
        await editor?.openSettings(card.failure.settings);
        return;
      case "copyDetails":
        await editor?.copy(card.failure.details);
        return;
      case "showLog":
        editor?.showLog();
        return;
      case "retry":
        return this.retry(id, card);
    }
  }

  private async retry(id: string, card: OpenCard): Promise<void> {
    if (id === CARD.server && !(await this.server.restart("Retry in the chat view"))) return;
    if (card.prompt !== undefined) {
      if (this.turn) {
        this.notice("M2 is still answering: wait for it, or press Stop.");
        return;
      }
      this.clearCard(id);
      await this.send(card.prompt);
    } else if (id === CARD.sessions) {
      this.clearCard(id);
      await this.refreshSessions();
    }
  }

  // Turns ------------------------------------------------------------------------------------------

  private begin(prompt: string, origin: TurnOrigin, own: boolean): Turn {
    let end = (): void => undefined;
    const done = new Promise<void>((resolve) => (end = resolve));
    const turn: Turn = { prompt, origin, own, controller: new AbortController(), announced: false, shown: [], done, end };
    this.turn = turn;
    this.failed = undefined;
    this.emit({ type: "turnStarted", prompt, origin });
    return turn;
  }

  /** Ends the shown turn once: turnEnded, then its card if it failed; a turn that succeeded clears the cards. */
  private finish(turn: Turn, result: ChatResult, failure?: Failure): void {
    if (this.turn !== turn) return;
    this.turn = undefined;
    if (result.sessionId) this.setCurrent(result.sessionId);
    const card = failure ?? (result.error ? turnFailure(result.error) : undefined);
    // The card is the one place the error shows: the page gets the result without it.
    const shown: ChatResult = { ...result, error: null };
    this.emit({ type: "turnEnded", result: shown });
    if (card !== undefined) {
      this.failed = { sessionId: this.currentId, prompt: turn.prompt, origin: turn.origin, result: shown };
      this.showCard(card, turn.prompt, this.currentId);
    } else if (result.stopReason === "end_turn" || result.stopReason === "max_steps") {
      this.clearCards();
    }
    turn.end();
    if (this.changePending) void this.showChangedSession();
  }

  /**
   * One chat turn in the current session (a new one when there is none). Every turnStarted is followed
   * by exactly one turnEnded; a failed request ends the turn with stopReason "error" and one card.
   * Returns undefined when a turn is already running (and tells the page so).
   */
  send(prompt: string): Promise<ChatResult | undefined> {
    if (this.turn) {
      this.notice("M2 is still answering: wait for it, or press Stop.");
      return Promise.resolve(undefined);
    }
    return this.runOwn(this.begin(prompt, "chat", true));
  }

  private async runOwn(turn: Turn): Promise<ChatResult> {
    const sessionId = this.currentId;
    let result: ChatResult;
    let failure: Failure | undefined;
    try {
      // Without a session id the server continues its own current session, which a code action may
      // have set meanwhile; the page shows a new conversation, so the server starts one too.
      if (sessionId === null) await this.server.newSession();
      const params = sessionId !== null ? { sessionId, prompt: turn.prompt } : { prompt: turn.prompt };
      result = await this.server.chat(params, turn.controller.signal);
    } catch (error) {
      if (turn.controller.signal.aborted) {
        result = stopped(sessionId);
      } else {
        failure = requestFailure(error);
        result = { sessionId, text: "", stopReason: "error", incomplete: true, error: null };
      }
    }
    this.finish(turn, result, failure);
    await this.refreshQuietly();
    return result;
  }

  /** Stops the running turn: the relay's own by cancelling its request, a server-started one by m2.stop. */
  stop(): void {
    const turn = this.turn;
    if (turn === undefined) return;
    if (turn.own) turn.controller.abort();
    else void this.stopServerTurn(turn);
  }

  private async stopServerTurn(turn: Turn): Promise<void> {
    try {
      await this.server.stopTurns();
    } catch (error) {
      this.log(`m2.stop failed: ${errorText(error)}`);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.graceMs)));
    await Promise.race([turn.done, grace]);
    clearTimeout(timer);
    // The server did not end it (it stopped, or never heard): the view must not stay busy.
    this.finish(turn, stopped(this.currentId));
  }

  /** Stops a running turn and waits for its end, before the view switches sessions. */
  private async settle(): Promise<void> {
    const turn = this.turn;
    if (turn === undefined) return;
    if (turn.own) {
      turn.controller.abort();
      await turn.done;
    } else {
      await this.stopServerTurn(turn);
    }
  }

  /** An `m2/chatDelta` notification. */
  delta(delta: ChatDelta): void {
    this.emit({ type: "delta", delta });
  }

  // The server's announcements ---------------------------------------------------------------------

  private serverTurnStarted(params: TurnStartedParams): void {
    const shown = this.turn;
    if (shown !== undefined) {
      if (shown.own && !shown.announced && params.origin === "chat") shown.announced = true;
      else {
        this.extra++;
        this.log(`a ${params.origin} turn started while another runs; it is not shown until it ends`);
      }
      return;
    }
    if (params.sessionId !== this.currentId) {
      if (params.sessionId === null) {
        this.setCurrent(null);
        this.emit({ type: "cleared" });
      } else {
        this.held = [];
        this.setCurrent(params.sessionId);
        void this.showSessionThenHeld(params.sessionId, params.prompt);
      }
    }
    this.begin(params.prompt, params.origin, false);
    if (params.origin !== "chat") void this.editor?.reveal().catch((error: unknown) => this.log(`reveal: ${errorText(error)}`));
  }

  /** The transcript of the session a server turn continues, then the turn's messages held meanwhile. */
  private async showSessionThenHeld(id: string, prompt: string): Promise<void> {
    try {
      const session = withoutRunningTurn(await this.server.session(id), prompt);
      if (this.currentId === id) this.shownTurns = turnCount(session);
      this.deliver({ type: "transcript", session });
    } catch (error) {
      this.log(`could not load session ${id}: ${errorText(error)}`);
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const message of held) this.deliver(message);
  }

  private serverTurnEnded(params: TurnEndedParams): void {
    if (this.extra > 0) {
      this.extra--;
      void this.refreshQuietly();
      return;
    }
    const turn = this.turn;
    if (turn === undefined || turn.own) return; // the relay's own turn ends with its request's answer
    this.finish(turn, params.result);
    void this.refreshQuietly();
  }

  private serverStarted(state: ServerState): void {
    this.clearCard(CARD.server);
    if (state.hasKey) this.clearCard(CARD.key);
    if (state.keyChanged) this.clearCard(CARD.auth);
    void this.refreshQuietly();
  }

  private async serverStartFailed(error: unknown, command: readonly string[]): Promise<boolean> {
    this.showCard(serverFailure(error, command));
    if (this.post !== undefined) return true;
    // The chat view that activated the extension may not have resolved its page yet: the card is kept
    // and replayed to it, so a notification is needed only if no page comes within a moment.
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.pageAttached = this.pageAttached.filter((waiter) => waiter !== attached);
        resolve(false);
      }, this.pageWaitMs);
      const attached = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.pageAttached.push(attached);
    });
  }

  private serverStopped(): void {
    this.extra = 0;
    const turn = this.turn;
    if (turn === undefined || turn.own) return; // an own request fails by itself
    const message = "The language server stopped during the turn.";
    this.finish(turn, {
      sessionId: this.currentId,
      text: "",
      stopReason: "error",
      incomplete: true,
      error: { code: "server_stopped", message, traceId: null },
    });
  }

  // Live sessions ----------------------------------------------------------------------------------

  /** `m2/sessionChanged`: the session shown grew elsewhere; a change of another session is no news here. */
  sessionChanged(params: SessionChangedParams): void {
    if (params.sessionId !== this.currentId || params.turns <= this.shownTurns) return;
    if (this.turn !== undefined || this.held !== undefined || this.fetching) {
      this.changePending = true; // after the turn (or the fetch) ends
      return;
    }
    void this.showChangedSession();
  }

  /** The current session fetched and shown whole, when it holds more than the page shows. */
  private async showChangedSession(): Promise<void> {
    const id = this.currentId;
    this.changePending = false;
    if (id === null || this.fetching) return;
    this.fetching = true;
    let session: SessionTranscript | undefined;
    try {
      session = await this.server.session(id);
    } catch (error) {
      this.log(`could not load session ${id}: ${errorText(error)}`);
    } finally {
      this.fetching = false;
    }
    if (session !== undefined && this.currentId === id) {
      if (this.turn !== undefined || this.held !== undefined) {
        this.changePending = true; // a turn started meanwhile: its end shows it
        return;
      }
      if (turnCount(session) > this.shownTurns) {
        this.shownTurns = turnCount(session);
        this.emit({ type: "transcript", session });
        await this.refreshQuietly(); // the picker's turn counts and order
      }
    }
    if (this.changePending) await this.showChangedSession();
  }

  // Sessions ---------------------------------------------------------------------------------------

  async newSession(): Promise<void> {
    await this.settle();
    this.setCurrent(null);
    this.failed = undefined;
    this.emit({ type: "cleared" });
    this.emitSetUpCards();
    try {
      await this.server.newSession();
    } catch (error) {
      this.showCard(sessionsFailure(error, "start a new session"));
    }
    await this.refreshQuietly();
  }

  async open(id: string): Promise<void> {
    await this.settle();
    let transcript: SessionTranscript;
    try {
      transcript = await this.server.session(id);
    } catch (error) {
      this.showCard(sessionsFailure(error, `open session ${id}`));
      return;
    }
    this.setCurrent(transcript.id);
    this.shownTurns = turnCount(transcript);
    this.emit({ type: "transcript", session: transcript });
    this.emitSetUpCards();
    await this.refreshQuietly();
  }

  /** After a transcript or a clear, the cards about the set-up again (a page may drop them with the rest). */
  private emitSetUpCards(): void {
    for (const [id, card] of this.cards) if (GLOBAL_CARDS.has(id)) this.emit({ type: "error", error: card.failure.card });
  }

  /** The session list on the page's request: a failure shows as a card. */
  async refreshSessions(): Promise<readonly SessionSummary[]> {
    try {
      this.list = await this.server.sessions();
    } catch (error) {
      this.showCard(sessionsFailure(error, "list the sessions"));
      return this.list;
    }
    this.clearCard(CARD.sessions);
    this.emit({ type: "sessions", sessions: this.list, current: this.currentId });
    this.events.sessions?.(this.list);
    return this.list;
  }

  /** The session list after a turn or a start: a failure is logged (the turn's card already says why). */
  private async refreshQuietly(): Promise<void> {
    try {
      this.list = await this.server.sessions();
    } catch (error) {
      this.log(`could not list sessions: ${errorText(error)}`);
      return;
    }
    this.emit({ type: "sessions", sessions: this.list, current: this.currentId });
    this.events.sessions?.(this.list);
  }

  private setCurrent(id: string | null): void {
    if (id === this.currentId) return;
    this.currentId = id;
    this.shownTurns = 0; // what the page shows of it now came from a turn, not from a transcript
    this.changePending = false;
    this.events.current?.(id, this.list);
  }
}
