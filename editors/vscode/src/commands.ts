/**
 * The palette and context-menu commands. Each one gathers what the editor
 * knows (file, selection, cursor, an instruction) and runs one of the
 * server's `mycoder.*` commands; the server does the work and applies edits
 * itself (workspace/applyEdit), once the user accepted them (preview.ts).
 * This module must not reimplement server logic.
 */
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";

import type { MyCoderSession } from "./extension";

/** What the status bar says while a server command runs (which brain works). */
export const SERVER_COMMAND_WORK: Record<string, string> = {
  "mycoder.ask": "organizer brain · routing the request",
  "mycoder.explain": "reasoning brain · explaining",
  "mycoder.review": "reasoning brain · reviewing",
  "mycoder.fix": "coding brain · fixing",
  "mycoder.modify": "coding brain · modifying",
  "mycoder.search": "searching memory",
  "mycoder.index": "indexing the workspace",
};

/** LSP shapes (vscode.Range serializes as an array, which the server would not read). */
interface LspPosition {
  line: number;
  character: number;
}

/** The argument every brain command takes (see the server's brain features). */
interface TargetArgument {
  uri?: string;
  range?: { start: LspPosition; end: LspPosition };
  position?: LspPosition;
  instruction?: string;
}

function lspPosition(position: vscode.Position): LspPosition {
  return { line: position.line, character: position.character };
}

interface BrainResult {
  kind?: string;
  message?: string;
}

interface SearchHit {
  path: string;
  uri?: string;
  name: string;
  kind: string;
  start_line: number;
  end_line: number;
  score: number;
}

interface FeatureEntry {
  id: string;
  title?: string;
  status?: string;
}

/**
 * Log a brain command's answer in the MyCoder output, where a long
 * explanation or review stays readable. The server has already shown it (or
 * its refusal) through window/showMessage, so nothing pops up twice.
 */
export function describeResult(output: vscode.LogOutputChannel, command: string, result: unknown): void {
  if (typeof result !== "object" || result === null || !("kind" in result)) {
    return;
  }
  const { kind, message } = result as BrainResult;
  const line = `${command} → ${kind}${message ? `: ${message}` : ""}`;
  if (kind === "error") {
    output.error(line);
  } else if (kind === "refused") {
    output.warn(line);
  } else {
    output.info(line);
  }
}

/** The question the user is asked for commands that need an instruction. */
const INSTRUCTION_PROMPTS: Record<string, { title: string; placeHolder: string }> = {
  "mycoder.ask": { title: "Ask MyCoder", placeHolder: "What do you want to know or change?" },
  "mycoder.modify": { title: "Modify with MyCoder", placeHolder: "e.g. add a docstring, handle an empty list" },
};

/**
 * Ask for the instruction a command needs and does not carry (a server code
 * action such as "Modify … with MyCoder…" cannot ask by itself). Returns the
 * arguments to send, or undefined when the user cancelled.
 */
export async function withInstruction(command: string, args: unknown[]): Promise<unknown[] | undefined> {
  const prompt = INSTRUCTION_PROMPTS[command];
  const first = args[0];
  if (!prompt || typeof first !== "object" || first === null || String((first as TargetArgument).instruction ?? "").trim()) {
    return args;
  }
  const instruction = await vscode.window.showInputBox({ ...prompt, ignoreFocusOut: true });
  if (!instruction?.trim()) {
    return undefined;
  }
  return [{ ...first, instruction }, ...args.slice(1)];
}

/** The file, selection and cursor a brain command works on. */
function target(editor: vscode.TextEditor | undefined): TargetArgument {
  if (!editor) {
    return {};
  }
  const argument: TargetArgument = {
    uri: editor.document.uri.toString(),
    position: lspPosition(editor.selection.active),
  };
  if (!editor.selection.isEmpty) {
    argument.range = { start: lspPosition(editor.selection.start), end: lspPosition(editor.selection.end) };
  }
  return argument;
}

function unsupported(command: string): void {
  void vscode.window.showWarningMessage(
    `MyCoder: this mycoder-lsp does not offer \`${command}\` yet — update it (\`pipx upgrade mycoder-lsp\`).`,
  );
}

export function registerCommands(context: vscode.ExtensionContext, session: MyCoderSession): void {
  /** Run a server command the way a code action would (status bar, result handling). */
  const run = async (command: string, argument: object): Promise<unknown> => {
    const client = session.runningClient();
    if (!client) {
      return undefined;
    }
    if (!session.offers(client, command)) {
      unsupported(command);
      return undefined;
    }
    // Through the command the language client registered for the server's
    // command, so the middleware shows the work and handles the answer.
    return vscode.commands.executeCommand(command, argument);
  };

  const brain = (command: string) => async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage("MyCoder: open a file first.");
      return;
    }
    // The instruction, when the command needs one, is asked for on the way
    // to the server (see withInstruction in the middleware).
    await run(command, target(editor));
  };

  const register = (id: string, handler: () => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));

  register("mycoder.editor.ask", brain("mycoder.ask"));
  register("mycoder.editor.explain", brain("mycoder.explain"));
  register("mycoder.editor.review", brain("mycoder.review"));
  register("mycoder.editor.fix", brain("mycoder.fix"));
  register("mycoder.editor.modify", brain("mycoder.modify"));
  register("mycoder.editor.index", async () => {
    const report = (await run("mycoder.index", {})) as { files?: number; chunks?: number; seconds?: number } | undefined;
    if (report && typeof report.files === "number") {
      void vscode.window.showInformationMessage(
        `MyCoder: indexed ${report.files} files (${report.chunks ?? 0} chunks) in ${report.seconds ?? "?"} s.`,
      );
    }
  });
  register("mycoder.editor.search", () => searchMemory(session));
  register("mycoder.editor.lockFeature", () => changeFeature(session, "lock"));
  register("mycoder.editor.unlockFeature", () => changeFeature(session, "unlock"));
  register("mycoder.editor.cancel", () => {
    if (session.cancel() === 0) {
      void vscode.window.showInformationMessage("MyCoder: nothing to cancel.");
    }
    // Otherwise the server answers "Cancelled." (and says so) once the model stopped.
  });
  register("mycoder.editor.acceptEdit", () => session.previews.accept());
  register("mycoder.editor.rejectEdit", () => session.previews.reject());
  register("mycoder.editor.showOutput", () => session.output.show());
  register("mycoder.editor.restart", () => session.restart());
}

async function searchMemory(session: MyCoderSession): Promise<void> {
  const client = session.runningClient();
  if (!client) {
    return;
  }
  if (!session.offers(client, "mycoder.search")) {
    unsupported("mycoder.search");
    return;
  }
  const query = await vscode.window.showInputBox({ title: "Search MyCoder's memory", placeHolder: "e.g. where are tokens refreshed" });
  if (!query?.trim()) {
    return;
  }
  const key = "search";
  session.status.beginWork(key, SERVER_COMMAND_WORK["mycoder.search"]);
  let hits: SearchHit[];
  try {
    const answer = await session.execute(client, "mycoder.search", [{ query, k: 20 }]);
    if (!Array.isArray(answer)) {
      return; // {"error": ...}: the server has shown it already
    }
    hits = answer as SearchHit[];
  } catch (error) {
    void vscode.window.showErrorMessage(`MyCoder: search failed: ${error instanceof Error ? error.message : error}`);
    return;
  } finally {
    session.status.endWork(key);
  }
  if (hits.length === 0) {
    void vscode.window.showInformationMessage(`MyCoder: nothing in memory matches “${query}”. Index the workspace first?`);
    return;
  }
  const picked = await vscode.window.showQuickPick(
    hits.map((hit) => ({
      label: `$(symbol-${symbolIcon(hit.kind)}) ${hit.name}`,
      description: `${hit.path}:${hit.start_line}`,
      detail: `${hit.kind} · score ${hit.score.toFixed(3)}`,
      hit,
    })),
    { title: `MyCoder memory: ${query}`, matchOnDescription: true },
  );
  if (!picked) {
    return;
  }
  const { hit } = picked;
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = hit.uri ? vscode.Uri.parse(hit.uri) : root ? vscode.Uri.joinPath(root, hit.path) : vscode.Uri.file(hit.path);
  // Search lines are 1-based (the CLI contract); VS Code's are 0-based.
  const start = new vscode.Position(Math.max(hit.start_line - 1, 0), 0);
  const end = new vscode.Position(Math.max(hit.end_line - 1, 0), Number.MAX_SAFE_INTEGER);
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(start, end) });
}

function symbolIcon(kind: string): string {
  const known = ["class", "method", "function", "variable", "module", "interface", "constant", "field"];
  return known.includes(kind) ? kind : "misc";
}

async function changeFeature(session: MyCoderSession, action: "lock" | "unlock"): Promise<void> {
  const client = session.runningClient();
  if (!client) {
    return;
  }
  const command = `mycoder.feature.${action}`;
  if (!session.offers(client, command)) {
    unsupported(command);
    return;
  }
  const id = await pickFeature(session, client, action);
  if (!id) {
    return;
  }
  try {
    const result = (await session.execute(client, command, [{ id }])) as (FeatureEntry & { error?: string }) | null;
    if (result && !result.error) {
      void vscode.window.showInformationMessage(`MyCoder: feature “${result.title ?? id}” is ${result.status ?? `${action}ed`}.`);
    }
  } catch (error) {
    void vscode.window.showErrorMessage(`MyCoder: ${action} failed: ${error instanceof Error ? error.message : error}`);
  }
}

/**
 * A quick pick of the features the server knows (locking also offers a new
 * one), or an input box when the server cannot list them.
 */
async function pickFeature(session: MyCoderSession, client: LanguageClient, action: "lock" | "unlock"): Promise<string | undefined> {
  if (!session.offers(client, "mycoder.feature.list")) {
    return vscode.window.showInputBox({ title: `MyCoder: ${action} feature`, placeHolder: "feature id" });
  }
  const listed = (await session.execute(client, "mycoder.feature.list", [{}])) as { features?: FeatureEntry[]; error?: string } | null;
  if (!listed || listed.error) {
    return undefined; // the server has shown the error
  }
  const locked = (feature: FeatureEntry) => feature.status === "locked";
  const candidates = (listed.features ?? []).filter((feature) =>
    action === "lock" ? feature.status !== "done" && !locked(feature) : locked(feature),
  );
  const NEW = "$(add) New feature…";
  const items = candidates.map((feature) => ({ label: feature.title || feature.id, description: `${feature.id} · ${feature.status ?? ""}`, id: feature.id }));
  if (action === "lock" && session.offers(client, "mycoder.feature.create")) {
    items.push({ label: NEW, description: "create it and lock it", id: "" });
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`MyCoder: no feature to ${action}.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title: `MyCoder: ${action} which feature?` });
  if (!picked || picked.label !== NEW) {
    return picked?.id;
  }
  const title = await vscode.window.showInputBox({ title: "MyCoder: new feature", placeHolder: "e.g. login with OAuth" });
  if (!title?.trim()) {
    return undefined;
  }
  const created = (await session.execute(client, "mycoder.feature.create", [{ title }])) as (FeatureEntry & { error?: string }) | null;
  return created && !created.error ? created.id : undefined;
}
