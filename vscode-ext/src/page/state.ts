// What the page shows, kept across reloads of the webview with its state API (getState/setState).
// The page draws from these items; the extension's messages (protocol.ts's ToPage) change them.

import type { FromPage, SessionSummary, TurnOrigin } from "../protocol";

export type ToolState = "running" | "ok" | "failed" | "unknown";

export type Part =
  | { t: "thinking"; text: string; done: boolean; startedAt?: number; ms?: number }
  | { t: "text"; text: string }
  | {
      t: "tool";
      id: string;
      name: string;
      args: Record<string, unknown>;
      state: ToolState;
      summary: string;
      output?: string;
    };

/** running: streaming; done; stopped (cancelled by the user); error; max_steps; incomplete (cut off). */
export type AssistantStatus = "running" | "done" | "stopped" | "error" | "max_steps" | "incomplete";

export type Item =
  | { t: "user"; text: string; summarised?: boolean; unanswered?: boolean; origin?: TurnOrigin }
  | { t: "context"; text: string; source: string; summarised?: boolean }
  | { t: "compaction"; summary: string }
  | {
      t: "assistant";
      status: AssistantStatus;
      parts: Part[];
      summarised?: boolean;
      /** Left out of what the next request sends to M2 (the history rule for incomplete turns). */
      notSent?: boolean;
    };

export interface Usage {
  contextTokens: number | null;
  contextWindow: number | null;
}

export interface PageState {
  v: 2;
  sessions: SessionSummary[];
  current: string | null;
  items: Item[];
  usage: Usage;
  running: boolean;
  draft: string;
}

export function emptyState(): PageState {
  return {
    v: 2,
    sessions: [],
    current: null,
    items: [],
    usage: { contextTokens: null, contextWindow: null },
    running: false,
    draft: "",
  };
}

/** The webview API as VS Code hands it to the page (acquireVsCodeApi, callable once). */
export interface WebviewApi {
  postMessage(message: FromPage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): WebviewApi;

export class Store {
  state: PageState;
  private saveQueued = false;

  constructor(private readonly api: WebviewApi = acquireVsCodeApi()) {
    this.state = emptyState();
    const saved = api.getState() as Partial<PageState> | undefined;
    if (saved && saved.v === 2 && Array.isArray(saved.items)) this.state = { ...this.state, ...saved };
  }

  post(message: FromPage): void {
    this.api.postMessage(message);
  }

  /** Saves soon (once per burst of changes; streaming changes state many times a frame). */
  save(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    setTimeout(() => {
      this.saveQueued = false;
      try {
        this.api.setState(this.state);
      } catch {
        // state is best-effort
      }
    }, 200);
  }
}
