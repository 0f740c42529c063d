// What the status bar item says: the current session and how full its context window is. Fed by the
// chat relay (current session, session list) and by `usage` deltas; rendering is pure for the tests.

import type { ChatDelta, SessionSummary } from "./protocol";

/** M2's context window, until a usage delta reports the real one. */
export const DEFAULT_WINDOW = 204_800;

export interface StatusState {
  sessionId: string | null;
  title?: string;
  contextTokens: number;
  contextWindow: number;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** 950 -> "950", 1_234 -> "1.2k", 12_345 -> "12k", 204_800 -> "205k", 1_500_000 -> "1.5M". */
export function formatTokens(n: number): string {
  if (n < 1000) return String(Math.max(0, Math.round(n)));
  if (n < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (n < 999_500) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function statusText(s: StatusState): string {
  const who = s.sessionId ? shortId(s.sessionId) : "new";
  const percent = s.contextWindow > 0 ? Math.round((100 * s.contextTokens) / s.contextWindow) : 0;
  return `M2: ${who} · ${formatTokens(s.contextTokens)}/${formatTokens(s.contextWindow)} (${percent}%)`;
}

export function statusTooltip(s: StatusState): string {
  const title = s.sessionId ? `${s.title || "Untitled session"} (${s.sessionId})` : "New session";
  const used = `${s.contextTokens.toLocaleString("en-US")} of ${s.contextWindow.toLocaleString("en-US")} context tokens`;
  return `M2: ${title}\n${used}\nClick to resume another session`;
}

export class StatusModel {
  private s: StatusState = { sessionId: null, contextTokens: 0, contextWindow: DEFAULT_WINDOW };

  constructor(private readonly changed: (state: StatusState) => void) {}

  get state(): StatusState {
    return { ...this.s };
  }

  /** The chat view's current session changed (null: a new session). */
  current(sessionId: string | null, sessions: readonly SessionSummary[]): void {
    const known = sessionId ? sessions.find((s) => s.id === sessionId) : undefined;
    this.s = {
      sessionId,
      contextTokens: known?.contextTokens ?? 0,
      contextWindow: this.s.contextWindow,
      ...(known ? { title: known.title } : {}),
    };
    this.changed(this.state);
  }

  /** A fresh session list: the current session's title and stored context size. */
  sessions(sessions: readonly SessionSummary[]): void {
    const known = this.s.sessionId ? sessions.find((s) => s.id === this.s.sessionId) : undefined;
    if (!known) return;
    this.s = { ...this.s, title: known.title, contextTokens: known.contextTokens };
    this.changed(this.state);
  }

  /** Usage deltas of the current session (or of the first turn of a new one) update the figures. */
  delta(d: ChatDelta): void {
    if (d.kind !== "usage") return;
    if (this.s.sessionId !== null && d.sessionId !== this.s.sessionId) return;
    this.s = {
      ...this.s,
      sessionId: d.sessionId,
      contextTokens: d.contextTokens ?? this.s.contextTokens,
      contextWindow: d.contextWindow && d.contextWindow > 0 ? d.contextWindow : this.s.contextWindow,
    };
    this.changed(this.state);
  }
}
