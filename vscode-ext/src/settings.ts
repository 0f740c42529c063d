// The `m2bridge` settings section as the extension and the server read it. Keys never come from
// settings: the server ignores any setting named like a key, and the extension defines none.

import { normalizeServerCommand } from "./serverCommand";

export const SECTION = "m2bridge";
/** The keys the server reads from initializationOptions and workspace/configuration. */
export const SERVER_KEYS = ["api", "model", "host", "baseUrl"] as const;

export type ServerSettings = Partial<Record<(typeof SERVER_KEYS)[number], string>>;

/** What this module reads of a vscode.WorkspaceConfiguration. */
export interface ConfigurationLike {
  get<T>(key: string): T | undefined;
}

/** initializationOptions: the server's keys that are set (empty strings mean "the server's default"). */
export function serverSettings(config: ConfigurationLike): ServerSettings {
  const out: ServerSettings = {};
  for (const key of SERVER_KEYS) {
    const value = config.get<unknown>(key);
    if (typeof value === "string" && value.trim() !== "") out[key] = value.trim();
  }
  return out;
}

export function serverCommand(config: ConfigurationLike, home: string): string[] {
  return normalizeServerCommand(config.get<unknown>("serverCommand"), home);
}
