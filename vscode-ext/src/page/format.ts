// Text formatting for the page: token counts, dates, clipping, compact JSON, a small line diff.

export function formatTokens(n: number): string {
  if (!Number.isFinite(n)) return "?";
  if (n < 1000) return String(Math.round(n));
  if (n < 1e6) return (n / 1000).toFixed(1) + "k";
  return (n / 1e6).toFixed(2) + "M";
}

const pad2 = (n: number): string => (n < 10 ? "0" + n : String(n));

/** "today 14:05" or "2025-07-01 09:30"; "" for a missing time. `seconds` since the epoch. */
export function formatDate(seconds: number, now = new Date()): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "";
  const d = new Date(seconds * 1000);
  const time = pad2(d.getHours()) + ":" + pad2(d.getMinutes());
  if (d.toDateString() === now.toDateString()) return "today " + time;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${time}`;
}

/** "4s", "1m 12s". */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

export function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) + "…" : text;
}

export function compactJson(value: unknown, max: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value ?? {});
  } catch {
    json = String(value);
  }
  return clip(json ?? "", max);
}

export function firstLine(text: string): string {
  const s = text.trim();
  const nl = s.indexOf("\n");
  return nl === -1 ? s : s.slice(0, nl);
}

export function splitLines(text: string): string[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export interface DiffRow {
  op: " " | "-" | "+";
  t: string;
}

/** Line diff of two small texts (LCS); big ones fall back to all-removed then all-added. */
export function lineDiff(oldText: string, newText: string): DiffRow[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  if (a.length * b.length > 250_000) {
    return [...a.map((t): DiffRow => ({ op: "-", t })), ...b.map((t): DiffRow => ({ op: "+", t }))];
  }
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = [];
  for (let i = 0; i <= n; i++) lcs.push(new Uint32Array(m + 1));
  const at = (i: number, j: number): number => lcs[i]![j]!;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  const out: DiffRow[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: " ", t: a[i]! });
      i++;
      j++;
    } else if (at(i + 1, j) >= at(i, j + 1)) out.push({ op: "-", t: a[i++]! });
    else out.push({ op: "+", t: b[j++]! });
  }
  while (i < n) out.push({ op: "-", t: a[i++]! });
  while (j < m) out.push({ op: "+", t: b[j++]! });
  return out;
}
