// The conversation: messages drawn from the store's items, a turn streaming into the last answer, and
// stored transcripts (m2/session's DisplayTurn list) turned into items.

import type { ChatDelta, ChatResult, DisplayTurn, TurnOrigin } from "../protocol";
import { el, icon } from "./dom";
import { clip, firstLine, formatDuration } from "./format";
import { renderMarkdown } from "./markdown";
import type { AssistantStatus, Item, Part, Store } from "./state";
import { fillToolCard } from "./toolCard";

type Assistant = Extract<Item, { t: "assistant" }>;
type User = Extract<Item, { t: "user" }>;
type Thinking = Extract<Part, { t: "thinking" }>;
type Tool = Extract<Part, { t: "tool" }>;

const ORIGIN_HINT: Record<TurnOrigin, string> = { chat: "", codeAction: "from a code action", command: "from a command" };
export const UNANSWERED_TEXT = "No answer — the request failed or was stopped before M2 replied";
const NOT_SENT_TEXT: Partial<Record<AssistantStatus, string>> = {
  stopped: "Stopped — this partial answer is not sent back to M2",
  error: "Failed — this partial answer is not sent back to M2",
  incomplete: "Cut off — this partial answer is not sent back to M2",
  max_steps: "Stopped at the step limit — this partial answer is not sent back to M2",
};
const STATUS_TEXT: Partial<Record<AssistantStatus, string>> = {
  max_steps: "Stopped: the step limit was reached",
  incomplete: "Cut off: the answer is incomplete",
};

export class Transcript {
  private readonly itemNodes = new Map<Item, HTMLElement>();
  private readonly partNodes = new Map<Part, HTMLElement>();
  /** Thinking blocks the reader opened or closed: left as the reader set them. */
  private readonly toggled = new Set<Part>();
  private readonly dirty = new Set<Part>();
  private frameQueued = false;
  /** The answer being streamed. */
  private current: Assistant | null = null;

  constructor(
    private readonly store: Store,
    private readonly root: HTMLElement,
    private readonly emptyHint: HTMLElement,
    /** Called when a turn starts or ends (the composer enables and disables its buttons). */
    private readonly onRunning: () => void,
  ) {
    // A page reloaded mid-turn: the extension replays the turn (turnStarted and its deltas), so the
    // half-drawn copy kept in the state goes.
    const items = store.state.items;
    if (store.state.running) {
      const last = items[items.length - 1];
      if (last?.t === "assistant" && last.status === "running") {
        items.pop();
        if (items[items.length - 1]?.t === "user") items.pop();
      }
      store.state.running = false;
    }
    root.addEventListener("click", (e) => this.onClick(e));
  }

  get running(): boolean {
    return this.store.state.running;
  }

  // --- drawing ----------------------------------------------------------------------------------

  renderAll(): void {
    this.itemNodes.clear();
    this.partNodes.clear();
    this.toggled.clear();
    for (const child of Array.from(this.root.children)) if (child !== this.emptyHint) child.remove();
    for (const item of this.store.state.items) this.root.appendChild(this.renderItem(item));
    this.emptyHint.hidden = this.store.state.items.length > 0;
    this.root.setAttribute("aria-busy", String(this.running));
    this.scrollToEnd();
  }

  private renderItem(item: Item): HTMLElement {
    let node: HTMLElement;
    switch (item.t) {
      case "user": {
        node = el("article", "msg msg-user");
        node.appendChild(el("h3", "visually-hidden speaker", "You"));
        node.appendChild(el("div", "bubble", item.text));
        this.fillUser(node, item);
        break;
      }
      case "context": {
        node = el("details", "msg msg-context");
        const summary = el("summary", null, "Editor context");
        if (item.source) summary.appendChild(el("span", "context-source", " · " + item.source));
        node.appendChild(summary);
        node.appendChild(el("pre", "context-text", item.text));
        break;
      }
      case "compaction": {
        node = el("details", "msg msg-compaction");
        node.appendChild(el("summary", null, "Earlier turns summarised"));
        const body = el("div", "markdown");
        body.innerHTML = renderMarkdown(item.summary); // escaped by renderMarkdown
        node.appendChild(body);
        break;
      }
      case "assistant": {
        node = el("article", "msg msg-assistant");
        node.appendChild(el("h3", "visually-hidden speaker", "M2"));
        const parts = el("div", "parts");
        node.appendChild(parts);
        this.itemNodes.set(item, node);
        for (const part of item.parts) parts.appendChild(this.renderPart(part));
        const working = el("div", "working");
        working.setAttribute("aria-hidden", "true");
        node.appendChild(working);
        node.appendChild(el("div", "status-line"));
        break;
      }
    }
    if ("summarised" in item && item.summarised) node.classList.add("summarised");
    this.itemNodes.set(item, node);
    if (item.t === "assistant") this.updateStatus(item);
    return node;
  }

  private fillUser(node: HTMLElement, item: User): void {
    node.querySelector(".origin-hint")?.remove();
    node.querySelector(".unanswered")?.remove();
    const hint = item.origin ? ORIGIN_HINT[item.origin] : "";
    if (hint) node.appendChild(el("div", "origin-hint", hint));
    if (item.unanswered) {
      const mark = el("div", "unanswered");
      mark.appendChild(icon("circle-slash"));
      mark.appendChild(el("span", null, UNANSWERED_TEXT));
      node.appendChild(mark);
    }
  }

  private updateStatus(item: Assistant): void {
    const node = this.itemNodes.get(item);
    if (!node) return;
    const running = item.status === "running";
    node.classList.toggle("running", running);
    node.querySelector<HTMLElement>(".working")!.hidden = !(running && !hasVisibleWork(item));
    const line = node.querySelector<HTMLElement>(".status-line")!;
    line.textContent = "";
    line.className = `status-line status-${item.status}`;
    const notSent = item.notSent === true && hasVisibleWork(item) ? NOT_SENT_TEXT[item.status] ?? NOT_SENT_TEXT.incomplete : undefined;
    if (notSent) {
      line.classList.add("not-sent");
      line.appendChild(icon("debug-stop"));
      line.appendChild(el("span", null, notSent));
    } else {
      const text = STATUS_TEXT[item.status];
      if (text) line.appendChild(el("span", null, text));
    }
    line.hidden = line.childElementCount === 0;
  }

  private renderPart(part: Part): HTMLElement {
    let node: HTMLElement;
    if (part.t === "thinking") {
      const details = el("details", "thinking");
      details.appendChild(el("summary", "thinking-summary"));
      details.appendChild(el("div", "thinking-text"));
      details.open = !part.done; // visible while it streams
      details.querySelector("summary")!.addEventListener("click", () => this.toggled.add(part));
      node = details;
    } else if (part.t === "text") {
      node = el("div", "markdown answer-text");
    } else {
      node = el("div", "tool-card");
    }
    this.partNodes.set(part, node);
    this.fillPart(part);
    return node;
  }

  private fillPart(part: Part): void {
    const node = this.partNodes.get(part);
    if (!node) return;
    if (part.t === "thinking") {
      const summary = node.querySelector(".thinking-summary")!;
      summary.textContent = "";
      summary.appendChild(icon(part.done ? "lightbulb" : "loading", part.done ? "" : "codicon-modifier-spin"));
      const label = part.done ? (part.ms ? `M2 thought for ${formatDuration(part.ms)}` : "M2 thought") : "M2 is thinking…";
      summary.appendChild(el("span", "thinking-label", label));
      node.classList.toggle("streaming", !part.done);
      node.querySelector(".thinking-text")!.textContent = part.text;
    } else if (part.t === "text") {
      node.innerHTML = renderMarkdown(part.text); // escaped by renderMarkdown
    } else {
      fillToolCard(node, part);
    }
  }

  private nearBottom(): boolean {
    return this.root.scrollHeight - this.root.scrollTop - this.root.clientHeight < 48;
  }

  private scrollToEnd(): void {
    this.root.scrollTop = this.root.scrollHeight;
  }

  private append(item: Item): void {
    const stick = this.nearBottom();
    this.store.state.items.push(item);
    this.root.appendChild(this.renderItem(item));
    this.emptyHint.hidden = true;
    if (stick || item.t === "user") this.scrollToEnd();
    this.store.save();
  }

  // --- clicks: code block buttons ---------------------------------------------------------------

  private onClick(e: MouseEvent): void {
    const target = e.target instanceof Element ? e.target : null;
    const button = target?.closest<HTMLButtonElement>("button.code-copy, button.code-insert");
    if (!button) return;
    const code = button.closest(".md-code")?.querySelector("pre > code")?.textContent ?? "";
    const copy = button.classList.contains("code-copy");
    this.store.post(copy ? { type: "copy", text: code } : { type: "insert", text: code });
    if (copy) {
      // A moment of feedback: the icon becomes a tick.
      const glyph = button.querySelector(".codicon");
      glyph?.classList.replace("codicon-copy", "codicon-check");
      button.setAttribute("aria-label", "Copied");
      setTimeout(() => {
        glyph?.classList.replace("codicon-check", "codicon-copy");
        button.setAttribute("aria-label", "Copy code");
      }, 1500);
    }
  }

  // --- streaming --------------------------------------------------------------------------------

  private markDirty(part: Part): void {
    this.dirty.add(part);
    if (!this.frameQueued) {
      this.frameQueued = true;
      requestAnimationFrame(() => this.flushDirty());
    }
  }

  private flushDirty(): void {
    this.frameQueued = false;
    if (!this.dirty.size) return;
    const stick = this.nearBottom();
    for (const part of this.dirty) this.fillPart(part);
    this.dirty.clear();
    if (this.current) this.updateStatus(this.current);
    if (stick) this.scrollToEnd();
    this.store.save();
  }

  private setRunning(running: boolean): void {
    this.store.state.running = running;
    this.root.setAttribute("aria-busy", String(running));
    this.onRunning();
  }

  private ensureCurrent(): Assistant {
    if (!this.current) {
      this.current = { t: "assistant", status: "running", parts: [] };
      this.append(this.current);
      if (!this.running) this.setRunning(true);
    }
    return this.current;
  }

  private addPart(item: Assistant, part: Part): Part {
    item.parts.push(part);
    const stick = this.nearBottom();
    this.itemNodes.get(item)?.querySelector(".parts")?.appendChild(this.renderPart(part));
    this.updateStatus(item);
    if (stick) this.scrollToEnd();
    return part;
  }

  private finishThinking(item: Assistant): void {
    for (const p of item.parts) {
      if (p.t !== "thinking" || p.done) continue;
      p.done = true;
      if (p.startedAt !== undefined) p.ms = Date.now() - p.startedAt;
      const node = this.partNodes.get(p);
      if (node instanceof HTMLDetailsElement && !this.toggled.has(p)) node.open = false; // one line once done
      this.markDirty(p);
    }
  }

  private findTool(id: string): Tool | null {
    const items = this.store.state.items;
    for (let k = items.length - 1; k >= 0; k--) {
      const it = items[k]!;
      if (it.t !== "assistant") continue;
      for (const p of it.parts) if (p.t === "tool" && p.id === id) return p;
    }
    return null;
  }

  delta(d: ChatDelta): void {
    const state = this.store.state;
    // A turn of another session (e.g. a code action's) is not drawn over the one shown here.
    if (!this.running && d.sessionId && state.current && d.sessionId !== state.current) return;
    if (d.kind === "usage") return; // composer.ts shows usage
    const item = this.ensureCurrent();
    const last = item.parts[item.parts.length - 1];
    if (d.kind === "thinking") {
      let part = last;
      if (part?.t !== "thinking" || part.done) {
        part = this.addPart(item, { t: "thinking", text: "", done: false, startedAt: Date.now() });
      }
      (part as Thinking).text += d.text ?? "";
      this.markDirty(part);
    } else if (d.kind === "text") {
      this.finishThinking(item);
      let part = last;
      if (part?.t !== "text") part = this.addPart(item, { t: "text", text: "" });
      (part as Extract<Part, { t: "text" }>).text += d.text ?? "";
      this.markDirty(part);
    } else if ((d.kind === "toolStart" || d.kind === "toolEnd") && d.tool) {
      this.finishThinking(item);
      const args = d.tool.arguments ?? {};
      let part = d.tool.id ? this.findTool(d.tool.id) : null;
      if (!part) {
        part = this.addPart(item, { t: "tool", id: d.tool.id, name: d.tool.name, args, state: "running", summary: "" }) as Tool;
      } else if (Object.keys(args).length) {
        part.args = args; // a toolEnd without arguments keeps the start's
      }
      if (d.kind === "toolEnd") {
        part.state = d.tool.ok === false ? "failed" : "ok";
        part.summary = d.tool.summary ?? "";
      }
      this.markDirty(part);
    }
  }

  private endCurrent(status: AssistantStatus, notSent: boolean): void {
    const item = this.current;
    this.current = null;
    if (item) {
      this.finishThinking(item);
      for (const p of item.parts) {
        if (p.t === "tool" && p.state === "running") {
          p.state = "unknown";
          this.markDirty(p);
        }
      }
      item.status = status;
      item.notSent = notSent;
      for (const p of this.dirty) this.fillPart(p); // the final text renders now, not next frame
      this.dirty.clear();
      if (status !== "done" && !hasVisibleWork(item)) {
        // Nothing arrived: no empty answer; the question is marked unanswered instead.
        const items = this.store.state.items;
        const at = items.indexOf(item);
        if (at !== -1) items.splice(at, 1);
        this.itemNodes.get(item)?.remove();
        this.itemNodes.delete(item);
        const user = items[at - 1];
        if (user?.t === "user") {
          user.unanswered = true;
          const node = this.itemNodes.get(user);
          if (node) this.fillUser(node, user);
        }
      } else {
        this.updateStatus(item);
      }
    }
    this.setRunning(false);
    this.store.save();
  }

  turnStarted(prompt: string, origin: TurnOrigin): void {
    if (this.current) this.endCurrent("incomplete", true);
    const items = this.store.state.items;
    const last = items[items.length - 1];
    if (last?.t === "user" && last.unanswered && last.text === prompt) {
      // The stored transcript already holds this prompt (fetched as the turn began): answer it.
      last.unanswered = false;
      last.origin = origin;
      const node = this.itemNodes.get(last);
      if (node) this.fillUser(node, last);
    } else {
      this.append({ t: "user", text: prompt, origin });
    }
    this.current = null;
    this.ensureCurrent();
    this.setRunning(true);
    this.scrollToEnd();
  }

  turnEnded(result: ChatResult): void {
    const item = this.current;
    if (!item) return; // already ended (an error card ends a turn the server never finished)
    if (result.text && !item.parts.some((p) => p.t === "text")) {
      this.addPart(item, { t: "text", text: result.text }); // nothing was streamed: the final text
    }
    const status: AssistantStatus =
      result.stopReason === "cancelled"
        ? "stopped"
        : result.stopReason === "error"
          ? "error"
          : result.stopReason === "max_steps"
            ? "max_steps"
            : result.incomplete
              ? "incomplete"
              : "done";
    this.endCurrent(status, result.incomplete === true);
  }

  /** A failure reported as an error card ends the running turn: its request will not answer. */
  failRunning(): void {
    if (this.current) this.endCurrent("error", true);
    else if (this.running) this.setRunning(false);
  }

  load(turns: DisplayTurn[]): void {
    this.current = null;
    this.dirty.clear();
    this.store.state.items = turnsToItems(turns);
    this.setRunning(false);
    this.renderAll();
    this.store.save();
  }

  clear(): void {
    this.load([]);
  }
}

function hasVisibleWork(item: Assistant): boolean {
  return item.parts.some((p) => p.t === "tool" || p.text.trim() !== "");
}

/** A stored transcript as items: consecutive model turns and their tool results make one answer. */
export function turnsToItems(turns: DisplayTurn[]): Item[] {
  const items: Item[] = [];
  const tools = new Map<string, Tool>();
  let answer: Assistant | null = null;
  const newAnswer = (summarised: boolean): Assistant => {
    const a: Assistant = { t: "assistant", status: "done", parts: [], summarised };
    items.push(a);
    return a;
  };
  for (const turn of turns) {
    const summarised = turn.summarised === true;
    switch (turn.kind) {
      case "user":
        answer = null;
        items.push({ t: "user", text: turn.text ?? "", summarised });
        break;
      case "context":
        answer = null;
        items.push({ t: "context", text: turn.text ?? "", source: turn.source ?? "", summarised });
        break;
      case "compaction":
        answer = null;
        items.push({ t: "compaction", summary: turn.summary ?? "" });
        break;
      case "assistant": {
        answer ??= newAnswer(summarised);
        for (const b of turn.blocks ?? []) {
          if (b.type === "thinking") answer.parts.push({ t: "thinking", text: b.text, done: true });
          else if (b.type === "text") answer.parts.push({ t: "text", text: b.text });
          else {
            const part: Tool = { t: "tool", id: b.id, name: b.name, args: b.arguments, state: "unknown", summary: "" };
            tools.set(b.id, part);
            answer.parts.push(part);
          }
        }
        if (turn.incomplete) {
          answer.notSent = true;
          answer.status = turn.stopReason === "cancelled" ? "stopped" : turn.stopReason === "error" ? "error" : "incomplete";
        } else {
          answer.status = turn.stopReason === "max_steps" ? "max_steps" : "done";
        }
        break;
      }
      case "tool_results":
        for (const r of turn.results ?? []) {
          let part = tools.get(r.toolCallId);
          if (!part) {
            answer ??= newAnswer(summarised);
            part = { t: "tool", id: r.toolCallId, name: r.name, args: {}, state: "unknown", summary: "" };
            answer.parts.push(part);
          }
          part.state = r.isError ? "failed" : "ok";
          part.summary = clip(firstLine(r.content), 300);
          part.output = clip(r.content, 6000);
        }
        break;
    }
  }
  // A question with no answer after it (the request failed, or was stopped before M2 replied).
  items.forEach((item, k) => {
    if (item.t !== "user" || item.summarised) return;
    let next = items[k + 1];
    for (let j = k + 2; next?.t === "context"; j++) next = items[j];
    if (next === undefined || next.t === "user") item.unanswered = true;
  });
  return items;
}
