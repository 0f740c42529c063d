import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  DEFAULT_SERVER_COMMAND,
  chatCommandLine,
  m2bridgeInvocation,
  mcpInvocation,
  normalizeServerCommand,
  shellQuote,
} from "../../src/serverCommand";
import { serverCommand, serverSettings } from "../../src/settings";

describe("the server command setting", () => {
  it("falls back to `m2bridge lsp` when unset or malformed", () => {
    for (const raw of [undefined, null, [], "m2bridge lsp", [""], ["m2bridge", 3]]) {
      assert.deepEqual(normalizeServerCommand(raw, "/home/me"), [...DEFAULT_SERVER_COMMAND]);
    }
  });

  it("expands a leading ~/ in the program", () => {
    assert.deepEqual(normalizeServerCommand(["~/venv/bin/m2bridge", "lsp"], "/home/me"), ["/home/me/venv/bin/m2bridge", "lsp"]);
  });

  it("runs the other m2bridge commands with the same program and leading arguments", () => {
    assert.deepEqual(m2bridgeInvocation(["m2bridge", "lsp"]), { command: "m2bridge", args: [] });
    assert.deepEqual(m2bridgeInvocation(["/venv/bin/python", "-m", "m2bridge", "lsp", "--read-only"]), {
      command: "/venv/bin/python",
      args: ["-m", "m2bridge"],
    });
    assert.deepEqual(m2bridgeInvocation(["/opt/m2bridge-wrapper"]), { command: "/opt/m2bridge-wrapper", args: [] });
  });

  it("builds `m2bridge mcp` with one --root per folder", () => {
    assert.deepEqual(mcpInvocation(["m2bridge", "lsp"], ["/a", "/b c"]), {
      command: "m2bridge",
      args: ["mcp", "--root", "/a", "--root", "/b c"],
    });
  });

  it("passes the user's sandbox settings to `m2bridge mcp` and the terminal's `m2bridge chat` as flags", () => {
    assert.deepEqual(mcpInvocation(["m2bridge", "lsp"], ["/a"], { sandbox: "read-only", allowNetwork: true }), {
      command: "m2bridge",
      args: ["mcp", "--root", "/a", "--sandbox", "read-only", "--allow-network"],
    });
    assert.deepEqual(mcpInvocation(["m2bridge", "lsp"], ["/a"], { allowNetwork: false }).args, ["mcp", "--root", "/a"]);
    assert.equal(chatCommandLine(["m2bridge", "lsp"], "5f2a", { sandbox: "off" }), "m2bridge chat --session 5f2a --sandbox off");
  });

  it("types a shell-safe `m2bridge chat --session ID` into the terminal", () => {
    assert.equal(chatCommandLine(["m2bridge", "lsp"], "5f2a-77"), "m2bridge chat --session 5f2a-77");
    assert.equal(
      chatCommandLine(["/home/me/my venv/bin/m2bridge", "lsp"], "x; rm -rf ~"),
      "'/home/me/my venv/bin/m2bridge' chat --session 'x; rm -rf ~'",
    );
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});

describe("the settings the server gets", () => {
  const config = (values: Record<string, unknown>) => ({ get: <T>(key: string) => values[key] as T | undefined });

  it("passes api, model, host and baseUrl when set, and nothing else", () => {
    const settings = serverSettings(
      config({ api: "openai", model: "MiniMax-M2", host: "https://api.minimaxi.com", baseUrl: "", serverCommand: ["x"], apiKey: "sk" }),
    );
    assert.deepEqual(settings, { api: "openai", model: "MiniMax-M2", host: "https://api.minimaxi.com" });
  });

  it("reads the server command from the same section", () => {
    assert.deepEqual(serverCommand(config({ serverCommand: ["/opt/m2/bin/m2bridge", "lsp"] }), "/h"), ["/opt/m2/bin/m2bridge", "lsp"]);
  });
});
