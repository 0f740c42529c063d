// The `m2bridge.serverCommand` setting and the other m2bridge commands derived from it: whatever
// starts `m2bridge lsp` (a venv's m2bridge, `python -m m2bridge`) also starts `mcp` and `chat`.

export const DEFAULT_SERVER_COMMAND: readonly string[] = ["m2bridge", "lsp"];

/** The setting's value if it is a non-empty list of non-empty strings, else the default; `~/` expanded. */
export function normalizeServerCommand(raw: unknown, home: string): string[] {
  const valid =
    Array.isArray(raw) && raw.length > 0 && raw.every((part): part is string => typeof part === "string" && part !== "");
  const command = valid ? [...raw] : [...DEFAULT_SERVER_COMMAND];
  const program = command[0] ?? "m2bridge";
  if (home && (program === "~" || program.startsWith("~/"))) command[0] = home + program.slice(1);
  return command;
}

export interface Invocation {
  command: string;
  args: string[];
}

/** The program and leading arguments that run `m2bridge`: the server command up to its `lsp`. */
export function m2bridgeInvocation(serverCommand: readonly string[]): Invocation {
  const lsp = serverCommand.lastIndexOf("lsp");
  const prefix = lsp > 0 ? serverCommand.slice(0, lsp) : serverCommand.slice(0, 1);
  const [command = "m2bridge", ...args] = prefix;
  return { command, args };
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A POSIX shell word for `s` (single-quoted unless it is plainly safe). */
export function shellQuote(s: string): string {
  if (SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The line typed into a terminal to continue `sessionId` with `m2bridge chat`. */
export function chatCommandLine(serverCommand: readonly string[], sessionId: string, sandbox: SandboxChoice = {}): string {
  const { command, args } = m2bridgeInvocation(serverCommand);
  return [command, ...args, "chat", "--session", sessionId, ...sandboxArguments(sandbox)].map(shellQuote).join(" ");
}

/** `m2bridge mcp` with one `--root` per workspace folder. */
export function mcpInvocation(
  serverCommand: readonly string[],
  roots: readonly string[],
  sandbox: SandboxChoice = {},
): Invocation {
  const { command, args } = m2bridgeInvocation(serverCommand);
  return { command, args: [...args, "mcp", ...roots.flatMap((root) => ["--root", root]), ...sandboxArguments(sandbox)] };
}

/** The user's sandbox settings (m2bridge.sandbox, m2bridge.allowNetwork), as the servers' flags. */
export interface SandboxChoice {
  sandbox?: "workspace-write" | "read-only" | "off";
  allowNetwork?: boolean;
}

/** `--sandbox MODE` and `--allow-network` for what the user set; nothing for what they left alone, so
 * the user config.toml decides then, as it does in a terminal. */
export function sandboxArguments(choice: SandboxChoice): string[] {
  return [...(choice.sandbox ? ["--sandbox", choice.sandbox] : []), ...(choice.allowNetwork ? ["--allow-network"] : [])];
}

/** The server command as the user would type it, for messages. */
export function displayCommand(serverCommand: readonly string[]): string {
  return serverCommand.map(shellQuote).join(" ");
}
