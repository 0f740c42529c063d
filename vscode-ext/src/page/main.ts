// The chat view's page, bundled by scripts/build.mjs into media/chat.js (an IIFE the webview loads
// with a nonce). Messages follow src/protocol.ts: ToPage arrives as window "message" events, FromPage
// goes out through the webview API. This module wires the parts together and dispatches messages.

import type { ToPage } from "../protocol";
import { Alerts } from "./alerts";
import { Composer } from "./composer";
import { byId } from "./dom";
import { isWebLink, renderMarkdown } from "./markdown";
import { SessionPicker } from "./sessions";
import { Store } from "./state";
import { Transcript } from "./transcript";

const store = new Store();

// Outside VS Code none of its theme variables exist: the stylesheet then supplies a theme of its own.
if (!getComputedStyle(document.documentElement).getPropertyValue("--vscode-foreground").trim()) {
  document.documentElement.classList.add("standalone");
}

const composer = new Composer(
  store,
  byId("composer-form", HTMLFormElement),
  byId("prompt", HTMLTextAreaElement),
  byId("send", HTMLButtonElement),
  byId("stop", HTMLButtonElement),
  byId("usage", HTMLElement),
);
const sessions = new SessionPicker(store, byId("session-picker", HTMLSelectElement), byId("new-session", HTMLButtonElement));
const alerts = new Alerts(store, byId("alerts", HTMLElement));
const transcript = new Transcript(store, byId("transcript", HTMLElement), byId("empty-hint", HTMLElement), () => composer.update());

// Links never navigate the webview: an http(s) link asks the extension to open it in the browser.
function onLinkClick(e: MouseEvent): void {
  const link = e.target instanceof Element ? e.target.closest("a") : null;
  if (!link) return;
  e.preventDefault();
  const href = link.getAttribute("href") ?? "";
  if (e.type === "click" && isWebLink(href)) store.post({ type: "openLink", href });
}
document.addEventListener("click", onLinkClick);
document.addEventListener("auxclick", onLinkClick);

function handle(msg: ToPage): void {
  switch (msg.type) {
    case "sessions":
      sessions.update(msg.sessions, msg.current);
      break;
    case "transcript":
      store.state.current = msg.session.id;
      transcript.load(msg.session.turns);
      composer.setContextTokens(msg.session.contextTokens);
      sessions.render();
      break;
    case "cleared":
      store.state.current = null;
      transcript.clear();
      composer.setContextTokens(null);
      sessions.render();
      break;
    case "turnStarted":
      transcript.turnStarted(msg.prompt, msg.origin);
      break;
    case "delta":
      if (msg.delta.kind === "usage") composer.usageDelta(msg.delta);
      else transcript.delta(msg.delta);
      break;
    case "turnEnded":
      transcript.turnEnded(msg.result);
      // A stopped turn reports 0: keep the last figure the usage deltas gave.
      if (typeof msg.result.contextTokens === "number" && msg.result.contextTokens > 0) {
        composer.setContextTokens(msg.result.contextTokens);
      }
      break;
    case "error":
      alerts.show(msg.error);
      transcript.failRunning(); // a failed request may never end its turn
      break;
    case "errorCleared":
      alerts.clear(msg.id);
      break;
    case "notice":
      alerts.notice(msg.message);
      break;
    default: {
      const unknown: never = msg; // a new ToPage message must be handled here (tsc checks)
      void unknown;
    }
  }
  store.save();
}

window.addEventListener("message", (event: MessageEvent<unknown>) => {
  const msg = event.data;
  if (typeof msg !== "object" || msg === null || typeof (msg as { type?: unknown }).type !== "string") return;
  try {
    handle(msg as ToPage);
  } catch (error) {
    console.error("chat page: could not handle", (msg as { type: string }).type, error);
  }
});

// For the page tests: the markdown renderer on its own.
(window as unknown as { m2RenderMarkdown: typeof renderMarkdown }).m2RenderMarkdown = renderMarkdown;

transcript.renderAll();
sessions.render();
composer.renderUsage();
composer.update();
store.post({ type: "ready" });
