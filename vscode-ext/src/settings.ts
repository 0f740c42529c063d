// The `m2bridge` settings section as the extension and the server read it. Keys never come from
// settings: the server ignores any setting named like a key, and the extension defines none.

import { normalizeServerCommand } from "./serverCommand";

export const SECTION = "m2bridge";
/** The keys the server reads from initializationOptions and workspace/configuration. */
export const SERVER_KEYS = ["api", "model", "host", "baseUrl"] as const;
/** The sandbox keys: sent only from user settings, read by the server only when it starts. */
export const SANDBOX_KEYS = ["sandbox", "allowNetwork"] as const;
export const SANDBOX_MODES = ["workspace-write", "read-only", "off"] as const;

export type ServerSettings = Partial<Record<(typeof SERVER_KEYS)[number], string>> & {
  sandbox?: (typeof SANDBOX_MODES)[number];
  allowNetwork?: boolean;
};

/** What this module reads of a vscode.WorkspaceConfiguration. */
export interface ConfigurationLike {
  get<T>(key: string): T | undefined;
  /** The value per scope; without it no sandbox setting is sent, since its scope cannot be told. */
  inspect?<T>(key: string): { globalValue?: T } | undefined;
}

/** initializationOptions: the server's keys that are set (empty strings mean "the server's default"),
 * and the sandbox as the user's own settings say, never a workspace's (the settings are machine-scoped,
 * so VS Code ignores a workspace's value; reading the user scope alone keeps it so if that ever changes). */
export function serverSettings(config: ConfigurationLike): ServerSettings {
  const out: ServerSettings = {};
  for (const key of SERVER_KEYS) {
    const value = config.get<unknown>(key);
    if (typeof value === "string" && value.trim() !== "") out[key] = value.trim();
  }
  const sandbox = config.inspect?.<unknown>("sandbox")?.globalValue;
  const mode = SANDBOX_MODES.find((m) => m === sandbox);
  if (mode !== undefined) out.sandbox = mode;
  const allowNetwork = config.inspect?.<unknown>("allowNetwork")?.globalValue;
  if (typeof allowNetwork === "boolean") out.allowNetwork = allowNetwork;
  return out;
}

/** The sandbox part of serverSettings, for the servers the extension starts with flags. */
export function sandboxChoice(config: ConfigurationLike): { sandbox?: (typeof SANDBOX_MODES)[number]; allowNetwork?: boolean } {
  const { sandbox, allowNetwork } = serverSettings(config);
  return { ...(sandbox ? { sandbox } : {}), ...(allowNetwork !== undefined ? { allowNetwork } : {}) };
}

export function serverCommand(config: ConfigurationLike, home: string): string[] {
  return normalizeServerCommand(config.get<unknown>("serverCommand"), home);
}
