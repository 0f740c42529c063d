// The language client for `m2bridge lsp`: its start (with the key from SecretStorage in the server's
// environment), restarts when the key or the command changes, the `m2/*` messages beyond LSP, and the
// ChatServer the chat view talks to.

import { accessSync, constants, statSync } from "node:fs";
import { homedir } from "node:os";

import * as vscode from "vscode";
import {
  CancellationToken,
  type ClientCapabilities,
  ExecuteCommandRequest,
  type FeatureState,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  type StaticFeature,
} from "vscode-languageclient/node";

import { type ChatServer, errorText } from "./chatRelay";
import { installAdvice, programExists } from "./install";
import type { ChatDelta, ChatResult, SessionSummary, SessionTranscript } from "./protocol";
import { EditLedger, SAVE_DOCUMENTS, type SavableDocument, editedUris, saveDocuments } from "./saveDocuments";
import { type ApiKeyStore, KEY_VARIABLE, environmentWithKey } from "./secrets";
import { Serial } from "./serial";
import { displayCommand } from "./serverCommand";
import { SECTION, type ServerSettings, serverCommand, serverSettings } from "./settings";

export const CLIENT_ID = "m2bridge";
export const CHAT_DELTA = "m2/chatDelta";
export const NEW_SESSION_COMMAND = "m2.newSession";

/** Tells the server this editor answers `m2/saveDocuments` (capabilities.experimental.m2SaveDocuments). */
export class SaveDocumentsCapability implements StaticFeature {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    const experimental = typeof capabilities.experimental === "object" && capabilities.experimental !== null ? capabilities.experimental : {};
    capabilities.experimental = { ...experimental, m2SaveDocuments: true };
  }
  initialize(): void {}
  getState(): FeatureState {
    return { kind: "static" };
  }
  clear(): void {}
}

/** The document's state before an M2 edit, for the ledger: a document that is not open holds no changes. */
function noteEdit(ledger: EditLedger, edit: unknown): void {
  const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
  for (const uri of editedUris(edit)) {
    const key = vscode.Uri.parse(uri).toString();
    ledger.beforeEdit(key, open.get(key)?.isDirty ?? false);
  }
}

export function clientOptions(
  init: ServerSettings,
  output: vscode.LogOutputChannel,
  ledger: EditLedger,
): LanguageClientOptions {
  return {
    documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
    initializationOptions: init,
    synchronize: { configurationSection: SECTION },
    outputChannel: output,
    // The server shows what the user must act on (no key, wrong region) with window/showMessage.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    middleware: {
      workspace: {
        handleApplyEdit: async (params, next) => {
          noteEdit(ledger, params.edit);
          return next(params, CancellationToken.None);
        },
      },
    },
  };
}

function findDocument(uri: string): SavableDocument | undefined {
  let key: string;
  try {
    key = vscode.Uri.parse(uri, true).toString();
  } catch {
    return undefined;
  }
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
  if (document === undefined) return undefined;
  return {
    key,
    get isDirty() {
      return document.isDirty;
    },
    isUntitled: document.isUntitled,
    save: () => document.save(),
  };
}

function isChatDelta(value: unknown): value is ChatDelta {
  if (typeof value !== "object" || value === null) return false;
  const d = value as { sessionId?: unknown; kind?: unknown };
  return typeof d.sessionId === "string" && typeof d.kind === "string";
}

function canRun(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function spawnError(program: string): Error {
  return Object.assign(new Error(`spawn ${program} ENOENT`), { code: "ENOENT" });
}

export interface ConnectionDeps {
  output: vscode.LogOutputChannel;
  keys: ApiKeyStore;
  ledger: EditLedger;
  onDelta(delta: ChatDelta): void;
  /** Called once the server answered `initialize` (and after every restart). */
  onStarted?(): void;
}

export class ServerConnection implements ChatServer, vscode.Disposable {
  private client: LanguageClient | undefined;
  /** Start, stop and restarts, one at a time; requests wait for the last of them. */
  private readonly lifecycle = new Serial();
  private appliedKey: string | undefined;
  private failure = "the language server has not started yet";

  constructor(private readonly deps: ConnectionDeps) {}

  /** Starts the server; false when it could not (the user was told why). */
  start(): Promise<boolean> {
    return this.lifecycle.run(() => this.doStart());
  }

  private async doStart(): Promise<boolean> {
    const { output, keys, ledger } = this.deps;
    const config = vscode.workspace.getConfiguration(SECTION);
    const command = serverCommand(config, homedir());
    const [program = "m2bridge", ...args] = command;
    const key = await keys.get();
    this.appliedKey = key;
    const env = environmentWithKey(process.env, key);
    const keySource = key ? "the editor's secret store" : process.env[KEY_VARIABLE] ? "the environment" : "not set";
    output.info(`starting the language server: ${displayCommand(command)} (MINIMAX_API_KEY: ${keySource})`);

    if (!programExists(program, env["PATH"], canRun)) {
      this.failed(spawnError(program), command);
      return false;
    }
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file");
    const serverOptions: ServerOptions = {
      command: program,
      args,
      options: { env, ...(folder ? { cwd: folder.uri.fsPath } : {}) },
    };
    const client = new LanguageClient(CLIENT_ID, "m2bridge", serverOptions, clientOptions(serverSettings(config), output, ledger));
    client.registerFeature(new SaveDocumentsCapability());
    client.onRequest(SAVE_DOCUMENTS, (params: unknown) => saveDocuments(params, findDocument, ledger));
    client.onNotification(CHAT_DELTA, (params: unknown) => {
      if (isChatDelta(params)) this.deps.onDelta(params);
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.failed(error, command);
      return false;
    }
    output.info("the language server is running");
    this.failure = "the language server stopped";
    this.deps.onStarted?.();
    return true;
  }

  private failed(error: unknown, command: readonly string[]): void {
    const text = errorText(error);
    this.failure = `the language server could not start (${text})`;
    this.deps.output.error(`the language server could not start: ${text}`);
    const advice = installAdvice(error, command);
    if (advice === undefined) return; // vscode-languageclient has shown its own message
    const copy = "Copy install command";
    const settings = "Open Settings";
    const retry = "Retry";
    void vscode.window.showErrorMessage(advice.message, copy, settings, retry).then(async (choice) => {
      if (choice === copy) await vscode.env.clipboard.writeText(advice.copy);
      else if (choice === settings) await vscode.commands.executeCommand("workbench.action.openSettings", "m2bridge.serverCommand");
      else if (choice === retry) await this.restart("retrying after a failed start");
    });
  }

  async stop(): Promise<void> {
    await this.lifecycle.run(async () => {
      await this.doStop();
      return false;
    });
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    try {
      if (client.needsStop()) await client.stop(5000);
    } catch (error) {
      this.deps.output.warn(`stopping the language server: ${errorText(error)}`);
    }
    await client.dispose().catch(() => undefined);
  }

  restart(reason: string): Promise<boolean> {
    return this.lifecycle.run(async () => {
      this.deps.output.info(`restarting the language server: ${reason}`);
      await this.doStop();
      return this.doStart();
    });
  }

  /** Restarts when the stored key differs from the one the running server got. */
  async keyChanged(): Promise<void> {
    await this.lifecycle.run(async () => {
      const key = await this.deps.keys.get();
      if (key === this.appliedKey) return this.client?.state === State.Running;
      this.deps.output.info("restarting the language server: the API key changed");
      await this.doStop();
      return this.doStart();
    });
  }

  private async active(): Promise<LanguageClient> {
    await this.lifecycle.idle();
    const client = this.client;
    if (client === undefined || client.state !== State.Running) {
      throw new Error(`${this.failure}; see the m2bridge output`);
    }
    return client;
  }

  /** A notification to the server, dropped when it is not running (selection and diagnostics only). */
  async notify(method: string, params: unknown): Promise<void> {
    const client = this.client;
    if (client === undefined || client.state !== State.Running) return;
    try {
      await client.sendNotification(method, params);
    } catch (error) {
      this.deps.output.warn(`${method} not sent: ${errorText(error)}`);
    }
  }

  // ChatServer -------------------------------------------------------------------------------------
  async sessions(): Promise<SessionSummary[]> {
    const client = await this.active();
    return client.sendRequest<SessionSummary[]>("m2/sessions");
  }

  async session(id: string): Promise<SessionTranscript> {
    const client = await this.active();
    return client.sendRequest<SessionTranscript>("m2/session", { id });
  }

  async chat(params: { sessionId?: string; prompt: string }, signal: AbortSignal): Promise<ChatResult> {
    const client = await this.active();
    // vscode-languageclient sends $/cancelRequest when the token is cancelled; the server then answers
    // with what arrived, marked cancelled.
    const source = new vscode.CancellationTokenSource();
    const cancel = (): void => source.cancel();
    if (signal.aborted) cancel();
    signal.addEventListener("abort", cancel, { once: true });
    try {
      return await client.sendRequest<ChatResult>("m2/chat", params, source.token);
    } finally {
      signal.removeEventListener("abort", cancel);
      source.dispose();
    }
  }

  async newSession(): Promise<void> {
    const client = await this.active();
    await client.sendRequest(ExecuteCommandRequest.type, { command: NEW_SESSION_COMMAND, arguments: [] });
  }

  dispose(): void {
    void this.stop();
  }
}
