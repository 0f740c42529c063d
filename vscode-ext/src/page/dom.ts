// Small DOM helpers. Model text reaches the page only as textContent (el's text) or through
// markdown.ts, which escapes it; nothing here takes HTML.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string | null,
  text?: string | null,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

/** A VS Code codicon (decorative: screen readers skip it; the control around it carries the label). */
export function icon(name: string, extra = ""): HTMLSpanElement {
  const node = el("span", `codicon codicon-${name}${extra ? " " + extra : ""}`);
  node.setAttribute("aria-hidden", "true");
  return node;
}

/** A text for screen readers only (e.g. the speaker of a message). */
export function srOnly(text: string): HTMLSpanElement {
  return el("span", "visually-hidden", text);
}

export function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`chat page: #${id} is missing`);
  return node;
}
