// Error cards and notices, in their own region between the conversation and the composer, so a
// failure stays in view however far the conversation scrolls. One card per failure (ErrorCard.id):
// a new card with the same id replaces the old one, `errorCleared` removes it. Nothing raw is shown:
// the card has the extension's title and detail, never the error code.

import type { ErrorAction, ErrorCard } from "../protocol";
import { el, icon } from "./dom";
import type { Store } from "./state";

const ACTION_LABEL: Record<ErrorAction, string> = {
  setApiKey: "Set API Key",
  openSettings: "Open Settings",
  retry: "Retry",
  copyDetails: "Copy Details",
  showLog: "Show Log",
};
const ACTION_ICON: Record<ErrorAction, string> = {
  setApiKey: "key",
  openSettings: "settings-gear",
  retry: "refresh",
  copyDetails: "copy",
  showLog: "output",
};
const NOTICE_MS = 8000;

/** `text` into `node`, its `code spans` as <code> (a command or a setting value, as the extension writes
 * them), the backticks dropped; everything else stays text (textContent only). */
export function withCode<T extends HTMLElement>(node: T, text: string): T {
  text.split(/`([^`\n]+)`/).forEach((piece, k) => {
    if (piece === "") return;
    node.appendChild(k % 2 === 1 ? el("code", "error-code", piece) : document.createTextNode(piece));
  });
  return node;
}

export class Alerts {
  private readonly cards = new Map<string, HTMLElement>();

  constructor(
    private readonly store: Store,
    private readonly root: HTMLElement,
  ) {
    root.addEventListener("click", (e) => {
      const button = e.target instanceof Element ? e.target.closest<HTMLButtonElement>("button[data-action]") : null;
      const card = button?.closest<HTMLElement>(".msg-error");
      const id = card?.dataset["errorId"];
      const action = button?.dataset["action"] as ErrorAction | undefined;
      if (id !== undefined && action !== undefined && action in ACTION_LABEL) {
        this.store.post({ type: "errorAction", id, action });
      }
    });
  }

  show(card: ErrorCard): void {
    const node = el("section", "msg msg-error");
    node.setAttribute("role", "alert");
    node.dataset["errorId"] = card.id;
    const titleId = `error-title-${card.id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    node.setAttribute("aria-labelledby", titleId);
    node.appendChild(icon("error", "error-icon"));
    const body = el("div", "error-body");
    const title = el("div", "error-title", card.title || "Something went wrong");
    title.id = titleId;
    body.appendChild(title);
    if (card.detail) body.appendChild(withCode(el("div", "error-detail"), card.detail));
    if (card.traceId) body.appendChild(el("div", "error-trace", `Trace ID ${card.traceId}`));
    const actions = card.actions.filter((a) => a in ACTION_LABEL);
    if (actions.length) {
      const row = el("div", "error-actions");
      actions.forEach((action, k) => {
        const button = el("button", k === 0 ? "primary" : "secondary");
        button.type = "button";
        button.dataset["action"] = action;
        button.appendChild(icon(ACTION_ICON[action]));
        button.appendChild(el("span", null, ACTION_LABEL[action]));
        row.appendChild(button);
      });
      body.appendChild(row);
    }
    node.appendChild(body);
    const old = this.cards.get(card.id);
    if (old) old.replaceWith(node);
    else this.root.appendChild(node);
    this.cards.set(card.id, node);
    this.root.hidden = false;
  }

  clear(id: string): void {
    this.cards.get(id)?.remove();
    this.cards.delete(id);
    this.root.hidden = this.root.childElementCount === 0;
  }

  /** A transient line, e.g. "M2 is still answering". */
  notice(message: string): void {
    const node = el("div", "notice");
    node.setAttribute("role", "status");
    node.appendChild(icon("info"));
    node.appendChild(el("span", null, message));
    this.root.appendChild(node);
    this.root.hidden = false;
    setTimeout(() => {
      node.remove();
      this.root.hidden = this.root.childElementCount === 0;
    }, NOTICE_MS);
  }
}
