import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type * as vscode from "vscode";
import type { ApplyWorkspaceEditParams, ClientCapabilities } from "vscode-languageclient/node";

import { Readable } from "node:stream";

import {
  SaveDocumentsCapability,
  TurnsCapability,
  clientOptions,
  isSessionChanged,
  isTurnEnded,
  isTurnStarted,
  serverLogLevel,
} from "../../src/client";
import { EditLedger } from "../../src/saveDocuments";
import { Uri, stub, window } from "./vscode-stub";

const output = window.createOutputChannel() as unknown as vscode.LogOutputChannel;

describe("the language client's set-up", () => {
  it("offers m2/saveDocuments in the client capabilities, next to other experimental ones", () => {
    const capabilities: ClientCapabilities = { experimental: { other: 1 } };
    new SaveDocumentsCapability().fillClientCapabilities(capabilities);
    assert.deepEqual(capabilities.experimental, { other: 1, m2SaveDocuments: true });
    const bare: ClientCapabilities = {};
    new SaveDocumentsCapability().fillClientCapabilities(bare);
    assert.deepEqual(bare.experimental, { m2SaveDocuments: true });
  });

  it("declares m2Turns, so the server announces every turn and leaves answers and errors to the chat view", () => {
    const capabilities: ClientCapabilities = { experimental: { m2SaveDocuments: true } };
    new TurnsCapability().fillClientCapabilities(capabilities);
    assert.deepEqual(capabilities.experimental, { m2SaveDocuments: true, m2Turns: true });
  });

  it("takes the server's turn announcements only in their documented shape", () => {
    assert.equal(isTurnStarted({ sessionId: null, prompt: "Explain lines 1-2", origin: "codeAction" }), true);
    assert.equal(isTurnStarted({ sessionId: "s1", prompt: "hi", origin: "chat" }), true);
    assert.equal(isTurnStarted({ sessionId: "s1", prompt: "hi", origin: "shell" }), false);
    assert.equal(isTurnStarted({ sessionId: 1, prompt: "hi", origin: "chat" }), false);
    assert.equal(isTurnStarted({ prompt: "hi", origin: "chat" }), false);
    const result = { sessionId: "s1", text: "", stopReason: "error", error: { code: "auth", message: "no", traceId: "t" } };
    assert.equal(isTurnEnded({ sessionId: "s1", result }), true);
    assert.equal(isTurnEnded({ sessionId: null, result: { ...result, sessionId: null, error: null } }), true);
    assert.equal(isTurnEnded({ sessionId: "s1", result: { ...result, error: { code: 3 } } }), false);
    assert.equal(isTurnEnded({ sessionId: "s1", result: null }), false);
    assert.equal(isTurnEnded({ sessionId: "s1" }), false);
  });

  it("takes m2/sessionChanged only in its documented shape", () => {
    assert.equal(isSessionChanged({ sessionId: "s1", turns: 4 }), true);
    assert.equal(isSessionChanged({ sessionId: "s1", turns: 0 }), true);
    assert.equal(isSessionChanged({ sessionId: "", turns: 4 }), false);
    assert.equal(isSessionChanged({ sessionId: null, turns: 4 }), false);
    assert.equal(isSessionChanged({ sessionId: "s1", turns: -1 }), false);
    assert.equal(isSessionChanged({ sessionId: "s1", turns: 1.5 }), false);
    assert.equal(isSessionChanged({ sessionId: "s1", turns: "4" }), false);
    assert.equal(isSessionChanged({ sessionId: "s1" }), false);
    assert.equal(isSessionChanged(null), false);
  });

  it("logs the server's stderr at each line's own level: a warning is not an error, a traceback is", async () => {
    assert.equal(serverLogLevel('m2bridge lsp: WARNING pygls.protocol.json_rpc: Cancel notification for unknown message id "6"'), "warn");
    assert.equal(serverLogLevel("m2bridge lsp: ERROR lsp.stdio: the client sent a malformed header"), "error");
    assert.equal(serverLogLevel("m2bridge lsp: CRITICAL x: y"), "error");
    assert.equal(serverLogLevel("m2bridge lsp: INFO x: y"), "info");
    assert.equal(serverLogLevel("Traceback (most recent call last):"), "error");
    assert.equal(serverLogLevel("m2bridge lsp: Windows is not supported yet"), "error");
    const logged: [string, string][] = [];
    const channel = {
      error: (line: string) => logged.push(["error", line]),
      warn: (line: string) => logged.push(["warn", line]),
      info: (line: string) => logged.push(["info", line]),
      debug: (line: string) => logged.push(["debug", line]),
    } as unknown as vscode.LogOutputChannel;
    const stderr = clientOptions({}, output, new EditLedger()).stdioOptions?.stderr;
    assert.ok(stderr, "the client options route the server's stderr");
    const input = Readable.from(['m2bridge lsp: WARNING pygls.protocol.json_rpc: Cancel notification for unknown message id "6"\nTraceback (most recent call last):\n']);
    stderr(input, channel);
    await new Promise((resolve) => input.on("close", resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(logged, [
      ["warn", 'm2bridge lsp: WARNING pygls.protocol.json_rpc: Cancel notification for unknown message id "6"'],
      ["error", "Traceback (most recent call last):"],
    ]);
  });

  it("syncs files and untitled buffers, sends the m2bridge settings, and follows their changes", () => {
    const options = clientOptions({ api: "openai", model: "MiniMax-M2" }, output, new EditLedger());
    assert.deepEqual(options.documentSelector, [{ scheme: "file" }, { scheme: "untitled" }]);
    assert.deepEqual(options.initializationOptions, { api: "openai", model: "MiniMax-M2" });
    assert.deepEqual(options.synchronize, { configurationSection: "m2bridge" });
  });

  it("notes which documents held the user's unsaved changes before applying M2's edit", async () => {
    const dirty = { uri: Uri.parse("file:///r/mine.py"), isDirty: true };
    const clean = { uri: Uri.parse("file:///r/clean.py"), isDirty: false };
    stub.textDocuments = [dirty, clean];
    const ledger = new EditLedger();
    const options = clientOptions({}, output, ledger);
    const handle = options.middleware?.workspace?.handleApplyEdit;
    assert.ok(handle);
    let applied = false;
    const params: ApplyWorkspaceEditParams = {
      edit: { changes: { "file:///r/mine.py": [], "file:///r/clean.py": [], "file:///r/closed.py": [] } },
    };
    const result = await handle(params, async () => {
      applied = true;
      return { applied: true };
    });
    assert.deepEqual(result, { applied: true });
    assert.equal(applied, true);
    assert.equal(ledger.heldUserChanges("file:///r/mine.py"), true);
    assert.equal(ledger.heldUserChanges("file:///r/clean.py"), false);
    assert.equal(ledger.heldUserChanges("file:///r/closed.py"), false);
    stub.textDocuments = [];
  });
});
