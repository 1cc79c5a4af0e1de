/**
 * The status bar item: the server's state, and which brain is at work.
 *
 * Work comes from two places: a command the extension is running (known as
 * soon as it is sent), and the server's `$/progress` (a model generating, the
 * vault indexing). The latest work still running is shown. This module only
 * renders; it must not talk to the server.
 */
import * as vscode from "vscode";

export type ServerState = "starting" | "running" | "stopped" | "failed";

interface Work {
  title: string;
  message?: string;
  percentage?: number;
}

export class ServerStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: ServerState = "stopped";
  private detail = "";
  private readonly work = new Map<string, Work>();

  constructor(showOutputCommand: string) {
    this.item = vscode.window.createStatusBarItem("mycoder.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "MyCoder";
    this.item.command = showOutputCommand;
    this.render();
    this.item.show();
  }

  setState(state: ServerState, detail = ""): void {
    this.state = state;
    this.detail = detail;
    if (state !== "running") {
      this.work.clear();
    }
    this.render();
  }

  beginWork(key: string, title: string, message?: string, percentage?: number): void {
    // Re-inserting moves the entry last, so the newest work is the one shown.
    this.work.delete(key);
    this.work.set(key, { title, message, percentage });
    this.render();
  }

  reportWork(key: string, message?: string, percentage?: number): void {
    const work = this.work.get(key);
    if (work) {
      work.message = message ?? work.message;
      work.percentage = percentage ?? work.percentage;
      this.render();
    }
  }

  endWork(key: string): void {
    this.work.delete(key);
    this.render();
  }

  private render(): void {
    const current = [...this.work.values()].pop();
    this.item.backgroundColor = undefined;
    if (current && this.state === "running") {
      const percent = current.percentage !== undefined ? ` ${Math.round(current.percentage)}%` : "";
      const message = current.message ? ` — ${current.message}` : "";
      this.item.text = `$(loading~spin) MyCoder: ${current.title}${message}${percent}`;
      this.item.tooltip = [current.title, current.message].filter(Boolean).join(" — ");
      return;
    }
    switch (this.state) {
      case "starting":
        this.item.text = "$(loading~spin) MyCoder";
        this.item.tooltip = "MyCoder: starting the server";
        break;
      case "running":
        this.item.text = "$(check) MyCoder";
        this.item.tooltip = `MyCoder: ready${this.detail ? ` (${this.detail})` : ""} — click for the output`;
        break;
      case "failed":
        this.item.text = "$(error) MyCoder";
        this.item.tooltip = `MyCoder: ${this.detail || "the server is not running"} — click for the output`;
        this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
        break;
      case "stopped":
        this.item.text = "$(circle-slash) MyCoder";
        this.item.tooltip = "MyCoder: the server is stopped";
        break;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
