// The session picker (the current session, and any other to open) and the New button. The list is
// refreshed whenever the picker gets focus, so it needs no refresh button of its own.

import type { SessionSummary } from "../protocol";
import { el } from "./dom";
import { clip, formatDate } from "./format";
import type { Store } from "./state";

export class SessionPicker {
  constructor(
    private readonly store: Store,
    private readonly picker: HTMLSelectElement,
    newButton: HTMLButtonElement,
  ) {
    newButton.addEventListener("click", () => store.post({ type: "newSession" }));
    picker.addEventListener("focus", () => store.post({ type: "refreshSessions" }));
    picker.addEventListener("change", () => {
      const id = picker.value;
      if (id && id !== store.state.current) store.post({ type: "openSession", id });
    });
  }

  update(sessions: SessionSummary[], current: string | null): void {
    this.store.state.sessions = sessions;
    this.store.state.current = current;
    this.render();
    this.store.save();
  }

  render(): void {
    const { sessions, current } = this.store.state;
    this.picker.textContent = "";
    if (!sessions.some((s) => s.id === current)) {
      const opt = el("option", null, current ? "Current session" : "New session");
      opt.value = current ?? "";
      opt.selected = true;
      this.picker.appendChild(opt);
    }
    for (const s of sessions) {
      const title = s.title.trim() ? clip(s.title.trim(), 80) : "Untitled";
      const date = formatDate(s.updated);
      const opt = el("option", null, title + (date ? " · " + date : ""));
      opt.value = s.id;
      opt.title = [s.title || "Untitled", s.workspace, `${s.turns} turns`].filter(Boolean).join("\n");
      if (s.id === current) opt.selected = true;
      this.picker.appendChild(opt);
    }
  }
}
