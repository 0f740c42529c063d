// The LSP JSON shapes the extension sends in `m2/selection` and `m2/diagnostics`, and conversions from
// VS Code's objects. The VS Code types are described structurally so this module has no `vscode` import
// and runs under plain Node in tests.

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

/** An LSP Diagnostic, as far as the server reads one. */
export interface LspDiagnostic {
  range: LspRange;
  message: string;
  severity?: 1 | 2 | 3 | 4;
  source?: string;
  code?: string | number;
}

/** What this module reads of a vscode.Position / vscode.Range / vscode.Diagnostic. */
export interface PositionLike {
  readonly line: number;
  readonly character: number;
}
export interface RangeLike {
  readonly start: PositionLike;
  readonly end: PositionLike;
}
export interface DiagnosticLike {
  readonly range: RangeLike;
  readonly message: string;
  /** vscode.DiagnosticSeverity: Error 0, Warning 1, Information 2, Hint 3. */
  readonly severity: number;
  readonly source?: string | undefined;
  readonly code?: string | number | { value: string | number } | undefined;
}

// The server refuses a whole notification whose fields exceed these (lsp/params.py), so they are cut
// here rather than losing every diagnostic of a file to one long message.
export const MAX_MESSAGE = 100_000;
export const MAX_SOURCE = 200;
export const MAX_DIAGNOSTICS = 2000;

export function lspPosition(p: PositionLike): LspPosition {
  return { line: p.line, character: p.character };
}

export function lspRange(r: RangeLike): LspRange {
  return { start: lspPosition(r.start), end: lspPosition(r.end) };
}

/** VS Code's severities count from 0 (Error) to 3 (Hint); LSP's from 1 (Error) to 4 (Hint). */
export function lspSeverity(severity: number): 1 | 2 | 3 | 4 | undefined {
  switch (severity) {
    case 0:
      return 1;
    case 1:
      return 2;
    case 2:
      return 3;
    case 3:
      return 4;
    default:
      return undefined;
  }
}

export function toLspDiagnostic(d: DiagnosticLike): LspDiagnostic {
  const out: LspDiagnostic = {
    range: lspRange(d.range),
    message: d.message.length > MAX_MESSAGE ? d.message.slice(0, MAX_MESSAGE) : d.message,
  };
  const severity = lspSeverity(d.severity);
  if (severity !== undefined) out.severity = severity;
  if (d.source) out.source = d.source.slice(0, MAX_SOURCE);
  const code = typeof d.code === "object" && d.code !== null ? d.code.value : d.code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  return out;
}

/** A file's diagnostics for `m2/diagnostics`: the most severe first when there are too many to send. */
export function toLspDiagnostics(items: readonly DiagnosticLike[]): LspDiagnostic[] {
  const converted = items.map(toLspDiagnostic);
  if (converted.length <= MAX_DIAGNOSTICS) return converted;
  return converted
    .map((d, i) => ({ d, i }))
    .sort((a, b) => (a.d.severity ?? 5) - (b.d.severity ?? 5) || a.i - b.i)
    .slice(0, MAX_DIAGNOSTICS)
    .map(({ d }) => d);
}

function before(a: PositionLike, b: PositionLike): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** Whether `p` lies in `r`, ends included (a cursor right after an error's last character is on it). */
export function rangeContains(r: RangeLike, p: PositionLike): boolean {
  return !before(p, r.start) && !before(r.end, p);
}

/** The diagnostics under the cursor, the most severe first. */
export function diagnosticsAt<D extends DiagnosticLike>(items: readonly D[], cursor: PositionLike): D[] {
  return items.filter((d) => rangeContains(d.range, cursor)).sort((a, b) => a.severity - b.severity);
}
