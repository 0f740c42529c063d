// How a stored session is listed in the resume QuickPick: its title first, then when it was last used;
// the id (which `m2bridge chat --session` takes) last, in the detail line.

import type { SessionSummary } from "./protocol";
import { escapeIcons, formatTokens, sessionLabel, shortId } from "./status";

export interface SessionItem {
  label: string;
  description: string;
  detail: string;
  id: string;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago" for `updated` (seconds since the epoch). */
export function ago(updated: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round(nowMs / 1000 - updated));
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  const days = Math.floor(seconds / 86_400);
  return days === 1 ? "yesterday" : `${days} days ago`;
}

/** The most recent first; the current session marked. Titles are the user's text: no `$(icon)` in them renders. */
export function sessionItems(sessions: readonly SessionSummary[], current: string | null, nowMs: number): SessionItem[] {
  return [...sessions]
    .sort((a, b) => b.updated - a.updated)
    .map((s) => ({
      id: s.id,
      label: escapeIcons(sessionLabel(s.title)),
      description: `${s.id === current ? "current · " : ""}${ago(s.updated, nowMs)}`,
      detail: `${s.turns} ${s.turns === 1 ? "turn" : "turns"} · ${formatTokens(s.contextTokens)} context tokens · ${shortId(s.id)}`,
    }));
}
