// The language client for `m2bridge lsp`: its start (with the key from SecretStorage in the server's
// environment), restarts when the key or the command changes, the `m2/*` messages beyond LSP, and the
// ChatServer the chat view talks to. The client declares m2Turns, so the server announces every turn
// (m2/turnStarted, m2/turnEnded) and leaves answers and errors to the chat view instead of toasts.

import { accessSync, constants, statSync } from "node:fs";
import { homedir } from "node:os";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

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

import { type ChatServer, type ServerEvents, errorText } from "./chatRelay";
import { openM2Settings } from "./chatView";
import { ServerUnavailable, SETTINGS_QUERY } from "./errorCards";
import { installAdvice, programExists } from "./install";
import {
  type ChatDelta,
  type ChatResult,
  METHODS,
  type SessionChangedParams,
  type SessionSummary,
  type SessionTranscript,
  type TurnEndedParams,
  type TurnOrigin,
  type TurnStartedParams,
} from "./protocol";
import { EditLedger, SAVE_DOCUMENTS, type SavableDocument, editedUris, saveDocuments } from "./saveDocuments";
import { type ApiKeyStore, KEY_VARIABLE, environmentWithKey } from "./secrets";
import { Serial } from "./serial";
import { displayCommand } from "./serverCommand";
import { SECTION, type ServerSettings, serverCommand, serverSettings } from "./settings";

export const CLIENT_ID = "m2bridge";
export const NEW_SESSION_COMMAND = "m2.newSession";
export const STOP_COMMAND = "m2.stop";

/** A flag in the client's `capabilities.experimental`, kept beside the ones already there. */
class ExperimentalCapability implements StaticFeature {
  constructor(private readonly flag: string) {}
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    const experimental = typeof capabilities.experimental === "object" && capabilities.experimental !== null ? capabilities.experimental : {};
    capabilities.experimental = { ...experimental, [this.flag]: true };
  }
  initialize(): void {}
  getState(): FeatureState {
    return { kind: "static" };
  }
  clear(): void {}
}

/** Tells the server this editor answers `m2/saveDocuments` (capabilities.experimental.m2SaveDocuments). */
export class SaveDocumentsCapability extends ExperimentalCapability {
  constructor() {
    super("m2SaveDocuments");
  }
}

/** Tells the server this editor shows every turn itself (capabilities.experimental.m2Turns): the server
 * announces each with m2/turnStarted and m2/turnEnded, and sends no toast for its answer or error. */
export class TurnsCapability extends ExperimentalCapability {
  constructor() {
    super("m2Turns");
  }
}

export type LogLevel = "error" | "warn" | "info" | "debug";

const SERVER_LEVELS: Record<string, LogLevel> = {
  CRITICAL: "error",
  ERROR: "error",
  WARNING: "warn",
  INFO: "info",
  DEBUG: "debug",
};

/** The level of a line the server writes to stderr. Its log lines read "m2bridge lsp: LEVEL logger:
 * message" (lsp/cli.py); anything else there (a traceback, a crash before logging started) is an error.
 * vscode-languageclient would log every stderr line as an error, a warning such as pygls's "Cancel
 * notification for unknown message id" (VS Code cancelled a request already answered) among them. */
export function serverLogLevel(line: string): LogLevel {
  const level = /^m2bridge lsp: ([A-Z]+) /.exec(line)?.[1];
  return (level !== undefined ? SERVER_LEVELS[level] : undefined) ?? "error";
}

function logLines(level: (line: string) => LogLevel) {
  return (input: Readable, channel: vscode.LogOutputChannel): void => {
    createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on("line", (line: string) => channel[level(line)](line));
  };
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
    // The server's stderr at the level each line was logged at (stdout carries LSP itself).
    stdioOptions: { stdout: logLines(() => "info"), stderr: logLines(serverLogLevel) },
    // What the user must act on shows as a card in the chat view (a turn's error, a failed start); the
    // server's window/showMessage carries the rest (settings it could not apply).
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

const ORIGINS: readonly TurnOrigin[] = ["chat", "codeAction", "command"];

function isSessionId(value: unknown): value is string | null {
  return value === null || typeof value === "string";
}

export function isTurnStarted(value: unknown): value is TurnStartedParams {
  if (typeof value !== "object" || value === null) return false;
  const p = value as { sessionId?: unknown; prompt?: unknown; origin?: unknown };
  return isSessionId(p.sessionId) && typeof p.prompt === "string" && ORIGINS.includes(p.origin as TurnOrigin);
}

export function isSessionChanged(value: unknown): value is SessionChangedParams {
  if (typeof value !== "object" || value === null) return false;
  const p = value as { sessionId?: unknown; turns?: unknown };
  return typeof p.sessionId === "string" && p.sessionId !== "" && Number.isSafeInteger(p.turns) && (p.turns as number) >= 0;
}

export function isTurnEnded(value: unknown): value is TurnEndedParams {
  if (typeof value !== "object" || value === null) return false;
  const p = value as { sessionId?: unknown; result?: unknown };
  if (!isSessionId(p.sessionId) || typeof p.result !== "object" || p.result === null) return false;
  const r = p.result as { sessionId?: unknown; text?: unknown; stopReason?: unknown; error?: unknown };
  const error = r.error as { code?: unknown; message?: unknown } | null | undefined;
  const errorOk = error === null || error === undefined || (typeof error === "object" && typeof error.code === "string" && typeof error.message === "string");
  return isSessionId(r.sessionId) && typeof r.text === "string" && typeof r.stopReason === "string" && errorOk;
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
  /** The key the last running server had (null: none has run yet). */
  private startedKey: string | undefined | null = null;
  private failure = "the language server has not started yet";
  private readonly listeners = new Set<ServerEvents>();

  constructor(private readonly deps: ConnectionDeps) {}

  listen(events: ServerEvents): vscode.Disposable {
    this.listeners.add(events);
    return new vscode.Disposable(() => this.listeners.delete(events));
  }

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
      void this.failed(spawnError(program), command);
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
    client.registerFeature(new TurnsCapability());
    client.onRequest(SAVE_DOCUMENTS, (params: unknown) => saveDocuments(params, findDocument, ledger));
    client.onNotification(METHODS.chatDelta, (params: unknown) => {
      if (isChatDelta(params)) this.deps.onDelta(params);
    });
    client.onNotification(METHODS.turnStarted, (params: unknown) => {
      if (isTurnStarted(params)) for (const l of this.listeners) l.turnStarted(params);
      else output.warn(`${METHODS.turnStarted} of unknown shape ignored`);
    });
    client.onNotification(METHODS.turnEnded, (params: unknown) => {
      if (isTurnEnded(params)) for (const l of this.listeners) l.turnEnded(params);
      else output.warn(`${METHODS.turnEnded} of unknown shape ignored`);
    });
    client.onNotification(METHODS.sessionChanged, (params: unknown) => {
      if (isSessionChanged(params)) for (const l of this.listeners) l.sessionChanged(params);
      else output.warn(`${METHODS.sessionChanged} of unknown shape ignored`);
    });
    client.onDidChangeState((event) => {
      // A turn the server announced ends with it (a crash, or a restart for a new key or command).
      if (event.newState === State.Stopped) for (const l of this.listeners) l.stopped();
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      void this.failed(error, command);
      return false;
    }
    output.info("the language server is running");
    this.failure = "the language server stopped";
    const keyChanged = this.startedKey !== null && this.startedKey !== key;
    this.startedKey = key;
    const state = { hasKey: Boolean(key || process.env[KEY_VARIABLE]), keyChanged };
    for (const l of this.listeners) l.started(state);
    this.deps.onStarted?.();
    return true;
  }

  /** A failed start shows as the chat view's card; only with no chat page open, as a notification. */
  private async failed(error: unknown, command: readonly string[]): Promise<void> {
    const text = errorText(error);
    this.failure = `the language server could not start (${text})`;
    this.deps.output.error(`the language server could not start: ${text}`);
    const shown = await Promise.all([...this.listeners].map((l) => l.startFailed(error, command)));
    if (shown.some(Boolean)) return;
    const advice = installAdvice(error, command);
    if (advice === undefined) return; // vscode-languageclient has shown its own message
    const copy = "Copy install command";
    const settings = "Open Settings";
    const retry = "Retry";
    void vscode.window.showErrorMessage(advice.message, copy, settings, retry).then(async (choice) => {
      if (choice === copy) await vscode.env.clipboard.writeText(advice.copy);
      else if (choice === settings) await openM2Settings(SETTINGS_QUERY.serverCommand);
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
      throw new ServerUnavailable(`${this.failure}; see the m2bridge output`);
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
    return client.sendRequest<SessionSummary[]>(METHODS.sessions);
  }

  async session(id: string): Promise<SessionTranscript> {
    const client = await this.active();
    return client.sendRequest<SessionTranscript>(METHODS.session, { id });
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
      return await client.sendRequest<ChatResult>(METHODS.chat, params, source.token);
    } finally {
      signal.removeEventListener("abort", cancel);
      source.dispose();
    }
  }

  async newSession(): Promise<void> {
    const client = await this.active();
    await client.sendRequest(ExecuteCommandRequest.type, { command: NEW_SESSION_COMMAND, arguments: [] });
  }

  /** `m2.stop`: the chat view's Stop for a turn it did not start (a code action's). Its own m2/chat
   * turns it stops by cancelling the request; a server-started turn has no request of the view's. */
  async stopTurns(): Promise<void> {
    const client = await this.active();
    await client.sendRequest(ExecuteCommandRequest.type, { command: STOP_COMMAND, arguments: [] });
  }

  dispose(): void {
    void this.stop();
  }
}
