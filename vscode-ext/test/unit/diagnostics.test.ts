import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  type DiagnosticLike,
  MAX_DIAGNOSTICS,
  MAX_MESSAGE,
  diagnosticsAt,
  lspSeverity,
  rangeContains,
  toLspDiagnostic,
  toLspDiagnostics,
} from "../../src/diagnostics";
import { Diagnostic, DiagnosticSeverity, Position, Range, Uri } from "./vscode-stub";

function diag(line: number, severity: DiagnosticSeverity, message = "m", from = 0, to = 5): Diagnostic {
  return new Diagnostic(new Range(line, from, line, to), message, severity);
}

describe("diagnostic conversion", () => {
  it("maps VS Code's severities Error..Hint (0..3) to LSP's 1..4", () => {
    assert.deepEqual([0, 1, 2, 3].map(lspSeverity), [1, 2, 3, 4]);
    assert.equal(lspSeverity(7), undefined);
  });

  it("keeps range, message, source and code as LSP JSON", () => {
    const d = diag(3, DiagnosticSeverity.Warning, "unused import", 2, 9);
    d.source = "ruff";
    d.code = "F401";
    assert.deepEqual(toLspDiagnostic(d), {
      range: { start: { line: 3, character: 2 }, end: { line: 3, character: 9 } },
      message: "unused import",
      severity: 2,
      source: "ruff",
      code: "F401",
    });
  });

  it("takes the value of a code that links to documentation", () => {
    const d = diag(0, DiagnosticSeverity.Error);
    d.code = { value: 2322, target: Uri.parse("https://example.invalid/ts2322") };
    assert.equal(toLspDiagnostic(d).code, 2322);
  });

  it("leaves out a missing source and code rather than sending nulls", () => {
    const out = toLspDiagnostic(diag(0, DiagnosticSeverity.Hint));
    assert.deepEqual(Object.keys(out).sort(), ["message", "range", "severity"]);
    assert.equal(out.severity, 4);
  });

  it("cuts fields the server would refuse the whole notification for", () => {
    const d = diag(0, DiagnosticSeverity.Error, "x".repeat(MAX_MESSAGE + 10));
    d.source = "s".repeat(500);
    const out = toLspDiagnostic(d);
    assert.equal(out.message.length, MAX_MESSAGE);
    assert.equal(out.source?.length, 200);
  });

  it("sends at most the server's limit per file, errors first", () => {
    const many: DiagnosticLike[] = [];
    for (let i = 0; i < MAX_DIAGNOSTICS + 5; i++) many.push(diag(i, DiagnosticSeverity.Hint));
    many.push(diag(9999, DiagnosticSeverity.Error, "the error"));
    const out = toLspDiagnostics(many);
    assert.equal(out.length, MAX_DIAGNOSTICS);
    assert.equal(out[0]?.message, "the error");
  });

  it("finds the diagnostics under the cursor, the most severe first, ends included", () => {
    const warning = diag(4, DiagnosticSeverity.Warning, "w", 0, 10);
    const error = diag(4, DiagnosticSeverity.Error, "e", 5, 8);
    const elsewhere = diag(9, DiagnosticSeverity.Error, "x");
    const at = diagnosticsAt([warning, error, elsewhere], new Position(4, 8));
    assert.deepEqual(
      at.map((d) => d.message),
      ["e", "w"],
    );
    assert.equal(rangeContains(new Range(1, 0, 1, 4), new Position(1, 5)), false);
    assert.equal(rangeContains(new Range(1, 0, 3, 0), new Position(2, 99)), true);
  });
});
