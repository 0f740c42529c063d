import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { MCP_LABEL, M2McpProvider, type McpDeps } from "../../src/mcp";
import { EventEmitter, McpStdioServerDefinition, Uri } from "./vscode-stub";
import * as vscode from "vscode";

function provider(overrides: Partial<McpDeps> = {}): M2McpProvider {
  return new M2McpProvider({
    folders: () => [
      { path: "/work/app", uri: Uri.file("/work/app") as unknown as vscode.Uri },
      { path: "/work/lib", uri: Uri.file("/work/lib") as unknown as vscode.Uri },
    ],
    serverCommand: () => ["m2bridge", "lsp"],
    apiKey: async () => "sk-secret",
    version: "0.1.0",
    Definition: vscode.McpStdioServerDefinition,
    ...overrides,
  });
}

describe("the MCP server definition provider", () => {
  it("offers `m2bridge mcp` rooted at every workspace folder", () => {
    const [definition, ...rest] = provider().provideMcpServerDefinitions();
    assert.equal(rest.length, 0);
    assert.ok(definition instanceof McpStdioServerDefinition);
    assert.equal(definition.label, MCP_LABEL);
    assert.equal(definition.command, "m2bridge");
    assert.deepEqual(definition.args, ["mcp", "--root", "/work/app", "--root", "/work/lib"]);
    assert.equal(definition.cwd?.fsPath, "/work/app");
    assert.equal(definition.version, "0.1.0");
  });

  it("uses the program of the configured server command", () => {
    const [definition] = provider({ serverCommand: () => ["/venv/bin/python", "-m", "m2bridge", "lsp"] }).provideMcpServerDefinitions();
    assert.equal(definition?.command, "/venv/bin/python");
    assert.deepEqual(definition?.args, ["-m", "m2bridge", "mcp", "--root", "/work/app", "--root", "/work/lib"]);
  });

  it("offers nothing without a folder to root the tools at", () => {
    assert.deepEqual(provider({ folders: () => [] }).provideMcpServerDefinitions(), []);
  });

  it("puts no key in the definitions VS Code asks for eagerly", () => {
    let asked = false;
    const [definition] = provider({
      apiKey: async () => {
        asked = true;
        return "sk-secret";
      },
    }).provideMcpServerDefinitions();
    assert.equal(asked, false);
    assert.deepEqual(definition?.env, {});
  });

  it("injects the stored key as MINIMAX_API_KEY when VS Code starts the server", async () => {
    const p = provider();
    const [definition] = p.provideMcpServerDefinitions();
    assert.ok(definition);
    const resolved = await p.resolveMcpServerDefinition(definition);
    assert.equal(resolved.env["MINIMAX_API_KEY"], "sk-secret");
    assert.equal(resolved.command, "m2bridge");
  });

  it("leaves MINIMAX_API_KEY out when no key is stored", async () => {
    const p = provider({ apiKey: async () => undefined });
    const [definition] = p.provideMcpServerDefinitions();
    assert.ok(definition);
    const resolved = await p.resolveMcpServerDefinition(definition);
    assert.equal("MINIMAX_API_KEY" in resolved.env, false);
  });

  it("never takes a key from the definition or settings, only from the secret store", async () => {
    const p = provider({ apiKey: async () => undefined });
    const planted = new McpStdioServerDefinition("m2bridge", "m2bridge", ["mcp"], { MINIMAX_API_KEY: "from-elsewhere" });
    const resolved = await p.resolveMcpServerDefinition(planted as unknown as vscode.McpStdioServerDefinition);
    assert.equal("MINIMAX_API_KEY" in resolved.env, false);
  });

  it("passes on the change event so VS Code refreshes the list", () => {
    const changed = new EventEmitter<void>();
    const p = provider({ onDidChange: changed.event as unknown as vscode.Event<void> });
    let fired = 0;
    p.onDidChangeMcpServerDefinitions?.(() => fired++);
    changed.fire();
    assert.equal(fired, 1);
  });
});
