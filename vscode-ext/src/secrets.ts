// The MiniMax API key lives only in VS Code's SecretStorage (never in settings) and reaches the
// language server and the MCP server as MINIMAX_API_KEY in their environment.

import type { Event, SecretStorage } from "vscode";

export const SECRET_NAME = "m2bridge.minimaxApiKey";
export const KEY_VARIABLE = "MINIMAX_API_KEY";

export type Environment = Record<string, string | undefined>;

/** The environment with the stored key added; without one, the inherited environment as it is. */
export function environmentWithKey(base: Environment, key: string | undefined): Environment {
  return key ? { ...base, [KEY_VARIABLE]: key } : { ...base };
}

/** Why an entered key is unusable, or undefined when it looks like a key. */
export function keyProblem(value: string): string | undefined {
  const key = value.trim();
  if (key === "") return undefined; // empty removes the stored key
  if (/\s/.test(key)) return "An API key has no spaces or line breaks.";
  if (key.length > 4096) return "That is too long for an API key.";
  return undefined;
}

export class ApiKeyStore {
  constructor(private readonly storage: SecretStorage) {}

  async get(): Promise<string | undefined> {
    const key = await this.storage.get(SECRET_NAME);
    return key ? key : undefined;
  }

  /** Stores the key, or removes it when `value` is empty. */
  async set(value: string): Promise<void> {
    const key = value.trim();
    if (key === "") await this.storage.delete(SECRET_NAME);
    else await this.storage.store(SECRET_NAME, key);
  }

  /** Fires when the key changes, in this window or another one. */
  onDidChange(listener: () => void): { dispose(): void } {
    const event: Event<{ key: string }> = this.storage.onDidChange;
    return event((e) => {
      if (e.key === SECRET_NAME) listener();
    });
  }
}
