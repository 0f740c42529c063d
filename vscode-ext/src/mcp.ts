// `m2bridge mcp` offered to VS Code's agent mode through the MCP server definition provider API
// (VS Code 1.101+). The definition class and the event come in as dependencies, so this module has no
// runtime `vscode` import and its logic runs in plain Node tests.

import type { CancellationToken, Event, McpStdioServerDefinition, McpServerDefinitionProvider, Uri } from "vscode";

import { KEY_VARIABLE } from "./secrets";
import { mcpInvocation, type SandboxChoice } from "./serverCommand";

export const MCP_PROVIDER_ID = "m2bridge.mcp";
export const MCP_LABEL = "m2bridge";

export interface McpFolder {
  /** File-system path of a workspace folder on this machine. */
  path: string;
  uri: Uri;
}

export interface McpDeps {
  /** The workspace folders on this machine (virtual and remote ones cannot be roots). */
  folders(): readonly McpFolder[];
  serverCommand(): readonly string[];
  /** The user's sandbox settings, passed to the server as flags. */
  sandbox?(): SandboxChoice;
  /** The key from SecretStorage, read only when VS Code starts the server. */
  apiKey(): Promise<string | undefined>;
  version: string;
  Definition: typeof McpStdioServerDefinition;
  onDidChange?: Event<void>;
}

export class M2McpProvider implements McpServerDefinitionProvider<McpStdioServerDefinition> {
  readonly onDidChangeMcpServerDefinitions: Event<void> | undefined;

  constructor(private readonly deps: McpDeps) {
    this.onDidChangeMcpServerDefinitions = deps.onDidChange;
  }

  /**
   * One server whose roots are the workspace folders. Without a folder there is nothing to root it at
   * (it would default to the extension host's working directory), so none is offered. Called eagerly by
   * VS Code: no secrets are read here, and the definition's env carries none.
   */
  provideMcpServerDefinitions(_token?: CancellationToken): McpStdioServerDefinition[] {
    const folders = this.deps.folders();
    const first = folders[0];
    if (first === undefined) return [];
    const { command, args } = mcpInvocation(
      this.deps.serverCommand(),
      folders.map((f) => f.path),
      this.deps.sandbox?.() ?? {},
    );
    const definition = new this.deps.Definition(MCP_LABEL, command, args, {}, this.deps.version);
    definition.cwd = first.uri;
    return [definition];
  }

  /** When VS Code starts the server: the stored key goes into its environment, if there is one. */
  async resolveMcpServerDefinition(
    server: McpStdioServerDefinition,
    _token?: CancellationToken,
  ): Promise<McpStdioServerDefinition> {
    const key = await this.deps.apiKey();
    const env: Record<string, string | number | null> = { ...server.env };
    delete env[KEY_VARIABLE];
    if (key) env[KEY_VARIABLE] = key;
    server.env = env;
    return server;
  }
}
