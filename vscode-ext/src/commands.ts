// The extension's own commands (`m2bridge.*`). The server's `m2.*` commands are registered by
// vscode-languageclient from the server's capabilities.

import { homedir } from "node:os";

import * as vscode from "vscode";

import { type ChatRelay, type ChatServer, errorText } from "./chatRelay";
import type { ChatViewProvider } from "./chatView";
import { diagnosticsAt } from "./diagnostics";
import type { DiagnosticsForwarder, SelectionForwarder } from "./forwarders";
import { explainPrompt, fixPrompt } from "./prompts";
import { type ApiKeyStore, KEY_VARIABLE, keyProblem } from "./secrets";
import { chatCommandLine } from "./serverCommand";
import { sessionItems } from "./sessionItems";
import { SECTION, sandboxChoice, serverCommand } from "./settings";
import { escapeIcons, shortId } from "./status";

export const COMMANDS = {
  newSession: "m2bridge.newSession",
  resumeSession: "m2bridge.resumeSession",
  explainSelection: "m2bridge.explainSelection",
  fixProblem: "m2bridge.fixProblem",
  setApiKey: "m2bridge.setApiKey",
  openSessionInTerminal: "m2bridge.openSessionInTerminal",
} as const;

export interface CommandDeps {
  relay: ChatRelay;
  server: ChatServer;
  view: ChatViewProvider;
  selection: SelectionForwarder;
  diagnostics: DiagnosticsForwarder;
  keys: ApiKeyStore;
  /** The stored key changed: restart the language server with it. */
  keyChanged(): Promise<void>;
}

function fileName(document: vscode.TextDocument): string {
  return document.isUntitled ? document.fileName : vscode.workspace.asRelativePath(document.uri, false);
}

async function pickSession(deps: CommandDeps, placeHolder: string): Promise<string | undefined> {
  let sessions;
  try {
    sessions = await deps.server.sessions();
  } catch (error) {
    void vscode.window.showErrorMessage(`m2bridge: could not list sessions: ${errorText(error)}`);
    return undefined;
  }
  if (sessions.length === 0) {
    void vscode.window.showInformationMessage("m2bridge: no sessions in this workspace yet.");
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(sessionItems(sessions, deps.relay.current, Date.now()), {
    placeHolder,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked?.id;
}

/** A chat turn in the chat view, after the server has heard the latest selection and diagnostics. */
async function chatAbout(deps: CommandDeps, prompt: string): Promise<void> {
  if (deps.relay.busy) {
    void vscode.window.showWarningMessage("m2bridge: M2 is still answering; wait for it, or press Stop in the chat view.");
    return;
  }
  await Promise.all([deps.selection.flush(), deps.diagnostics.flush()]);
  await deps.view.reveal();
  await deps.relay.send(prompt);
}

async function explainSelection(deps: CommandDeps): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    void vscode.window.showInformationMessage("m2bridge: open a file and select the code to explain.");
    return;
  }
  await chatAbout(deps, explainPrompt(fileName(editor.document), editor.selection));
}

async function fixProblem(deps: CommandDeps): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    void vscode.window.showInformationMessage("m2bridge: open a file with a problem to fix.");
    return;
  }
  const all = vscode.languages.getDiagnostics(editor.document.uri);
  let chosen = diagnosticsAt(all, editor.selection.active)[0];
  if (chosen === undefined) {
    if (all.length === 0) {
      void vscode.window.showInformationMessage("m2bridge: this file has no problems to fix.");
      return;
    }
    const items = [...all]
      .sort((a, b) => a.range.start.line - b.range.start.line || a.severity - b.severity)
      .map((d) => ({
        label: escapeIcons(d.message.split("\n")[0] ?? d.message),
        description: `line ${d.range.start.line + 1}${d.source ? ` · ${d.source}` : ""}`,
        diagnostic: d,
      }));
    const picked = await vscode.window.showQuickPick(items, { placeHolder: "Which problem should M2 fix?" });
    if (picked === undefined) return;
    chosen = picked.diagnostic;
    // Where the user would land clicking it in the Problems panel, so the editor context matches.
    editor.selection = new vscode.Selection(chosen.range.start, chosen.range.start);
    editor.revealRange(chosen.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
  await chatAbout(deps, fixPrompt(fileName(editor.document), chosen));
}

async function setApiKey(deps: CommandDeps): Promise<void> {
  const value = await vscode.window.showInputBox({
    title: "MiniMax API key",
    prompt: "Stored in VS Code's secret storage, never in settings. Leave empty to remove the stored key.",
    placeHolder: "MiniMax API key",
    password: true,
    ignoreFocusOut: true,
    validateInput: keyProblem,
  });
  if (value === undefined) return;
  await deps.keys.set(value);
  const removed = value.trim() === "";
  void vscode.window.showInformationMessage(
    removed ? "m2bridge: the stored API key was removed." : "m2bridge: API key stored; the language server restarts with it.",
  );
  await deps.keyChanged();
}

async function openSessionInTerminal(deps: CommandDeps): Promise<void> {
  const id = deps.relay.current ?? (await pickSession(deps, "Which session should continue in a terminal?"));
  if (id === undefined) return;
  const key = await deps.keys.get();
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file");
  const terminal = vscode.window.createTerminal({
    name: `m2bridge ${shortId(id)}`,
    env: key ? { [KEY_VARIABLE]: key } : {},
    ...(folder ? { cwd: folder.uri } : {}),
  });
  terminal.show();
  const config = vscode.workspace.getConfiguration(SECTION);
  terminal.sendText(chatCommandLine(serverCommand(config, homedir()), id, sandboxChoice(config)));
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const guarded =
    (name: string, run: (deps: CommandDeps) => Promise<void>) =>
    async (): Promise<void> => {
      try {
        await run(deps);
      } catch (error) {
        void vscode.window.showErrorMessage(`m2bridge: ${name} failed: ${errorText(error)}`);
      }
    };
  return [
    vscode.commands.registerCommand(
      COMMANDS.newSession,
      guarded("new session", async (d) => {
        await d.view.reveal();
        await d.relay.newSession();
      }),
    ),
    vscode.commands.registerCommand(
      COMMANDS.resumeSession,
      guarded("resume session", async (d) => {
        const id = await pickSession(d, "Resume which session?");
        if (id === undefined) return;
        await d.view.reveal();
        await d.relay.open(id);
      }),
    ),
    vscode.commands.registerCommand(COMMANDS.explainSelection, guarded("Explain with M2", explainSelection)),
    vscode.commands.registerCommand(COMMANDS.fixProblem, guarded("Fix with M2", fixProblem)),
    vscode.commands.registerCommand(COMMANDS.setApiKey, guarded("set API key", setApiKey)),
    vscode.commands.registerCommand(
      COMMANDS.openSessionInTerminal,
      guarded("open session in terminal", openSessionInTerminal),
    ),
  ];
}
