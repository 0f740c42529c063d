// The prompt box, Send and Stop, and the context usage line. Enter sends, Shift+Enter adds a line,
// Esc stops a running turn (from anywhere in the view). Send is disabled while the prompt is empty
// or a turn runs; Stop only while a turn runs.

import type { ChatDelta } from "../protocol";
import { formatTokens } from "./format";
import type { Store } from "./state";

export class Composer {
  constructor(
    private readonly store: Store,
    form: HTMLFormElement,
    private readonly prompt: HTMLTextAreaElement,
    private readonly send: HTMLButtonElement,
    private readonly stop: HTMLButtonElement,
    private readonly usageLine: HTMLElement,
  ) {
    prompt.value = store.state.draft;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    prompt.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    prompt.addEventListener("input", () => {
      store.state.draft = prompt.value;
      this.update();
      store.save();
    });
    stop.addEventListener("click", () => this.requestStop());
    // The view focused as a whole (its focus command, Ctrl+Alt+M) lands in the prompt box, not on the
    // page's body; a click on a control inside the page keeps its own focus.
    window.addEventListener("focus", () => {
      if (document.activeElement === document.body || document.activeElement === null) prompt.focus();
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !e.isComposing && store.state.running) {
        e.preventDefault();
        this.requestStop();
      }
    });
  }

  private requestStop(): void {
    if (this.store.state.running) this.store.post({ type: "stop" });
  }

  private submit(): void {
    const text = this.prompt.value;
    if (!text.trim() || this.store.state.running) return;
    this.store.post({ type: "send", prompt: text });
    this.prompt.value = "";
    this.store.state.draft = "";
    this.update();
    this.store.save();
  }

  /** Enables and disables the buttons for the prompt and the running state. */
  update(): void {
    const running = this.store.state.running;
    this.stop.disabled = !running;
    this.send.disabled = running || this.prompt.value.trim() === "";
  }

  usageDelta(d: ChatDelta): void {
    const u = this.store.state.usage;
    if (typeof d.contextTokens === "number") u.contextTokens = d.contextTokens;
    if (typeof d.contextWindow === "number") u.contextWindow = d.contextWindow;
    this.renderUsage();
    this.store.save();
  }

  setContextTokens(tokens: number | null): void {
    this.store.state.usage.contextTokens = tokens;
    this.renderUsage();
  }

  renderUsage(): void {
    const { contextTokens, contextWindow } = this.store.state.usage;
    this.usageLine.textContent = "";
    this.usageLine.classList.remove("usage-high");
    this.usageLine.removeAttribute("title");
    if (contextTokens === null) return;
    this.usageLine.textContent = `context ${formatTokens(contextTokens)}${contextWindow !== null ? " / " + formatTokens(contextWindow) : ""}`;
    if (contextWindow) {
      const ratio = contextTokens / contextWindow;
      this.usageLine.classList.toggle("usage-high", ratio >= 0.8);
      this.usageLine.title = `${Math.round(ratio * 100)}% of the context window in use`;
    }
  }
}
