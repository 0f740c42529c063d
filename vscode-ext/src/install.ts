// When the language server cannot start because `m2bridge` is not installed (or not where the setting
// says), the user is told how to install it instead of seeing a bare "spawn ENOENT".

import { delimiter, isAbsolute, join } from "node:path";

import { displayCommand } from "./serverCommand";

// m2bridge is not on PyPI (a name there could belong to anyone): it installs from a clone.
export const INSTALL_COMMAND = "python3 -m pip install --user .";

export interface InstallAdvice {
  /** For a notification: "m2bridge: " and the detail. */
  message: string;
  /** What happened and what to do, for the chat view's error card. */
  detail: string;
  /** What the "Copy install command" button puts on the clipboard. */
  copy: string;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  // vscode-languageclient rejects a failed spawn with a string: "Launching server using command m2bridge
  // failed. Error: spawn m2bridge ENOENT".
  const text = typeof error === "string" ? error : error instanceof Error ? error.message : "";
  return /\b(ENOENT|EACCES)\b/.exec(text)?.[1];
}

/** The advice for a start failure, or undefined when the failure is not about the program's absence. */
export function installAdvice(error: unknown, serverCommand: readonly string[]): InstallAdvice | undefined {
  const code = errorCode(error);
  const shown = displayCommand(serverCommand);
  const setting = "or set m2bridge.serverCommand to where it is installed (e.g. [\"/path/to/.venv/bin/m2bridge\", \"lsp\"])";
  let detail: string | undefined;
  if (code === "ENOENT") {
    detail =
      `The language server command \`${shown}\` was not found. Install m2bridge by running ` +
      `\`${INSTALL_COMMAND}\` in a clone of the m2bridge repository (or scripts/setup there), ${setting}.`;
  } else if (code === "EACCES") {
    detail = `\`${shown}\` cannot be run (permission denied). Reinstall m2bridge with \`${INSTALL_COMMAND}\`, ${setting}.`;
  }
  if (detail !== undefined) return { message: `m2bridge: ${detail}`, detail, copy: INSTALL_COMMAND };
  return undefined;
}

/**
 * Whether `program` can be started: a path is checked as it is, a bare name is looked up on PATH the way
 * spawn does. `canRun` is fs.accessSync-with-X_OK in the extension and a fake in tests. A relative path
 * with a slash depends on the server's working directory, so it is left for spawn to decide.
 */
export function programExists(program: string, path: string | undefined, canRun: (file: string) => boolean): boolean {
  if (program.includes("/")) return isAbsolute(program) ? canRun(program) : true;
  return (path ?? "")
    .split(delimiter)
    .filter((dir) => dir !== "")
    .some((dir) => canRun(join(dir, program)));
}
