import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";

import type * as vscode from "vscode";

import { SET_API_KEY_COMMAND, editorActions, openM2Settings } from "../../src/chatView";
import { Position, Selection, Uri, commands, env, window } from "./vscode-stub";

const output = window.createOutputChannel() as unknown as vscode.LogOutputChannel;
const original = { executeCommand: commands.executeCommand, writeText: env.clipboard.writeText, openExternal: env.openExternal };

/** Records the commands run, the clipboard and the links opened, through the stub's VS Code API. */
function record(): { ran: unknown[][]; copied: string[]; opened: string[] } {
  const ran: unknown[][] = [];
  const copied: string[] = [];
  const opened: string[] = [];
  commands.executeCommand = async (...args: unknown[]) => {
    ran.push(args);
    return undefined;
  };
  env.clipboard.writeText = async (...args: unknown[]) => {
    copied.push(String(args[0]));
    return undefined;
  };
  env.openExternal = async (...args: unknown[]) => {
    opened.push(String(args[0]));
    return true;
  };
  return { ran, copied, opened };
}

afterEach(() => {
  commands.executeCommand = original.executeCommand;
  env.clipboard.writeText = original.writeText;
  env.openExternal = original.openExternal;
  env.remoteName = undefined;
  window.activeTextEditor = undefined;
});

describe("the chat view's side in VS Code", () => {
  it("opens the local Settings editor on the setting in a local window", async () => {
    const { ran } = record();
    await openM2Settings("m2bridge.serverCommand");
    assert.deepEqual(ran, [["workbench.action.openSettings", { query: "m2bridge.serverCommand" }]]);
  });

  it("opens the Remote tab in a remote window, where machine-scoped settings live", async () => {
    const { ran } = record();
    for (const remote of ["ssh-remote", "wsl", "code-server"]) {
      env.remoteName = remote;
      await openM2Settings("m2bridge.serverCommand");
    }
    assert.equal(ran.length, 3);
    for (const call of ran) assert.deepEqual(call, ["workbench.action.openRemoteSettings", { query: "m2bridge.serverCommand" }]);
  });

  it("runs the Set API Key command, copies, and opens only web links", async () => {
    const { ran, copied, opened } = record();
    const actions = editorActions(output, async () => undefined);
    await actions.setApiKey();
    await actions.copy("Error code: auth");
    await actions.openLink("https://platform.minimax.io/");
    await actions.openLink("command:workbench.action.terminal.new");
    await actions.openLink("file:///etc/passwd");
    assert.deepEqual(ran, [[SET_API_KEY_COMMAND]]);
    assert.deepEqual(copied, ["Error code: auth"]);
    assert.equal(opened.length, 1);
    assert.match(opened[0] ?? "", /^https:/);
  });

  it("inserts at every selection of the active editor, and says false when there is none", async () => {
    const actions = editorActions(output, async () => undefined);
    assert.equal(await actions.insert("x = 1"), false);
    const replaced: [Selection, string][] = [];
    const selection = new Selection(new Position(1, 0), new Position(1, 4));
    window.activeTextEditor = {
      document: { uri: Uri.file("/r/a.py") },
      selections: [selection],
      edit: async (change: (edit: { replace(range: Selection, text: string): void }) => void) => {
        change({ replace: (range, text) => replaced.push([range, text]) });
        return true;
      },
    };
    assert.equal(await actions.insert("x = 1"), true);
    assert.deepEqual(replaced, [[selection, "x = 1"]]);
  });
});
