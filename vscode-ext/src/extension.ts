// Wires the parts together: the language client, the chat view and its relay, the selection and
// diagnostics forwarders, the status bar, the commands, the context keys their menus read, and the MCP
// server definition provider.

import { homedir } from "node:os";

import * as vscode from "vscode";

import { ChatRelay } from "./chatRelay";
import { ChatViewProvider } from "./chatView";
import { ServerConnection } from "./client";
import { registerCommands } from "./commands";
import { ProblemContext, vscodeProblemSources } from "./contextKeys";
import { DiagnosticsForwarder, SelectionForwarder } from "./forwarders";
import { M2McpProvider, MCP_PROVIDER_ID } from "./mcp";
import { EditLedger } from "./saveDocuments";
import { ApiKeyStore } from "./secrets";
import { SANDBOX_KEYS, SECTION, sandboxChoice, serverCommand } from "./settings";
import { StatusModel } from "./status";
import { StatusBar } from "./statusBar";

let connection: ServerConnection | undefined;

function registerMcp(
  context: vscode.ExtensionContext,
  keys: ApiKeyStore,
  output: vscode.LogOutputChannel,
): vscode.EventEmitter<void> | undefined {
  // The API exists from VS Code 1.101; an editor built on an older core simply has no MCP provider.
  if (typeof vscode.lm?.registerMcpServerDefinitionProvider !== "function") {
    output.warn("this editor has no MCP server definition API; m2bridge mcp is not offered to agent mode");
    return undefined;
  }
  const changed = new vscode.EventEmitter<void>();
  const provider = new M2McpProvider({
    folders: () =>
      (vscode.workspace.workspaceFolders ?? [])
        .filter((f) => f.uri.scheme === "file")
        .map((f) => ({ path: f.uri.fsPath, uri: f.uri })),
    serverCommand: () => serverCommand(vscode.workspace.getConfiguration(SECTION), homedir()),
    sandbox: () => sandboxChoice(vscode.workspace.getConfiguration(SECTION)),
    apiKey: () => keys.get(),
    version: String(context.extension.packageJSON.version ?? "0"),
    Definition: vscode.McpStdioServerDefinition,
    onDidChange: changed.event,
  });
  context.subscriptions.push(changed, vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, provider));
  output.info(`MCP server definition provider registered (${MCP_PROVIDER_ID})`);
  return changed;
}

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("m2bridge", { log: true });
  context.subscriptions.push(output);
  output.info(`m2bridge ${String(context.extension.packageJSON.version)} activating (VS Code ${vscode.version})`);

  const keys = new ApiKeyStore(context.secrets);
  const ledger = new EditLedger();
  const statusBar = new StatusBar();
  const status = new StatusModel((state) => statusBar.show(state));
  status.current(null, []);

  // The callbacks below run only once the server has started, after every const here is set.
  const server = new ServerConnection({
    output,
    keys,
    ledger,
    onDelta: (delta) => {
      status.delta(delta);
      relay.delta(delta);
    },
    onStarted: () => {
      // A (re)started server knows nothing of the editor's state yet.
      void selection.flush();
      void diagnostics.sendAll();
    },
  });
  connection = server;
  const relay = new ChatRelay(server, {
    current: (id, sessions) => status.current(id, sessions),
    sessions: (sessions) => status.sessions(sessions),
    log: (text) => output.debug(text),
  });
  const notify = (method: string, params: unknown): Promise<void> => server.notify(method, params);
  const selection = new SelectionForwarder(notify);
  const diagnostics = new DiagnosticsForwarder(notify);
  const view = new ChatViewProvider(context.extensionUri, relay, output);

  context.subscriptions.push(
    server,
    statusBar,
    selection,
    diagnostics,
    view,
    ChatViewProvider.register(view),
    new ProblemContext(vscodeProblemSources()),
    ...registerCommands({ relay, server, view, selection, diagnostics, keys, keyChanged: () => server.keyChanged() }),
    keys.onDidChange(() => void server.keyChanged()),
    vscode.workspace.onDidSaveTextDocument((d) => ledger.forget(d.uri.toString())),
    vscode.workspace.onDidCloseTextDocument((d) => ledger.forget(d.uri.toString())),
  );

  const mcpChanged = registerMcp(context, keys, output);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.serverCommand`)) {
        void server.restart("m2bridge.serverCommand changed");
        mcpChanged?.fire();
      } else if (SANDBOX_KEYS.some((key) => e.affectsConfiguration(`${SECTION}.${key}`))) {
        // The servers read the sandbox once, when they start.
        void server.restart("the sandbox settings changed");
        mcpChanged?.fire();
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => mcpChanged?.fire()),
  );

  // Not awaited: activation must not wait for Python to start; a failure is reported by the connection.
  void server.start();
}

export async function deactivate(): Promise<void> {
  await connection?.stop();
  connection = undefined;
}
