// The status bar item: the current session's title and how full its context is; a click resumes another session.

import * as vscode from "vscode";

import { type StatusState, statusText, statusTooltip } from "./status";

export const RESUME_COMMAND = "m2bridge.resumeSession";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("m2bridge.status", vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = "m2bridge session";
    this.item.command = RESUME_COMMAND;
  }

  show(state: StatusState): void {
    this.item.text = statusText(state);
    this.item.tooltip = statusTooltip(state);
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
