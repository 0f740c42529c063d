// The messages between the extension and its chat webview, and the shapes `m2bridge lsp` sends.
// One file both sides are written against; the page (media/chat.js) is plain JavaScript that follows
// the same shapes.

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

/** Extension -> page. */
export type ToPage =
  | { type: "sessions"; sessions: SessionSummary[]; current: string | null }
  | { type: "transcript"; session: SessionTranscript }
  | { type: "cleared" } // a new session: empty transcript
  | { type: "turnStarted"; prompt: string }
  | { type: "delta"; delta: ChatDelta }
  | { type: "turnEnded"; result: ChatResult }
  | { type: "error"; message: string };

/** Page -> extension. */
export type FromPage =
  | { type: "ready" }
  | { type: "send"; prompt: string }
  | { type: "stop" }
  | { type: "newSession" }
  | { type: "openSession"; id: string }
  | { type: "refreshSessions" };
