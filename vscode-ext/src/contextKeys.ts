// Context keys the manifest's `when` clauses read: whether the active editor's cursor is on a problem
// ("Fix with M2" in the editor's context menu) and whether its file has any (the command palette, where
// the command offers a pick of the file's problems).
//
// A right click moves the cursor and opens the menu at once, so a selection change is answered at once
// (one filter over the cached diagnostics); only diagnostics changes, which come in bursts with every
// lint pass, are debounced. setContext runs only when a value changes.

import * as vscode from "vscode";

import { type Debounced, debounce } from "./debounce";
import { type DiagnosticLike, type PositionLike, diagnosticsAt } from "./diagnostics";

export const CONTEXT_KEYS = {
  problemAtCursor: "m2bridge.problemAtCursor",
  problemsInEditor: "m2bridge.problemsInEditor",
} as const;

export type ContextKey = (typeof CONTEXT_KEYS)[keyof typeof CONTEXT_KEYS];

export interface ProblemState {
  problemAtCursor: boolean;
  problemsInEditor: boolean;
}

/** What the keys should say for a file's diagnostics and the cursor (undefined: no text editor). */
export function problemState(diagnostics: readonly DiagnosticLike[], cursor: PositionLike | undefined): ProblemState {
  if (cursor === undefined) return { problemAtCursor: false, problemsInEditor: false };
  return {
    problemAtCursor: diagnosticsAt(diagnostics, cursor).length > 0,
    problemsInEditor: diagnostics.length > 0,
  };
}

/** What this module reads of a vscode.TextEditor. */
export interface EditorLike {
  readonly document: { readonly uri: { toString(): string } };
  readonly selection: { readonly active: PositionLike };
}

/** VS Code's side, as functions and events, so the logic runs against plain emitters in tests. */
export interface ProblemSources<E extends EditorLike = EditorLike> {
  activeEditor(): E | undefined;
  diagnostics(uri: E["document"]["uri"]): readonly DiagnosticLike[];
  onDidChangeActiveEditor: vscode.Event<unknown>;
  onDidChangeSelection: vscode.Event<{ readonly textEditor: E }>;
  onDidChangeDiagnostics: vscode.Event<{ readonly uris: readonly { toString(): string }[] }>;
  setContext(key: ContextKey, value: boolean): Thenable<unknown>;
}

export function vscodeProblemSources(): ProblemSources<vscode.TextEditor> {
  return {
    activeEditor: () => vscode.window.activeTextEditor,
    diagnostics: (uri) => vscode.languages.getDiagnostics(uri),
    onDidChangeActiveEditor: vscode.window.onDidChangeActiveTextEditor,
    onDidChangeSelection: vscode.window.onDidChangeTextEditorSelection,
    onDidChangeDiagnostics: vscode.languages.onDidChangeDiagnostics,
    setContext: (key, value) => vscode.commands.executeCommand("setContext", key, value),
  };
}

/** Diagnostics changes settle for this long before the keys are recomputed. */
export const DIAGNOSTICS_WAIT_MS = 150;

export class ProblemContext<E extends EditorLike = EditorLike> implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private readonly diagnosticsChanged: Debounced<[]>;
  /** The active editor's diagnostics, read again when they change or the editor does. */
  private cached: readonly DiagnosticLike[] = [];
  private readonly sent = new Map<ContextKey, boolean>();

  constructor(
    private readonly sources: ProblemSources<E>,
    wait = DIAGNOSTICS_WAIT_MS,
  ) {
    this.diagnosticsChanged = debounce(() => this.reload(), wait);
    this.subscriptions = [
      sources.onDidChangeActiveEditor(() => this.reload()),
      sources.onDidChangeSelection((e) => {
        if (e.textEditor === sources.activeEditor()) this.update();
      }),
      sources.onDidChangeDiagnostics((e) => {
        const editor = sources.activeEditor();
        if (editor === undefined) return;
        const uri = editor.document.uri.toString();
        if (e.uris.some((u) => u.toString() === uri)) this.diagnosticsChanged();
      }),
    ];
    this.reload();
  }

  /** What the keys say now. */
  get state(): ProblemState {
    return {
      problemAtCursor: this.sent.get(CONTEXT_KEYS.problemAtCursor) ?? false,
      problemsInEditor: this.sent.get(CONTEXT_KEYS.problemsInEditor) ?? false,
    };
  }

  private reload(): void {
    this.diagnosticsChanged.cancel();
    const editor = this.sources.activeEditor();
    this.cached = editor === undefined ? [] : this.sources.diagnostics(editor.document.uri);
    this.update();
  }

  private update(): void {
    const state = problemState(this.cached, this.sources.activeEditor()?.selection.active);
    this.set(CONTEXT_KEYS.problemAtCursor, state.problemAtCursor);
    this.set(CONTEXT_KEYS.problemsInEditor, state.problemsInEditor);
  }

  private set(key: ContextKey, value: boolean): void {
    if (this.sent.get(key) === value) return;
    this.sent.set(key, value);
    void Promise.resolve(this.sources.setContext(key, value)).catch(() => undefined);
  }

  dispose(): void {
    this.diagnosticsChanged.cancel();
    for (const s of this.subscriptions) s.dispose();
  }
}
