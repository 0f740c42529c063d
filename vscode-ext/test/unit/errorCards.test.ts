import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  CARD,
  type Failure,
  ServerUnavailable,
  detailsText,
  requestFailure,
  serverFailure,
  sessionsFailure,
  turnFailure,
} from "../../src/errorCards";

const shownText = (f: Failure): string => `${f.card.title}\n${f.card.detail}`;

// What `m2bridge lsp` sends today for each failure (the messages are written for a terminal).
const NO_KEY = {
  code: "config",
  message:
    "No MiniMax API key: set MINIMAX_API_KEY (export MINIMAX_API_KEY=...), or point M2BRIDGE_BASE_URL at a self-hosted OpenAI- or Anthropic-compatible server.",
  traceId: null,
};
const WRONG_REGION = {
  code: "auth",
  message:
    "MiniMax rejected the API key (2049 invalid api key). A key only works on its own region's host: you are using https://api.minimax.io; a key from the China platform belongs to https://api.minimaxi.com (set MINIMAX_API_HOST=https://api.minimaxi.com).",
  traceId: "0a1b2c3d",
};

describe("error cards", () => {
  it("asks for the key with Set API Key when there is none, never with a shell export", () => {
    const f = turnFailure(NO_KEY);
    assert.equal(f.card.id, CARD.key);
    assert.deepEqual(f.card.actions, ["setApiKey"]);
    assert.doesNotMatch(shownText(f), /export|MINIMAX_API_KEY|environment/);
  });

  it("says the key was rejected and offers Set API Key and the Host setting, never MINIMAX_API_HOST", () => {
    const f = turnFailure(WRONG_REGION);
    assert.equal(f.card.id, CARD.auth);
    assert.equal(f.card.title, "MiniMax rejected the API key");
    assert.deepEqual(f.card.actions, ["setApiKey", "openSettings", "copyDetails"]);
    assert.equal(f.settings, "m2bridge.host");
    assert.match(f.card.detail, /Host setting/);
    assert.doesNotMatch(shownText(f), /MINIMAX_API_HOST|set [A-Z_]+=/);
  });

  it("sends other setting problems to Open Settings", () => {
    const f = turnFailure({ code: "config", message: "m2bridge.model must be a string.", traceId: null });
    assert.equal(f.card.id, CARD.config);
    assert.deepEqual(f.card.actions, ["openSettings"]);
    assert.match(f.card.detail, /m2bridge\.model must be a string\./);
  });

  it("offers Retry for network failures, timeouts, server errors and rate limits", () => {
    for (const code of ["connection", "timeout", "server", "rate_limited", "stream_cut"]) {
      const f = turnFailure({ code, message: "x", traceId: null });
      assert.deepEqual(f.card.actions, ["retry"], code);
      assert.equal(f.card.id, CARD.turn, code);
    }
  });

  it("gives every card with a Trace-Id Copy details, whose text has the code, the message and the Trace-Id", () => {
    for (const code of ["auth", "config", "rate_limited", "balance", "context_overflow", "something_new"]) {
      const f = turnFailure({ code, message: "MiniMax said no.", traceId: "trace-9" });
      assert.ok(f.card.actions.includes("copyDetails"), code);
      assert.equal(f.card.traceId, "trace-9");
      assert.equal(f.details, `Error code: ${code}\nMessage: MiniMax said no.\nTrace-Id: trace-9`);
    }
    assert.ok(!turnFailure({ code: "timeout", message: "x", traceId: null }).card.actions.includes("copyDetails"));
  });

  it("never shows a raw error code as text", () => {
    const codes = [
      "config",
      "auth",
      "context_overflow",
      "rate_limited",
      "invalid_params",
      "not_found",
      "stream_cut",
      "stream_error",
      "bad_response",
      "session_busy",
      "session_moved_on",
      "session_not_found",
      "store_damaged",
      "server_stopped",
    ];
    for (const code of codes) {
      const f = turnFailure({ code, message: "It failed.", traceId: "t" });
      assert.equal(f.card.code, code);
      assert.doesNotMatch(shownText(f), new RegExp(`\\b${code}\\b`), code);
    }
  });

  it("shows an unknown failure with its message and Retry", () => {
    const f = turnFailure({ code: "api", message: "MiniMax error 9999: odd.", traceId: null });
    assert.equal(f.card.title, "M2 could not answer");
    assert.equal(f.card.detail, "MiniMax error 9999: odd.");
    assert.deepEqual(f.card.actions, ["retry"]);
  });

  it("says how to install or point at the server when it could not start, with Open Settings, Show Log and Retry", () => {
    const f = serverFailure(Object.assign(new Error("spawn m2bridge ENOENT"), { code: "ENOENT" }), ["m2bridge", "lsp"]);
    assert.equal(f.card.id, CARD.server);
    assert.deepEqual(f.card.actions, ["openSettings", "showLog", "retry"]);
    assert.equal(f.settings, "m2bridge.serverCommand");
    assert.match(f.card.detail, /`m2bridge lsp` was not found/);
    assert.doesNotMatch(f.card.detail, /^M2:|m2bridge: /);
  });

  it("treats a request that could not go out because the server is down as the server's card", () => {
    const down = new ServerUnavailable("the language server stopped; see the m2bridge output");
    assert.equal(requestFailure(down).card.id, CARD.server);
    assert.equal(sessionsFailure(down, "list the sessions").card.id, CARD.server);
    assert.equal(requestFailure(down).card.detail, "the language server stopped. The log shows the server's output.");
    const other = requestFailure(new Error("Request m2/chat failed with message: boom"));
    assert.equal(other.card.id, CARD.turn);
    assert.deepEqual(other.card.actions, ["retry", "showLog"]);
  });

  it("writes Copy details without a Trace-Id line when there is none", () => {
    assert.equal(detailsText("timeout", "Timed out.", null), "Error code: timeout\nMessage: Timed out.");
  });
});
