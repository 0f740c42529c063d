// The chat prompts the editor commands send. The server adds the selection and diagnostics themselves
// as editor context, so a prompt only has to say what is wanted and where.

import type { DiagnosticLike, RangeLike } from "./diagnostics";

/** 1-based first and last line a selection covers; one ending at column 0 stops on the line before. */
export function selectedLines(r: RangeLike): [number, number] {
  const [start, end] = r.start.line <= r.end.line ? [r.start, r.end] : [r.end, r.start];
  const last = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
  return [start.line + 1, last + 1];
}

export function isEmptyRange(r: RangeLike): boolean {
  return r.start.line === r.end.line && r.start.character === r.end.character;
}

export function explainPrompt(file: string, selection: RangeLike): string {
  const [first, last] = selectedLines(selection);
  if (isEmptyRange(selection)) return `Explain the code around line ${first} of ${file}.`;
  const lines = first === last ? `line ${first}` : `lines ${first}-${last}`;
  return `Explain the selected code in ${file} (${lines}).`;
}

const SEVERITY = ["error", "warning", "information", "hint"];

/** "error [pyright reportUndefinedVariable]" and the like. */
export function describeDiagnostic(d: DiagnosticLike): string {
  const kind = SEVERITY[d.severity] ?? "problem";
  const code = typeof d.code === "object" && d.code !== null ? d.code.value : d.code;
  const origin = [d.source, code].filter((part) => part !== undefined && part !== "").join(" ");
  return origin ? `${kind} [${origin}]` : kind;
}

export function fixPrompt(file: string, d: DiagnosticLike): string {
  const line = d.range.start.line + 1;
  return `Fix this ${describeDiagnostic(d)} in ${file} at line ${line}: ${d.message}`;
}
