// A tool call as a card: status, name, arguments, and for edits a diff, for writes a preview, for
// commands the command line; then the result's summary and its output on demand.

import { el, icon } from "./dom";
import { clip, compactJson, lineDiff, splitLines } from "./format";
import type { Part, ToolState } from "./state";

type ToolPart = Extract<Part, { t: "tool" }>;

const STATE_LABEL: Record<ToolState, string> = { running: "running", ok: "done", failed: "failed", unknown: "no result" };
const STATE_ICON: Record<ToolState, string> = { running: "loading", ok: "check", failed: "error", unknown: "circle-slash" };
// Shown below the head instead of in the one-line arguments.
const BIG_ARGUMENTS = ["old_string", "new_string", "content", "command"];

export function fillToolCard(node: HTMLElement, part: ToolPart): void {
  node.textContent = "";
  node.className = `tool-card state-${part.state}`;
  node.dataset["toolId"] = part.id;
  node.dataset["toolName"] = part.name;
  const args = part.args;

  const head = el("div", "tool-head");
  const status = el("span", "tool-status");
  status.setAttribute("role", "img");
  status.setAttribute("aria-label", STATE_LABEL[part.state]);
  status.title = STATE_LABEL[part.state];
  status.appendChild(icon(STATE_ICON[part.state], part.state === "running" ? "codicon-modifier-spin" : ""));
  head.appendChild(status);
  head.appendChild(el("span", "tool-name", part.name || "tool"));

  const name = part.name;
  const shownArgs =
    name === "edit_file" || name === "write_file" || name === "run_command"
      ? Object.fromEntries(Object.entries(args).filter(([k]) => !BIG_ARGUMENTS.includes(k)))
      : args;
  const json = compactJson(shownArgs, 240);
  if (json && json !== "{}") {
    const argsNode = el("code", "tool-args", json);
    argsNode.title = compactJson(args, 2000);
    head.appendChild(argsNode);
  }
  node.appendChild(head);

  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  if (name === "edit_file" && (str(args["old_string"]) !== undefined || str(args["new_string"]) !== undefined)) {
    node.appendChild(renderDiff(str(args["old_string"]) ?? "", str(args["new_string"]) ?? ""));
  } else if (name === "write_file" && str(args["content"]) !== undefined) {
    const lines = splitLines(str(args["content"]) ?? "");
    const shown = lines.slice(0, 8);
    const pre = el("pre", "tool-preview");
    pre.appendChild(el("code", null, shown.join("\n")));
    node.appendChild(pre);
    if (lines.length > shown.length) node.appendChild(el("div", "tool-more", `… ${lines.length - shown.length} more lines`));
  } else if (name === "run_command" && args["command"] != null) {
    const pre = el("pre", "tool-command");
    pre.appendChild(el("span", "prompt-sign", "$ "));
    pre.appendChild(el("code", null, String(args["command"])));
    node.appendChild(pre);
  }

  if (part.summary) node.appendChild(el("div", "tool-summary", clip(part.summary, 400)));
  const output = part.output?.trim();
  if (output && output !== part.summary.trim()) {
    const details = el("details", "tool-output");
    details.appendChild(el("summary", null, "Output"));
    details.appendChild(el("pre", null, clip(part.output ?? "", 6000)));
    node.appendChild(details);
  }
}

function renderDiff(oldText: string, newText: string): HTMLElement {
  const MAX = 60;
  const rows = lineDiff(oldText, newText);
  const pre = el("pre", "tool-diff");
  pre.setAttribute("aria-label", "Changes");
  for (const r of rows.slice(0, MAX)) {
    const cls = r.op === "-" ? "diff-del" : r.op === "+" ? "diff-add" : "diff-ctx";
    const line = el("span", `diff-line ${cls}`);
    line.appendChild(el("span", "diff-sign", r.op));
    line.appendChild(document.createTextNode(r.t));
    pre.appendChild(line);
  }
  if (rows.length > MAX) pre.appendChild(el("span", "diff-line diff-more", `… ${rows.length - MAX} more lines`));
  return pre;
}
