// LSP tells a server neither the user's selection nor other servers' diagnostics; these forward both
// (`m2/selection`, `m2/diagnostics`), debounced, so each chat turn carries what the editor shows.

import * as vscode from "vscode";

import { debounce } from "./debounce";
import { lspRange, toLspDiagnostics } from "./diagnostics";

export const SELECTION = "m2/selection";
export const DIAGNOSTICS = "m2/diagnostics";
export const DEBOUNCE_MS = 150;

/** The schemes the language client syncs; an output panel or a diff's left side is none of its business. */
export function forwarded(uri: vscode.Uri): boolean {
  return uri.scheme === "file" || uri.scheme === "untitled";
}

export type Notify = (method: string, params: unknown) => Promise<void>;

export class SelectionForwarder implements vscode.Disposable {
  private readonly send = debounce((editor: vscode.TextEditor) => {
    const selection = editor.selection;
    return this.notify(SELECTION, { uri: editor.document.uri.toString(), range: lspRange(selection) });
  }, DEBOUNCE_MS);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly notify: Notify) {
    this.subscriptions = [
      vscode.window.onDidChangeTextEditorSelection((e) => this.changed(e.textEditor)),
      vscode.window.onDidChangeActiveTextEditor((editor) => editor && this.changed(editor)),
    ];
    const active = vscode.window.activeTextEditor;
    if (active) this.changed(active);
  }

  private changed(editor: vscode.TextEditor): void {
    if (editor === vscode.window.activeTextEditor && forwarded(editor.document.uri)) this.send(editor);
  }

  /** Sends the active editor's selection now (before a chat turn that is about it). */
  async flush(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor && forwarded(editor.document.uri)) this.send(editor);
    await this.send.flush();
  }

  dispose(): void {
    this.send.cancel();
    for (const s of this.subscriptions) s.dispose();
  }
}

export class DiagnosticsForwarder implements vscode.Disposable {
  private readonly changedUris = new Map<string, vscode.Uri>();
  private readonly send = debounce(() => this.sendChanged(), DEBOUNCE_MS);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly notify: Notify) {
    this.subscription = vscode.languages.onDidChangeDiagnostics((e) => {
      for (const uri of e.uris) if (forwarded(uri)) this.changedUris.set(uri.toString(), uri);
      if (this.changedUris.size > 0) this.send();
    });
  }

  /** After a (re)start the server knows nothing: every file's current diagnostics. */
  sendAll(): Promise<void> {
    for (const [uri] of vscode.languages.getDiagnostics()) if (forwarded(uri)) this.changedUris.set(uri.toString(), uri);
    this.send();
    return this.flush();
  }

  private async sendChanged(): Promise<void> {
    const uris = [...this.changedUris.values()];
    this.changedUris.clear();
    for (const uri of uris) {
      await this.notify(DIAGNOSTICS, { uri: uri.toString(), diagnostics: toLspDiagnostics(vscode.languages.getDiagnostics(uri)) });
    }
  }

  async flush(): Promise<void> {
    await this.send.flush();
  }

  dispose(): void {
    this.send.cancel();
    this.subscription.dispose();
  }
}
