// The messages between the extension and its chat webview, and the shapes `m2bridge lsp` sends.
// The one place for the LSP method names and payload shapes: the extension and the page (src/page/)
// are both compiled against this file, so a change here that one side misses fails `tsc`.

/** The `m2/*` methods beyond LSP that the extension uses. */
export const METHODS = {
  chat: "m2/chat",
  chatDelta: "m2/chatDelta",
  turnStarted: "m2/turnStarted",
  turnEnded: "m2/turnEnded",
  sessions: "m2/sessions",
  session: "m2/session",
  selection: "m2/selection",
  diagnostics: "m2/diagnostics",
  saveDocuments: "m2/saveDocuments",
  sessionChanged: "m2/sessionChanged",
} as const;

/** Who started a turn: the chat box, or the server itself for a code action or an `m2.*` command. */
export type TurnOrigin = "chat" | "codeAction" | "command";

/** `m2/turnStarted` params: the server starts a turn in a session (every turn, whoever asked for it). */
export interface TurnStartedParams {
  sessionId: string | null;
  prompt: string;
  origin: TurnOrigin;
}

/** `m2/turnEnded` params: the turn of the latest `m2/turnStarted` ended with this result. */
export interface TurnEndedParams {
  sessionId: string | null;
  result: ChatResult;
}

/** `m2/sessionChanged` params: the session the editor shows grew elsewhere (a terminal, another editor)
 * and now holds `turns` turns. Never sent for the editor's own turns, which arrive as deltas. */
export interface SessionChangedParams {
  sessionId: string;
  turns: number;
}

/** `m2/chatDelta` params, as the language server sends them. */
export interface ChatDelta {
  sessionId: string;
  kind: "thinking" | "text" | "toolStart" | "toolEnd" | "usage";
  text?: string;
  tool?: {
    id: string;
    name: string;
    arguments: Record<string, unknown>;
    ok?: boolean;
    summary?: string;
  };
  inputTokens?: number;
  outputTokens?: number;
  contextTokens?: number;
  contextWindow?: number;
}

/** The `m2/chat` result. */
export interface ChatResult {
  sessionId: string | null;
  text: string;
  stopReason: "end_turn" | "max_steps" | "cancelled" | "error";
  incomplete?: boolean;
  usage?: { inputTokens: number; outputTokens: number };
  contextTokens?: number;
  toolCalls?: { name: string; ok: boolean }[];
  error?: { code: string; message: string; traceId: string | null } | null;
}

/** One item of `m2/sessions`. `updated` is seconds since the epoch. */
export interface SessionSummary {
  id: string;
  title: string;
  updated: number;
  turns: number;
  contextTokens: number;
  workspace: string;
}

/** A block of an assistant turn in `m2/session` (the display shape of `m2bridge sessions show --json`,
 * with camelCase keys like every `m2/*` answer; `type` values and tool arguments are as stored). */
export type DisplayBlock =
  | { type: "thinking"; text: string }
  | { type: "text"; text: string }
  | { type: "tool_call"; id: string; name: string; arguments: Record<string, unknown> };

export interface DisplayTurn {
  index: number;
  created: number;
  kind: "user" | "context" | "assistant" | "tool_results" | "compaction";
  summarised?: boolean;
  text?: string; // user, context
  source?: string; // context
  blocks?: DisplayBlock[]; // assistant
  incomplete?: boolean; // assistant
  stopReason?: string | null; // assistant
  protocol?: string; // assistant
  results?: {
    toolCallId: string;
    name: string;
    content: string;
    isError: boolean;
    artifacts?: Record<string, unknown>[];
  }[]; // tool_results
  summary?: string; // compaction
  replacesBefore?: number; // compaction
}

/** The `m2/session` result. */
export interface SessionTranscript {
  id: string;
  title: string;
  workspace: string;
  updated: number;
  contextTokens: number;
  turns: DisplayTurn[];
}

/** What an error card offers; the extension carries each out (the page only asks). */
export type ErrorAction = "setApiKey" | "openSettings" | "retry" | "copyDetails" | "showLog";

/** One failure, shown as one card until it is resolved (`errorCleared`). */
export interface ErrorCard {
  /** Stable per cause (e.g. "server", "auth", "turn"): a new card with the same id replaces the old one. */
  id: string;
  /** The server's error code (`auth`, `config`, ...) or the extension's own; never shown raw. */
  code: string;
  /** One line in the user's terms, e.g. "MiniMax rejected the API key". */
  title: string;
  /** What happened and what to do, in VS Code's terms (settings, commands), never a shell's. */
  detail: string;
  traceId: string | null;
  actions: ErrorAction[];
}

/** Extension -> page. */
export type ToPage =
  | { type: "sessions"; sessions: SessionSummary[]; current: string | null }
  | { type: "transcript"; session: SessionTranscript }
  | { type: "cleared" } // a new session: empty transcript
  | { type: "turnStarted"; prompt: string; origin: TurnOrigin }
  | { type: "delta"; delta: ChatDelta }
  | { type: "turnEnded"; result: ChatResult }
  | { type: "error"; error: ErrorCard }
  | { type: "errorCleared"; id: string }
  | { type: "notice"; message: string }; // transient, e.g. "M2 is still answering"

/** Page -> extension. */
export type FromPage =
  | { type: "ready" }
  | { type: "send"; prompt: string }
  | { type: "stop" }
  | { type: "newSession" }
  | { type: "openSession"; id: string }
  | { type: "refreshSessions" }
  | { type: "errorAction"; id: string; action: ErrorAction }
  | { type: "copy"; text: string }
  | { type: "insert"; text: string } // at the cursor of the active editor
  | { type: "openLink"; href: string }; // http(s) only, through vscode.env.openExternal
