import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CONTEXT_KEYS, type ContextKey, ProblemContext, type ProblemSources, problemState } from "../../src/contextKeys";
import { Diagnostic, DiagnosticSeverity, EventEmitter, Position, Range, Uri } from "./vscode-stub";

interface FakeEditor {
  document: { uri: Uri };
  selection: { active: Position };
}

const WAIT = 20;
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, WAIT * 3));

function editorAt(path: string, line: number, character: number): FakeEditor {
  return { document: { uri: Uri.file(path) }, selection: { active: new Position(line, character) } };
}

/** A problem on `line`, columns 4 to 10. */
function problem(line: number, message = "undefined name"): Diagnostic {
  return new Diagnostic(new Range(line, 4, line, 10), message, DiagnosticSeverity.Error);
}

/** VS Code's side of the context: an active editor, per-file diagnostics, the three events and setContext. */
function harness(editor: FakeEditor | undefined, diagnostics: Record<string, Diagnostic[]> = {}) {
  const activeChanged = new EventEmitter<unknown>();
  const selectionChanged = new EventEmitter<{ textEditor: FakeEditor }>();
  const diagnosticsChanged = new EventEmitter<{ uris: Uri[] }>();
  const calls: [ContextKey, boolean][] = [];
  const world = {
    editor,
    diagnostics,
    calls,
    /** The last value each key was set to. */
    keys: (): Partial<Record<ContextKey, boolean>> => Object.fromEntries(calls),
    moveCursor(line: number, character: number): void {
      if (world.editor === undefined) throw new Error("no editor");
      world.editor.selection = { active: new Position(line, character) };
      selectionChanged.fire({ textEditor: world.editor });
    },
    switchTo(next: FakeEditor | undefined): void {
      world.editor = next;
      activeChanged.fire(next);
    },
    lint(path: string, found: Diagnostic[]): void {
      world.diagnostics[path] = found;
      diagnosticsChanged.fire({ uris: [Uri.file(path)] });
    },
    selectionChanged,
  };
  const sources: ProblemSources<FakeEditor> = {
    activeEditor: () => world.editor,
    diagnostics: (uri) => world.diagnostics[uri.path] ?? [],
    onDidChangeActiveEditor: activeChanged.event,
    onDidChangeSelection: selectionChanged.event,
    onDidChangeDiagnostics: diagnosticsChanged.event,
    setContext: async (key, value) => {
      calls.push([key, value]);
    },
  };
  return { world, context: new ProblemContext(sources, WAIT) };
}

describe("the problem-at-cursor state", () => {
  it("is on when the cursor lies in a problem's range, ends included", () => {
    const found = [problem(3)];
    assert.equal(problemState(found, new Position(3, 4)).problemAtCursor, true);
    assert.equal(problemState(found, new Position(3, 10)).problemAtCursor, true);
    assert.equal(problemState(found, new Position(3, 11)).problemAtCursor, false);
    assert.equal(problemState(found, new Position(4, 5)).problemAtCursor, false);
  });

  it("says the file has problems even when the cursor is not on one", () => {
    assert.deepEqual(problemState([problem(3)], new Position(0, 0)), { problemAtCursor: false, problemsInEditor: true });
  });

  it("is off without a text editor, whatever the diagnostics", () => {
    assert.deepEqual(problemState([problem(3)], undefined), { problemAtCursor: false, problemsInEditor: false });
  });
});

describe("the problem context keys", () => {
  it("use the names the manifest's when clauses read", () => {
    assert.deepEqual(CONTEXT_KEYS, { problemAtCursor: "m2bridge.problemAtCursor", problemsInEditor: "m2bridge.problemsInEditor" });
  });

  it("are set from the active editor as soon as they start", () => {
    const { world, context } = harness(editorAt("/r/a.py", 3, 5), { "/r/a.py": [problem(3)] });
    assert.deepEqual(world.keys(), { "m2bridge.problemAtCursor": true, "m2bridge.problemsInEditor": true });
    context.dispose();
  });

  it("follow the cursor at once, without waiting for a debounce (a right click opens the menu right away)", () => {
    const { world, context } = harness(editorAt("/r/a.py", 0, 0), { "/r/a.py": [problem(3)] });
    assert.equal(world.keys()["m2bridge.problemAtCursor"], false);
    world.moveCursor(3, 6);
    assert.equal(world.keys()["m2bridge.problemAtCursor"], true);
    world.moveCursor(8, 0);
    assert.equal(world.keys()["m2bridge.problemAtCursor"], false);
    context.dispose();
  });

  it("set a key only when its value changes", () => {
    const { world, context } = harness(editorAt("/r/a.py", 0, 0), { "/r/a.py": [problem(3)] });
    const before = world.calls.length;
    world.moveCursor(0, 1);
    world.moveCursor(1, 0);
    assert.equal(world.calls.length, before);
    context.dispose();
  });

  it("ignore the cursor of an editor that is not the active one", () => {
    const { world, context } = harness(editorAt("/r/a.py", 0, 0), { "/r/a.py": [problem(3)], "/r/b.py": [problem(0)] });
    world.selectionChanged.fire({ textEditor: editorAt("/r/b.py", 0, 5) });
    assert.equal(world.keys()["m2bridge.problemAtCursor"], false);
    context.dispose();
  });

  it("follow a new lint result for the active file once the burst settles", async () => {
    const { world, context } = harness(editorAt("/r/a.py", 3, 5), { "/r/a.py": [] });
    assert.equal(world.keys()["m2bridge.problemAtCursor"], false);
    world.lint("/r/a.py", [problem(3)]);
    assert.equal(world.keys()["m2bridge.problemAtCursor"], false, "debounced: not yet");
    await settle();
    assert.deepEqual(world.keys(), { "m2bridge.problemAtCursor": true, "m2bridge.problemsInEditor": true });
    world.lint("/r/a.py", []);
    await settle();
    assert.deepEqual(world.keys(), { "m2bridge.problemAtCursor": false, "m2bridge.problemsInEditor": false });
    context.dispose();
  });

  it("keep the active file's problems when only another file's diagnostics change", async () => {
    const { world, context } = harness(editorAt("/r/a.py", 3, 5), { "/r/a.py": [] });
    world.diagnostics["/r/a.py"] = [problem(3)]; // changed without an event for a.py
    world.lint("/r/b.py", [problem(0)]);
    await settle();
    assert.equal(world.keys()["m2bridge.problemAtCursor"], false);
    context.dispose();
  });

  it("switch to the new active editor's problems, and turn off when no text editor is active", () => {
    const { world, context } = harness(editorAt("/r/a.py", 3, 5), { "/r/b.py": [problem(1)] });
    assert.equal(world.keys()["m2bridge.problemsInEditor"], false);
    world.switchTo(editorAt("/r/b.py", 1, 4));
    assert.deepEqual(world.keys(), { "m2bridge.problemAtCursor": true, "m2bridge.problemsInEditor": true });
    world.switchTo(undefined);
    assert.deepEqual(world.keys(), { "m2bridge.problemAtCursor": false, "m2bridge.problemsInEditor": false });
    context.dispose();
  });

  it("stop listening when disposed, a pending lint result included", async () => {
    const { world, context } = harness(editorAt("/r/a.py", 3, 5), { "/r/a.py": [] });
    world.lint("/r/a.py", [problem(3)]);
    context.dispose();
    world.moveCursor(3, 6);
    await settle();
    assert.equal(world.keys()["m2bridge.problemAtCursor"], false);
  });
});
