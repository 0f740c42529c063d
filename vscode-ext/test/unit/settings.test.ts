import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import { type ConfigurationLike, SANDBOX_MODES, sandboxChoice, serverSettings } from "../../src/settings";

type Scoped = { user?: unknown; workspace?: unknown };

/** A configuration holding values per scope, merged as VS Code's get() would merge a window-scoped one. */
function scoped(values: Record<string, Scoped>): ConfigurationLike {
  return {
    get: <T>(key: string) => (values[key]?.workspace ?? values[key]?.user) as T | undefined,
    inspect: <T>(key: string) => ({ globalValue: values[key]?.user as T | undefined }),
  };
}

describe("the sandbox settings", () => {
  it("give the servers the extension starts only the user's own sandbox choice, never a workspace's", () => {
    assert.deepEqual(sandboxChoice(scoped({ sandbox: { user: "off" }, api: { user: "openai" } })), { sandbox: "off" });
    assert.deepEqual(sandboxChoice(scoped({ sandbox: { workspace: "off" }, allowNetwork: { workspace: true } })), {});
  });

  it("send the user's sandbox and network choice to the server", () => {
    const settings = serverSettings(scoped({ sandbox: { user: "read-only" }, allowNetwork: { user: true } }));
    assert.deepEqual(settings, { sandbox: "read-only", allowNetwork: true });
  });

  it("never send a workspace's value, even one VS Code would merge", () => {
    const settings = serverSettings(scoped({ sandbox: { workspace: "off" }, allowNetwork: { workspace: true } }));
    assert.deepEqual(settings, {});
    const over = serverSettings(scoped({ sandbox: { user: "read-only", workspace: "off" } }));
    assert.deepEqual(over, { sandbox: "read-only" });
  });

  it("send nothing for the default or an unknown value, so config.toml decides", () => {
    assert.deepEqual(serverSettings(scoped({ sandbox: { user: "" } })), {});
    assert.deepEqual(serverSettings(scoped({ sandbox: { user: "loose" }, allowNetwork: { user: "yes" } })), {});
  });

  it("send nothing about the sandbox when the scope cannot be told", () => {
    const config: ConfigurationLike = { get: <T>(key: string) => ({ sandbox: "off", allowNetwork: true })[key] as T };
    assert.deepEqual(serverSettings(config), {});
  });

  it("are declared machine-scoped, with a label for every choice the server accepts", () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
      contributes: { configuration: { properties: Record<string, { scope?: string; enum?: string[]; enumItemLabels?: string[]; type?: string; default?: unknown }> } };
    };
    const properties = manifest.contributes.configuration.properties;
    const sandbox = properties["m2bridge.sandbox"];
    const network = properties["m2bridge.allowNetwork"];
    assert.equal(sandbox?.scope, "machine");
    assert.equal(network?.scope, "machine");
    assert.deepEqual(sandbox?.enum, ["", ...SANDBOX_MODES]);
    assert.equal(sandbox?.enumItemLabels?.length, sandbox?.enum?.length);
    assert.deepEqual([network?.type, network?.default], ["boolean", false]);
  });
});
