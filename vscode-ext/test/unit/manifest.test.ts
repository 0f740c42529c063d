// The package.json contributions are a contract too: the ids other parts (the page, the smoke test, the
// README) rely on, the settings a cloned repository must not be able to set, and what a user sees of
// the extension in VS Code's own UI (names, menus, icons, key bindings, settings dropdowns).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import { CHAT_VIEW_ID } from "../../src/chatView";
import { COMMANDS } from "../../src/commands";
import { CONTEXT_KEYS } from "../../src/contextKeys";
import { MCP_PROVIDER_ID } from "../../src/mcp";
import { SECTION, SERVER_KEYS } from "../../src/settings";

interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}

interface Manifest {
  displayName: string;
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; shortTitle?: string; category?: string; icon?: string }[];
    keybindings: { command: string; key: string; mac?: string; when?: string }[];
    menus: Record<string, MenuItem[]>;
    views: Record<string, { id: string; type?: string }[]>;
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    configuration: {
      title: string;
      properties: Record<string, { scope?: string; default?: unknown; enum?: unknown[]; enumItemLabels?: string[] }>;
    };
    mcpServerDefinitionProviders: { id: string; label: string }[];
  };
}

// Tests run from the extension's folder (npm test); out/test/unit/x.test.js is three levels down.
const manifestText = readFileSync(join(__dirname, "../../../package.json"), "utf8");
const manifest = JSON.parse(manifestText) as Manifest;
const settings = manifest.contributes.configuration.properties;
const commands = manifest.contributes.commands;
const menus = manifest.contributes.menus;
const command = (id: string) => commands.find((c) => c.command === id);
const menu = (name: string): MenuItem[] => menus[name] ?? [];

describe("the extension manifest", () => {
  it("contributes exactly the commands the extension registers", () => {
    assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), Object.values(COMMANDS).sort());
  });

  it("names the key command as the language server's advice does (“m2bridge: Set API Key”)", () => {
    const key = command(COMMANDS.setApiKey);
    assert.equal(`${key?.category}: ${key?.title}`, "m2bridge: Set API Key");
  });

  it("calls the product m2bridge everywhere it names it: extension, container, categories, settings, MCP server", () => {
    assert.equal(manifest.displayName, "m2bridge");
    assert.deepEqual(manifest.contributes.viewsContainers.activitybar.map((c) => c.title), ["m2bridge"]);
    assert.deepEqual([...new Set(commands.map((c) => c.category))], ["m2bridge"]);
    assert.equal(manifest.contributes.configuration.title, "m2bridge");
    assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders.map((p) => p.label), ["m2bridge"]);
  });

  it("has none of the old names: no “M2Bridge”, no “M2:” prefix, no MiniMax-M2 as a title", () => {
    assert.doesNotMatch(manifestText, /M2Bridge/);
    assert.doesNotMatch(manifestText, /(^|[^\w.-])M2:/m);
    const titles = [
      manifest.displayName,
      ...manifest.contributes.viewsContainers.activitybar.map((c) => c.title),
      ...commands.map((c) => c.title),
    ];
    for (const title of titles) assert.doesNotMatch(title, /MiniMax/, title);
  });

  it("titles the editor commands “Explain with M2” and “Fix with M2”, like the server's code actions", () => {
    assert.equal(command(COMMANDS.explainSelection)?.title, "Explain with M2");
    assert.equal(command(COMMANDS.fixProblem)?.title, "Fix with M2");
  });

  it("offers Explain with M2 in the editor's context menu only with a selection, Fix with M2 only on a problem", () => {
    assert.deepEqual(
      menu("editor/context").map((m) => [m.command, m.when]),
      [
        [COMMANDS.explainSelection, "editorHasSelection"],
        [COMMANDS.fixProblem, CONTEXT_KEYS.problemAtCursor],
      ],
    );
  });

  it("hides the editor commands from the command palette where there is no editor or no problem", () => {
    assert.deepEqual(
      menu("commandPalette").map((m) => [m.command, m.when]),
      [
        [COMMANDS.explainSelection, "editorIsOpen"],
        [COMMANDS.fixProblem, CONTEXT_KEYS.problemsInEditor],
      ],
    );
  });

  it("reads in its when clauses only the context keys the extension sets", () => {
    const ours = new Set<string>(Object.values(CONTEXT_KEYS));
    for (const [name, items] of Object.entries(menus)) {
      for (const item of items) {
        // `view == m2bridge.chat` compares with a view id; any other m2bridge.* name is a context key.
        const keys = (item.when ?? "").replace(/\bview == [\w.]+/g, "").match(/\bm2bridge\.\w+/g) ?? [];
        for (const key of keys) assert.ok(ours.has(key), `${name}: ${item.command} reads ${key}, which nothing sets`);
      }
    }
  });

  it("shows only Open in Terminal as an icon in the chat's title bar: the page's own picker and New button choose sessions", () => {
    const bar = menu("view/title").filter((m) => m.when === `view == ${CHAT_VIEW_ID}`);
    const icons = bar.filter((m) => /^navigation@\d+$/.test(m.group ?? ""));
    assert.deepEqual(
      icons.map((m) => m.command),
      [COMMANDS.openSessionInTerminal],
    );
    assert.match(command(COMMANDS.openSessionInTerminal)?.icon ?? "", /^\$\([a-z-]+\)$/, "a codicon");
    // New and Resume stay reachable from the keyboard: the view's overflow menu and the palette.
    const overflow = bar.filter((m) => !/^navigation/.test(m.group ?? "")).map((m) => m.command);
    assert.deepEqual(overflow, [COMMANDS.newSession, COMMANDS.resumeSession]);
  });

  it("puts no command in two of the chat's menus at once", () => {
    const bar = new Set(menu("view/title").map((m) => m.command));
    for (const item of menu("editor/context")) assert.ok(!bar.has(item.command), item.command);
  });

  it("binds Ctrl+Alt+M (Ctrl+Cmd+M on macOS) to focus the chat, from anywhere, and none of Copilot's keys", () => {
    const focus = manifest.contributes.keybindings.filter((k) => k.command === `${CHAT_VIEW_ID}.focus`);
    assert.deepEqual(focus, [{ command: `${CHAT_VIEW_ID}.focus`, key: "ctrl+alt+m", mac: "ctrl+cmd+m" }]);
    const copilot = new Set(["ctrl+alt+i", "cmd+ctrl+i", "ctrl+cmd+i", "ctrl+shift+i", "ctrl+shift+alt+i", "shift+cmd+i"]);
    for (const k of manifest.contributes.keybindings) {
      assert.ok(!copilot.has(k.key) && !copilot.has(k.mac ?? ""), `${k.command}: ${k.key} / ${k.mac}`);
    }
  });

  it("gives every value of every enum setting a label, so no choice in the dropdown is blank", () => {
    const enums = Object.entries(settings).filter(([, s]) => s.enum !== undefined);
    assert.deepEqual(enums.map(([name]) => name).sort(), ["m2bridge.api", "m2bridge.host", "m2bridge.sandbox"]);
    for (const [name, s] of enums) {
      const labels = s.enumItemLabels ?? [];
      assert.equal(labels.length, s.enum?.length, name);
      for (const label of labels) assert.notEqual(label.trim(), "", name);
      const blank = s.enum?.indexOf("") ?? -1;
      assert.match(labels[blank] ?? "", /^Default \(.+\)$/, `${name}: the empty value is the default`);
    }
  });

  it("keeps the settings the server reads, with their values: a public contract", () => {
    for (const key of SERVER_KEYS) assert.ok(settings[`${SECTION}.${key}`], key);
    assert.deepEqual(settings["m2bridge.api"]?.enum, ["", "anthropic", "openai"]);
    assert.deepEqual(settings["m2bridge.host"]?.enum, ["", "https://api.minimax.io", "https://api.minimaxi.com"]);
    assert.equal(settings["m2bridge.api"]?.default, "");
    assert.equal(settings["m2bridge.host"]?.default, "");
  });

  it("puts the chat webview view in the m2bridge activity-bar container", () => {
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
