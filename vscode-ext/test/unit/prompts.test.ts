import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { describeDiagnostic, explainPrompt, fixPrompt, selectedLines } from "../../src/prompts";
import { Diagnostic, DiagnosticSeverity, Position, Range, Selection } from "./vscode-stub";

describe("the commands' prompts", () => {
  it("name the file and the 1-based lines of the selection", () => {
    const selection = new Selection(new Position(9, 0), new Position(14, 3));
    assert.equal(explainPrompt("src/app.py", selection), "Explain the selected code in src/app.py (lines 10-15).");
  });

  it("do not count the line a selection ends on at column 0", () => {
    assert.deepEqual(selectedLines(new Range(2, 0, 5, 0)), [3, 5]);
  });

  it("say 'line' for a one-line selection, and work from a backwards selection", () => {
    const backwards = new Selection(new Position(7, 9), new Position(7, 2));
    assert.equal(explainPrompt("a.ts", backwards), "Explain the selected code in a.ts (line 8).");
  });

  it("ask about the code around the cursor when nothing is selected", () => {
    const cursor = new Selection(new Position(3, 4), new Position(3, 4));
    assert.equal(explainPrompt("a.ts", cursor), "Explain the code around line 4 of a.ts.");
  });

  it("describe a problem by severity, source and code", () => {
    const d = new Diagnostic(new Range(11, 0, 11, 4), "name 'x' is not defined", DiagnosticSeverity.Error);
    d.source = "pyright";
    d.code = "reportUndefinedVariable";
    assert.equal(describeDiagnostic(d), "error [pyright reportUndefinedVariable]");
    assert.equal(fixPrompt("m.py", d), "Fix this error [pyright reportUndefinedVariable] in m.py at line 12: name 'x' is not defined");
    assert.equal(describeDiagnostic(new Diagnostic(new Range(0, 0, 0, 1), "w", DiagnosticSeverity.Warning)), "warning");
  });
});
