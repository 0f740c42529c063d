// The chat view (`m2bridge.chat` in the M2 activity-bar container): a webview showing media/chat.js,
// with the ChatRelay between it and the language server.

import * as vscode from "vscode";

import { makeNonce, renderChatHtml } from "./chatHtml";
import { type ChatRelay, errorText } from "./chatRelay";

export const CHAT_VIEW_ID = "m2bridge.chat";

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly relay: ChatRelay,
    private readonly output: vscode.LogOutputChannel,
  ) {}

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
