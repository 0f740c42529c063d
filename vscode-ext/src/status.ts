// What the status bar item says: the current session and how full its context window is. Fed by the
// chat relay (current session, session list) and by `usage` deltas; rendering is pure for the tests.

import type { ChatDelta, SessionSummary } from "./protocol";

/** M2's context window, until a usage delta reports the real one. */
export const DEFAULT_WINDOW = 204_800;

export interface StatusState {
  sessionId: string | null;
  title?: string;
  /** The session's workspace folder, as the session list gives it. */
  workspace?: string;
  contextTokens: number;
  contextWindow: number;
}

/** The status bar item's icon (a codicon). */
export const STATUS_ICON = "$(comment-discussion)";
/** Longest session title the status bar shows, in characters; the tooltip has all of it. */
export const MAX_STATUS_TITLE = 32;

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

/** A title on one line: runs of whitespace (newlines included) become one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** At most `max` characters (code points, so no emoji is cut in half), "…" marking a cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join("").trimEnd()}…`;
}

/** Status bar and QuickPick labels render `$(name)` as an icon; a title's own `$(...)` stays text. */
export function escapeIcons(text: string): string {
  return text.replace(/(\\)?\$\([A-Za-z0-9~-]+\)/g, (match, escaped: string | undefined) => (escaped ? match : `\\${match}`));
}

/** The session's title as a label: one line, "Untitled session" when it has none. */
export function sessionLabel(title: string | undefined): string {
  return oneLine(title ?? "") || "Untitled session";
}

function contextFigures(s: StatusState): string {
  const percent = s.contextWindow > 0 ? Math.round((100 * s.contextTokens) / s.contextWindow) : 0;
  return `${formatTokens(s.contextTokens)}/${formatTokens(s.contextWindow)} (${percent}%)`;
}

/** "$(comment-discussion) fix the parser · 51k/205k (25%)"; before a session exists, "m2bridge: new session". */
export function statusText(s: StatusState): string {
  if (s.sessionId === null) return `${STATUS_ICON} m2bridge: new session`;
  return `${STATUS_ICON} ${escapeIcons(truncate(sessionLabel(s.title), MAX_STATUS_TITLE))} · ${contextFigures(s)}`;
}

export function statusTooltip(s: StatusState): string {
  if (s.sessionId === null) {
    return "m2bridge: new session\nThe next message in the chat starts it.\nClick to resume another session";
  }
  const used = `${s.contextTokens.toLocaleString("en-US")} of ${s.contextWindow.toLocaleString("en-US")} context tokens`;
  const where = s.workspace ? `\nWorkspace: ${s.workspace}` : "";
  return `m2bridge: ${sessionLabel(s.title)}\nSession ${s.sessionId}${where}\n${used}\nClick to resume another session`;
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
      ...(known ? { title: known.title, workspace: known.workspace } : {}),
    };
    this.changed(this.state);
  }

  /** A fresh session list: the current session's title and stored context size. */
  sessions(sessions: readonly SessionSummary[]): void {
    const known = this.s.sessionId ? sessions.find((s) => s.id === this.s.sessionId) : undefined;
    if (!known) return;
    this.s = { ...this.s, title: known.title, workspace: known.workspace, contextTokens: known.contextTokens };
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
