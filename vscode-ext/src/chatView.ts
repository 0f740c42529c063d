// The chat view (`m2bridge.chat` in the M2 activity-bar container): a webview showing media/chat.js,
// with the ChatRelay between it and the language server, and VS Code's side of what the page asks for
// (copy, insert, links, the error cards' buttons).

import * as vscode from "vscode";

import { makeNonce, renderChatHtml } from "./chatHtml";
import { type ChatRelay, type EditorActions, errorText, webLink } from "./chatRelay";

export const CHAT_VIEW_ID = "m2bridge.chat";
export const SET_API_KEY_COMMAND = "m2bridge.setApiKey";

/** Opens the Settings editor searching for `query`. In a remote window (code-server, Remote-SSH, WSL)
 * the machine-scoped settings (`m2bridge.serverCommand`, `host`, `baseUrl`) are read from the Remote tab
 * only, so that is where it opens; editing them under User would silently do nothing there. */
export async function openM2Settings(query: string): Promise<void> {
  const remote = typeof vscode.env.remoteName === "string" && vscode.env.remoteName !== "";
  const command = remote ? "workbench.action.openRemoteSettings" : "workbench.action.openSettings";
  // An object, not a bare string: openRemoteSettings drops a string argument.
  await vscode.commands.executeCommand(command, { query });
}

/** VS Code's side of the page's requests. */
export function editorActions(output: vscode.LogOutputChannel, reveal: () => Promise<void>): EditorActions {
  return {
    setApiKey: async () => {
      await vscode.commands.executeCommand(SET_API_KEY_COMMAND);
    },
    openSettings: openM2Settings,
    copy: async (text) => {
      await vscode.env.clipboard.writeText(text);
    },
    insert: async (text) => {
      const editor = vscode.window.activeTextEditor;
      if (editor === undefined) return false;
      return editor.edit((edit) => {
        for (const selection of editor.selections) edit.replace(selection, text);
      });
    },
    openLink: async (href) => {
      const url = webLink(href); // checked when the message arrived; checked again where it is used
      if (url === undefined) {
        output.warn(`chat view: refused to open a link that is not http or https`);
        return;
      }
      await vscode.env.openExternal(vscode.Uri.parse(url, true));
    },
    showLog: () => output.show(true),
    reveal,
  };
}

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly relay: ChatRelay,
    private readonly output: vscode.LogOutputChannel,
  ) {
    relay.useEditor(editorActions(output, () => this.reveal()));
  }

  static register(provider: ChatViewProvider): vscode.Disposable {
    // Kept alive while hidden: a turn streaming into a collapsed view must not lose its page.
    return vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider, {
      webviewOptions: { retainContextWhenHidden: true },
    });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    const webview = view.webview;
    webview.options = { enableScripts: true, localResourceRoots: [media] };
    this.view = view;
    this.relay.attach((message) => webview.postMessage(message));
    this.subscriptions.push(
      webview.onDidReceiveMessage((message: unknown) => {
        this.relay.handle(message).catch((error: unknown) => {
          this.output.error(`chat view: ${errorText(error)}`);
        });
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.relay.detach();
        }
      }),
    );
    webview.html = renderChatHtml({
      nonce: makeNonce(),
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.css")).toString(),
    });
  }

  /** Shows the view (creating its page if needed) without stealing focus from the editor. */
  async reveal(): Promise<void> {
    if (this.view) {
      this.view.show(true);
      return;
    }
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
