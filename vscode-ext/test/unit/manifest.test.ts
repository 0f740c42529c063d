// The package.json contributions are a contract too: the ids other parts (the page, the smoke test, the
// README) rely on, and the settings a cloned repository must not be able to set.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import { CHAT_VIEW_ID } from "../../src/chatView";
import { COMMANDS } from "../../src/commands";
import { MCP_PROVIDER_ID } from "../../src/mcp";

interface Manifest {
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    views: Record<string, { id: string; type?: string }[]>;
    viewsContainers: { activitybar: { id: string; icon: string }[] };
    configuration: { properties: Record<string, { scope?: string; default?: unknown }> };
    mcpServerDefinitionProviders: { id: string }[];
  };
}

// Tests run from the extension's folder (npm test); out/test/unit/x.test.js is three levels down.
const manifest = JSON.parse(readFileSync(join(__dirname, "../../../package.json"), "utf8")) as Manifest;
const settings = manifest.contributes.configuration.properties;

describe("the extension manifest", () => {
  it("contributes exactly the commands the extension registers", () => {
    assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), Object.values(COMMANDS).sort());
  });

  it("names the key command as the language server's advice does (“M2Bridge: Set API key”)", () => {
    const command = manifest.contributes.commands.find((c) => c.command === COMMANDS.setApiKey);
    assert.equal(`${command?.category}: ${command?.title}`.toLowerCase(), "m2bridge: set api key");
  });

  it("puts the chat webview view in the M2 activity-bar container", () => {
    assert.deepEqual(manifest.contributes.viewsContainers.activitybar.map((c) => c.id), ["m2bridge"]);
    assert.deepEqual(manifest.contributes.views["m2bridge"], [{ type: "webview", id: CHAT_VIEW_ID, name: "Chat", icon: "media/m2.svg" }]);
  });

  it("declares the MCP provider id the extension registers", () => {
    assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders.map((p) => p.id), [MCP_PROVIDER_ID]);
  });

  it("has no setting for a key, token, secret or password", () => {
    for (const name of Object.keys(settings)) assert.doesNotMatch(name, /key|token|secret|password/i);
  });

  it("lets only user settings choose the program, the host and the base URL", () => {
    for (const name of ["m2bridge.serverCommand", "m2bridge.host", "m2bridge.baseUrl"]) {
      assert.equal(settings[name]?.scope, "machine", name);
    }
    assert.deepEqual(settings["m2bridge.serverCommand"]?.default, ["m2bridge", "lsp"]);
  });

  it("pins @types/vscode to the engine minimum, as vsce requires", () => {
    assert.equal(manifest.engines.vscode, "^1.101.0");
    assert.equal(manifest.devDependencies["@types/vscode"], "1.101.0");
  });
});
