// The chat webview's HTML. A pure module (no `vscode` import) so tests can render the real page.
// Everything the page runs comes from media/chat.js (nonce-tagged; built from src/page/ by
// scripts/build.mjs) and media/chat.css (with the codicon font beside it, from the extension, which
// `font-src cspSource` allows); no inline script or style, and the CSP allows nothing remote.

import { randomBytes } from "node:crypto";

export interface ChatHtmlOptions {
  /** The per-render nonce the one script tag carries (see makeNonce). */
  nonce: string;
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(<extension>/media/chat.js)` as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(<extension>/media/chat.css)` as a string. */
  styleUri: string;
}

const NONCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A fresh 32-character alphanumeric nonce from the crypto RNG (rejection-sampled, so unbiased). */
export function makeNonce(): string {
  let out = "";
  while (out.length < 32) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && out.length < 32) out += NONCE_ALPHABET[byte % 62]; // 248 = 4 * 62
    }
  }
  return out;
}

function attr(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/"/g, "&quot;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** The whole page: CSP, stylesheet, static skeleton and the one script.
 *
 * Tab order follows the DOM: the session picker and New, the conversation (its links, code buttons,
 * thinking toggles), error cards, then the prompt, Send and Stop. The view's title bar has New
 * Session, Resume Session and Open in Terminal; the page keeps only the picker (the current session
 * at a glance) and New beside it, and no refresh button (the list refreshes when the picker is
 * focused). */
export function renderChatHtml(o: ChatHtmlOptions): string {
  const csp =
    `default-src 'none'; img-src ${o.cspSource} data:; style-src ${o.cspSource}; ` +
    `script-src 'nonce-${o.nonce}'; font-src ${o.cspSource};`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>m2bridge chat</title>
</head>
<body>
<div class="app">
  <header class="toolbar" role="toolbar" aria-label="Session">
    <label class="visually-hidden" for="session-picker">Session</label>
    <select id="session-picker" class="session-picker" title="Open a session">
      <option value="" selected>New session</option>
    </select>
    <button id="new-session" class="icon-button" type="button" title="New session" aria-label="New session"><span class="codicon codicon-add" aria-hidden="true"></span></button>
  </header>
  <main id="transcript" class="transcript" role="log" aria-live="polite" aria-label="Conversation" tabindex="0">
    <div id="empty-hint" class="empty-hint">Ask M2 about this workspace.</div>
  </main>
  <div id="alerts" class="alerts" hidden></div>
  <footer class="composer">
    <div id="usage" class="usage" aria-live="off"></div>
    <form id="composer-form" class="composer-form">
      <label class="visually-hidden" for="prompt">Message M2</label>
      <textarea id="prompt" class="prompt" rows="3" placeholder="Ask M2… (Enter to send, Shift+Enter for a new line)"></textarea>
      <div class="composer-buttons">
        <button id="send" class="primary icon-only" type="submit" title="Send (Enter)" aria-label="Send" disabled><span class="codicon codicon-send" aria-hidden="true"></span></button>
        <button id="stop" class="secondary icon-only" type="button" title="Stop (Esc)" aria-label="Stop" aria-keyshortcuts="Escape" disabled><span class="codicon codicon-debug-stop" aria-hidden="true"></span></button>
      </div>
    </form>
  </footer>
</div>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
