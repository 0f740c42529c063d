// A failure as the chat view shows it: one ErrorCard in VS Code's terms (commands, settings, buttons),
// never a shell's (no `export MINIMAX_API_KEY`, no MINIMAX_API_HOST) and never a raw error code.
// Pure: the relay (chatRelay.ts) decides when a card shows and clears; this module only says what it says.

import { installAdvice } from "./install";
import type { ChatResult, ErrorAction, ErrorCard } from "./protocol";

export type TurnError = NonNullable<ChatResult["error"]>;

/** A card with what its buttons need: the text Copy details puts on the clipboard, where Open Settings goes. */
export interface Failure {
  card: ErrorCard;
  details: string;
  /** The Settings editor's search for Open Settings. */
  settings: string;
}

/** Card ids: one card per cause, a new failure of the same cause replaces the old card. */
export const CARD = {
  /** No API key. */
  key: "key",
  /** MiniMax rejected the key. */
  auth: "auth",
  /** A setting is wrong. */
  config: "config",
  /** The language server is not running. */
  server: "server",
  /** Any other failed turn. */
  turn: "turn",
  /** The session list or a session could not be read. */
  sessions: "sessions",
} as const;

export const SETTINGS_QUERY = {
  all: "m2bridge",
  host: "m2bridge.host",
  baseUrl: "m2bridge.baseUrl",
  serverCommand: "m2bridge.serverCommand",
} as const;

/** Thrown by the connection when a request cannot go out because the language server is not running. */
export class ServerUnavailable extends Error {
  override readonly name = "ServerUnavailable";
}

/** The text of "Copy details": what a bug report or MiniMax's support needs. */
export function detailsText(code: string, message: string, traceId: string | null): string {
  return [`Error code: ${code}`, `Message: ${message}`, ...(traceId ? [`Trace-Id: ${traceId}`] : [])].join("\n");
}

function failure(
  id: string,
  error: { code: string; message: string; traceId: string | null },
  title: string,
  detail: string,
  actions: ErrorAction[],
  settings: string = SETTINGS_QUERY.all,
): Failure {
  const all: ErrorAction[] = error.traceId ? [...actions, "copyDetails"] : actions;
  return {
    card: { id, code: error.code, title, detail, traceId: error.traceId, actions: all },
    details: detailsText(error.code, error.message, error.traceId),
    settings,
  };
}

const NO_KEY = /no minimax api key|minimax_api_key is not set|api key is (missing|not set)/i;

/** The card for a turn that ended with an error (the `error` of an m2/chat result). */
export function turnFailure(error: TurnError): Failure {
  const f = (title: string, detail: string, actions: ErrorAction[], id: string = CARD.turn): Failure =>
    failure(id, error, title, detail, actions);
  switch (error.code) {
    case "config":
      if (NO_KEY.test(error.message)) {
        return f(
          "No MiniMax API key",
          "Set your MiniMax API key to chat with M2. VS Code keeps it in its secret storage, and the language server restarts with it.",
          ["setApiKey"],
          CARD.key,
        );
      }
      return f("A setting needs attention", `${error.message} Check the m2bridge settings.`, ["openSettings"], CARD.config);
    case "auth":
      return failure(
        CARD.auth,
        error,
        "MiniMax rejected the API key",
        "A key works only on its own region's host. If your key is from the other region (api.minimax.io or api.minimaxi.com), choose that host in the Host setting; otherwise set a new key.",
        ["setApiKey", "openSettings"],
        SETTINGS_QUERY.host,
      );
    case "not_found":
      return failure(
        CARD.config,
        error,
        "No model endpoint at the configured address",
        "Check the Base URL and API settings of m2bridge.",
        ["openSettings"],
        SETTINGS_QUERY.baseUrl,
      );
    case "balance":
      return f("Your MiniMax balance is empty", "Top it up on the MiniMax platform, then retry.", ["retry"]);
    case "verification":
      return f("MiniMax asks for real-name verification", "Complete it on the MiniMax platform, then retry.", ["retry"]);
    case "context_overflow":
      return f(
        "The conversation no longer fits M2's context window",
        "Start a new session with the New button; this one stays in the session list.",
        [],
      );
    case "rate_limited":
      return f("MiniMax is limiting requests right now", "Wait a moment, then retry.", ["retry"]);
    case "timeout":
      return f("MiniMax did not answer in time", "Retry; if it keeps happening, MiniMax may be busy.", ["retry"]);
    case "server":
      return f("MiniMax could not answer", "MiniMax had an internal failure. Retry in a moment.", ["retry"]);
    case "connection":
      return f("Could not reach MiniMax", "Check your network connection (and proxy, if you use one), then retry.", ["retry"]);
    case "stream_cut":
    case "stream_error":
    case "bad_response":
      return f("M2's answer was cut off", "What arrived is kept. Retry to ask again.", ["retry"]);
    case "session_busy":
      return f("Another m2bridge is answering in this session", "Wait for it to finish, then retry, or start a new session.", ["retry"]);
    case "session_moved_on":
      return f("This session changed in another window", "Retry to send your message again.", ["retry"]);
    case "session_not_found":
      return f("That session no longer exists", "Pick another session from the list, or start a new one.", []);
    case "store_damaged":
      return f("The session store is damaged", "The log says how to recover what is readable.", ["showLog"]);
    case "server_stopped":
      return f("The language server stopped during the turn", "It restarts on the next message; the log may say why it stopped.", [
        "retry",
        "showLog",
      ]);
    default:
      return f("M2 could not answer", error.message || "The turn failed.", ["retry"]);
  }
}

/** The card for the language server that is not running, or could not start with `command`. */
export function serverFailure(error: unknown, command: readonly string[] = ["m2bridge", "lsp"]): Failure {
  const reason = messageOf(error);
  const advice = installAdvice(error, command);
  const detail = advice
    ? advice.detail
    : `${reason.replace(/; see the m2bridge output$/, "")}. The log shows the server's output.`;
  return failure(
    CARD.server,
    { code: "server_start", message: reason, traceId: null },
    "The m2bridge language server is not running",
    detail,
    ["openSettings", "showLog", "retry"],
    SETTINGS_QUERY.serverCommand,
  );
}

/** The card for an m2/chat request that failed as a request (no result came back). */
export function requestFailure(error: unknown): Failure {
  if (isServerUnavailable(error)) return serverFailure(error);
  const message = messageOf(error);
  return failure(
    CARD.turn,
    { code: "request", message, traceId: null },
    "M2 request failed",
    `${message}. Retry, or see the log.`,
    ["retry", "showLog"],
  );
}

/** The card for a session list or a session that could not be read. */
export function sessionsFailure(error: unknown, what: string): Failure {
  if (isServerUnavailable(error)) return serverFailure(error);
  const message = messageOf(error);
  return failure(CARD.sessions, { code: "sessions", message, traceId: null }, `Could not ${what}`, `${message}.`, ["retry"]);
}

export function isServerUnavailable(error: unknown): boolean {
  return error instanceof ServerUnavailable || (error instanceof Error && error.name === "ServerUnavailable");
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return String(error);
}
