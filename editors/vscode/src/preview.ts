/**
 * Review before apply: a proposed edit shown as a diff, accepted or rejected.
 *
 * The extension declares `experimental.mycoder.editPreview`, so the server
 * answers fix/modify/ask with a proposal (`applied: false`, `proposal: {id,
 * uri, version, label, new_text, edits, warnings, related}`) instead of
 * applying it. Here the new text is served read-only under the
 * `mycoder-proposal:` scheme and opened with `vscode.diff` against the file;
 * a notification, the diff's title bar and Ctrl+Alt+M Y / N accept or reject
 * it. Accepting runs the server's `mycoder.acceptEdit`, which applies the
 * edit itself (workspace/applyEdit) if the file has not changed meanwhile.
 * This module never edits the file.
 */
import * as vscode from "vscode";
import type { LanguageClient, StaticFeature } from "vscode-languageclient/node";

export const PROPOSAL_SCHEME = "mycoder-proposal";
/** Context key: a proposal waits for the user (keybindings). */
const PENDING_CONTEXT = "mycoder.hasProposal";

/** What the server sends (see mycoder_lsp/server/proposals.py). */
export interface Proposal {
  id: string;
  uri: string;
  version: number | null;
  label: string;
  new_text: string;
  warnings?: string[];
  /** Edits in other files (callers of what changed), applied with this one. */
  related?: { path?: string }[];
}

/** The result of a brain command that proposed an edit. */
export function proposalOf(result: unknown): Proposal | undefined {
  if (typeof result !== "object" || result === null) {
    return undefined;
  }
  const { kind, applied, proposal } = result as { kind?: string; applied?: boolean; proposal?: Proposal };
  return kind === "edit" && applied === false && proposal && typeof proposal.id === "string" ? proposal : undefined;
}

/** Declares that this client shows proposals (initialize's capabilities). */
export const previewCapability: StaticFeature = {
  fillClientCapabilities(capabilities) {
    const experimental = (capabilities.experimental ?? {}) as Record<string, unknown>;
    const mycoder = (experimental.mycoder ?? {}) as Record<string, unknown>;
    capabilities.experimental = { ...experimental, mycoder: { ...mycoder, editPreview: true } };
  },
  initialize() {},
  getState() {
    return { kind: "static" };
  },
  clear() {},
};

interface Shown {
  proposal: Proposal;
  client: LanguageClient;
}

/** Runs a server command and logs its answer (the session's execute + describeResult). */
export type ServerCommand = (client: LanguageClient, command: string, args: unknown[]) => Promise<unknown>;

export class EditPreviews implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly shown = new Map<string, Shown>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly run: ServerCommand) {
    this.disposables.push(vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.shown.get(uri.query)?.proposal.new_text ?? "";
  }

  /** The read-only document of a proposal: the file's path (so its language is known), the id as query. */
  private previewUri(proposal: Proposal): vscode.Uri {
    return vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: vscode.Uri.parse(proposal.uri).path, query: proposal.id });
  }

  /** Show `proposal` as a diff and ask: Accept or Reject. */
  async show(client: LanguageClient, proposal: Proposal): Promise<void> {
    this.shown.set(proposal.id, { proposal, client });
    void vscode.commands.executeCommand("setContext", PENDING_CONTEXT, true);
    const file = vscode.Uri.parse(proposal.uri);
    const name = file.path.split("/").pop() ?? file.path;
    await vscode.commands.executeCommand("vscode.diff", file, this.previewUri(proposal),
      `${name} ↔ MyCoder's proposal`, { preview: false });
    for (const warning of proposal.warnings ?? []) {
      void vscode.window.showWarningMessage(`MyCoder: ${warning}`);
    }
    const others = (proposal.related ?? []).map((related) => related.path).filter((p): p is string => !!p)
      .map((p) => vscode.workspace.asRelativePath(p));
    const also = others.length > 0 ? ` Accepting also changes ${others.join(", ")}.` : "";
    const choice = await vscode.window.showInformationMessage(
      `MyCoder: ${proposal.label} — review the diff.${also}`, "Accept", "Reject");
    // Decided elsewhere meanwhile (title bar, keys): nothing more to do.
    if (choice && this.shown.has(proposal.id)) {
      await this.decide(choice === "Accept" ? "mycoder.acceptEdit" : "mycoder.rejectEdit", proposal.id);
    }
  }

  /** The proposal in the active editor, else the newest. */
  private current(): string | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === PROPOSAL_SCHEME && this.shown.has(active.query)) {
      return active.query;
    }
    return [...this.shown.keys()].pop();
  }

  accept(): Promise<void> {
    return this.decide("mycoder.acceptEdit", this.current());
  }

  reject(): Promise<void> {
    return this.decide("mycoder.rejectEdit", this.current());
  }

  private async decide(command: string, id: string | undefined): Promise<void> {
    const shown = id === undefined ? undefined : this.shown.get(id);
    if (!shown || id === undefined) {
      void vscode.window.showInformationMessage("MyCoder: no proposed edit to accept or reject.");
      return;
    }
    this.shown.delete(id);
    void vscode.commands.executeCommand("setContext", PENDING_CONTEXT, this.shown.size > 0);
    await this.closeDiff(id);
    // The server applies (or refuses, when the file changed) and says so.
    await this.run(shown.client, command, [id]);
  }

  private async closeDiff(id: string): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) =>
      tab.input instanceof vscode.TabInputTextDiff
      && tab.input.modified.scheme === PROPOSAL_SCHEME && tab.input.modified.query === id);
    if (tabs.length > 0) {
      await vscode.window.tabGroups.close(tabs);
    }
  }

  /** The server went away: its proposals cannot be accepted any more. */
  async clear(): Promise<void> {
    const ids = [...this.shown.keys()];
    this.shown.clear();
    void vscode.commands.executeCommand("setContext", PENDING_CONTEXT, false);
    for (const id of ids) {
      await this.closeDiff(id);
    }
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
