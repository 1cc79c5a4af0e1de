/**
 * Entry point: starts mycoder-lsp through vscode-languageclient and keeps it
 * in step with the settings. The extension stays thin: diagnostics, code
 * actions and hovers are the server's; this file owns the process lifecycle,
 * the status bar and the wiring of the palette commands (see commands.ts).
 */
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
} from "vscode-languageclient/node";

import { describeResult, registerCommands, SERVER_COMMAND_WORK, withInstruction } from "./commands";
import { EditPreviews, previewCapability, proposalOf } from "./preview";
import { resolveServerCommand, ServerNotFound } from "./serverCommand";
import { contributedKeys, explicitSettings, needsRestart, restrictedKeys, SECTION } from "./settings";
import { ServerStatus } from "./statusBar";

const DOCUMENTS = [
  { scheme: "file", language: "python" },
  { scheme: "file", language: "javascript" },
  { scheme: "file", language: "javascriptreact" },
  { scheme: "file", language: "typescript" },
  { scheme: "file", language: "typescriptreact" },
  { scheme: "file", language: "go" },
  { scheme: "file", language: "rust" },
  { scheme: "untitled", language: "python" },
];

/** Which brain does a kind of work (the server titles its progress "MyCoder: <kind>"). */
const BRAIN_OF: Record<string, string> = {
  fix: "coding brain",
  modify: "coding brain",
  explain: "reasoning brain",
  review: "reasoning brain",
  ask: "brains",
};

function workTitle(serverTitle: string): string {
  const kind = serverTitle.replace(/^MyCoder:\s*/, "");
  const brain = BRAIN_OF[kind.toLowerCase()];
  return brain ? `${brain} · ${kind}` : kind;
}

/** One running (or failed) server and everything tied to its lifetime. */
export class MyCoderSession implements vscode.Disposable {
  client: LanguageClient | undefined;
  private progressCount = 0;
  private readonly inFlight = new Set<vscode.CancellationTokenSource>();
  private restarting: Promise<void> = Promise.resolve();
  /** Proposed edits shown as diffs, waiting for Accept / Reject. */
  readonly previews = new EditPreviews(async (client, command, args) => {
    const result = await this.execute(client, command, args);
    describeResult(this.output, command, result);
    return result;
  });

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly output: vscode.LogOutputChannel,
    readonly status: ServerStatus,
    private readonly settingKeys: readonly string[],
    private readonly restricted: ReadonlySet<string>,
  ) {}

  /** Stop whatever runs, then start a server from the current settings. */
  restart(): Promise<void> {
    // Chained so two quick settings changes never run two servers at once.
    this.restarting = this.restarting.then(async () => {
      try {
        await this.stop();
        await this.start();
      } catch (error) {
        // Never leave the chain rejected: the next settings change must still restart.
        this.fail(`MyCoder: the server could not be started: ${error instanceof Error ? error.message : error}`);
      }
    });
    return this.restarting;
  }

  private async start(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const config = vscode.workspace.getConfiguration(SECTION, folder);
    let server;
    try {
      server = resolveServerCommand(
        config.get<string[]>("server.command", []),
        config.get<string>("server.python", ""),
        folder?.uri.fsPath,
      );
    } catch (error) {
      if (error instanceof ServerNotFound) {
        this.fail(error.message);
        return;
      }
      throw error;
    }
    this.output.info(`starting ${[server.command, ...server.args].join(" ")} (from ${server.origin})`);
    const serverOptions: ServerOptions = {
      command: server.command,
      args: server.args,
      options: { cwd: folder?.uri.fsPath },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENTS,
      outputChannel: this.output,
      traceOutputChannel: this.output,
      initializationOptions: explicitSettings(this.settingKeys, folder, this.restricted),
      middleware: {
        workspace: {
          // Answer workspace/configuration with what the user set, not with
          // package.json defaults, so the project's config file still counts.
          configuration: (params) =>
            params.items.map((item) => {
              if (item.section !== SECTION) {
                return null;
              }
              const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : folder;
              return explicitSettings(this.settingKeys, scope, this.restricted);
            }),
        },
        // Off in the settings: no request at all (the server checks too,
        // but a keystroke need not cost a round trip).
        provideInlineCompletionItems: (document, position, context, token, next) =>
          vscode.workspace.getConfiguration(SECTION, document.uri).get<boolean>("completion.enabled", true)
            ? next(document, position, context, token)
            : undefined,
        // Code actions run server commands through here: show the work in
        // the status bar and say when the brain refused or failed.
        // The request is sent here, with a token this session owns, so
        // MyCoder: Cancel can cancel it ($/cancelRequest; the server stops
        // the model and answers "cancelled").
        executeCommand: async (command, args) => {
          const completed = await withInstruction(command, args);
          if (!completed) {
            return undefined;
          }
          const key = `command-${++this.progressCount}`;
          this.status.beginWork(key, SERVER_COMMAND_WORK[command] ?? command);
          try {
            const result = await this.execute(client, command, completed);
            describeResult(this.output, command, result);
            const proposal = proposalOf(result);
            if (proposal) {
              // Not awaited: the diff stays open while the user decides.
              void this.previews.show(client, proposal);
            }
            return result;
          } finally {
            this.status.endWork(key);
          }
        },
      },
    };
    const client = new LanguageClient("mycoder", "MyCoder", serverOptions, clientOptions);
    // experimental.mycoder.editPreview: edits come as proposals to review.
    client.registerFeature(previewCapability);
    // textDocument/inlineCompletion (LSP 3.18, a proposed feature in this
    // client): the server's suggestions become ghost text, Tab accepts.
    client.registerProposedFeatures();
    this.client = client;
    client.onDidChangeState((event) => {
      if (event.newState === State.Starting) {
        this.status.setState("starting");
      } else if (event.newState === State.Running) {
        this.status.setState("running", client.initializeResult?.serverInfo?.version ?? "");
      } else if (this.client === client) {
        this.status.setState("stopped");
      }
    });
    this.status.setState("starting");
    try {
      await client.start();
    } catch (error) {
      this.fail(
        `MyCoder: the server (${server.command}) did not start: ${error instanceof Error ? error.message : error}`,
      );
      return;
    }
    this.trackProgress(client);
  }

  /**
   * Show the server's $/progress (a model generating, the vault indexing) in
   * the status bar and as a notification whose Cancel reaches the server.
   * This replaces the language client's own handler, because a progress token
   * takes only one listener.
   */
  private trackProgress(client: LanguageClient): void {
    client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      const key = `progress-${String(token)}`;
      let finish: (() => void) | undefined;
      let notify: vscode.Progress<{ message?: string }> | undefined;
      const subscription = client.onProgress(WorkDoneProgress.type, token, (value) => {
        if (value.kind === "begin") {
          const title = workTitle(value.title);
          this.status.beginWork(key, title, value.message, value.percentage);
          void vscode.window.withProgress(
            {
              location: value.cancellable ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
              title: `MyCoder: ${title}`,
              cancellable: value.cancellable,
            },
            (progress, cancelled) => {
              notify = progress;
              progress.report({ message: value.message });
              cancelled.onCancellationRequested(() => {
                void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
              });
              return new Promise<void>((resolve) => (finish = resolve));
            },
          );
        } else if (value.kind === "report") {
          this.status.reportWork(key, value.message, value.percentage);
          notify?.report({ message: value.message });
        } else {
          this.status.endWork(key);
          finish?.();
          subscription.dispose();
        }
      });
    });
  }

  private fail(message: string): void {
    this.output.error(message);
    this.status.setState("failed", message.replace(/^MyCoder: /, ""));
    void vscode.window.showErrorMessage(message, "Open Settings", "Show Output").then((choice) => {
      if (choice === "Open Settings") {
        void vscode.commands.executeCommand("workbench.action.openSettings", "mycoder.server");
      } else if (choice === "Show Output") {
        this.output.show();
      }
    });
    this.client = undefined;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    // A new server knows nothing of the old one's proposals.
    await this.previews.clear();
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.warn(`stopping the server: ${error}`);
      }
    }
    this.status.setState("stopped");
  }

  /**
   * Tell the running server its settings changed; it pulls them again with
   * workspace/configuration. Sent here rather than by the client's
   * `synchronize` option so it never races a restart.
   */
  configurationChanged(): void {
    if (this.client?.state === State.Running) {
      void this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    }
  }

  /** The running client, or a message saying why there is none. */
  runningClient(): LanguageClient | undefined {
    if (this.client?.state === State.Running) {
      return this.client;
    }
    void vscode.window.showWarningMessage("MyCoder: the server is not running. Check the MyCoder output.", "Show Output").then(
      (choice) => choice && this.output.show(),
    );
    return undefined;
  }

  /** Whether the server offers `command` (the brain and vault commands land over time). */
  offers(client: LanguageClient, command: string): boolean {
    return client.initializeResult?.capabilities.executeCommandProvider?.commands.includes(command) ?? false;
  }

  /** Run a server command; `cancel()` cancels it while it runs. */
  async execute(client: LanguageClient, command: string, args: unknown[]): Promise<unknown> {
    const source = new vscode.CancellationTokenSource();
    this.inFlight.add(source);
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, source.token);
    } catch (error) {
      if (source.token.isCancellationRequested) {
        this.output.info(`${command} cancelled`);
        return { kind: "cancelled", message: "Cancelled." };
      }
      throw error;
    } finally {
      this.inFlight.delete(source);
      source.dispose();
    }
  }

  /** Cancel every MyCoder request in flight; returns how many there were. */
  cancel(): number {
    const sources = [...this.inFlight];
    for (const source of sources) {
      source.cancel();
    }
    return sources.length;
  }

  dispose(): void {
    void this.stop();
    this.previews.dispose();
  }
}

let session: MyCoderSession | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("MyCoder", { log: true });
  const status = new ServerStatus("mycoder.editor.showOutput");
  const packageJSON = context.extension.packageJSON;
  session = new MyCoderSession(context, output, status, contributedKeys(packageJSON), restrictedKeys(packageJSON));
  context.subscriptions.push(output, status, session);
  registerCommands(context, session);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      // Other mycoder.* settings reach the running server at once; only
      // the process itself needs a restart.
      if (needsRestart(event)) {
        output.info("server settings changed: restarting");
        void session?.restart();
      } else if (event.affectsConfiguration(SECTION)) {
        session?.configurationChanged();
      }
    }),
    // Trusting the workspace lets its restricted settings count.
    vscode.workspace.onDidGrantWorkspaceTrust(() => session?.configurationChanged()),
  );
  await session.restart();
}

export async function deactivate(): Promise<void> {
  await session?.stop();
  session = undefined;
}
