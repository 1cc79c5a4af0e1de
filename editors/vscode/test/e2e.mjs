// Drive a real VS Code (code-server) in headless Chromium through
// playwright-core: open a workspace file with a stub function, wait for
// MyCoder's finding in the editor and the Problems panel, run "Fix with
// MyCoder" from the quick-fix menu against the scripted Ollama server, review
// the proposed edit in the diff it opens, accept it and check the edit lands;
// type in shapes.py and accept the completion brain's ghost text with Tab
// (with --only=completion, just that; with --realCompletion, from a real model,
// checked for appearing and landing, not for its text).
// Started by e2e.sh, which owns every process; this
// script only drives the browser and exits non-zero on any failure.
import { chromium } from "playwright-core";
import * as fs from "node:fs";
import * as path from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, "").split("=");
    return [key, value.join("=")];
  }),
);
const { url, workspace, run, screenshot, ollama } = args;
const timingFiles = (args.timingFiles ?? "").split(",").filter(Boolean);
const STEP_MS = Number(args.stepMs ?? 60000);
// --only=completion (E2E_ONLY): load the workbench and run the completion step, nothing else.
const completionOnly = args.only === "completion";
// --realCompletion=1: the completion brain is a real model; its text is not known in advance.
const realCompletion = Boolean(args.realCompletion);

const log = (...parts) => console.log(`[e2e ${new Date().toISOString().slice(11, 23)}]`, ...parts);
const ms = (start) => Math.round(performance.now() - start);

/** Monaco renders spaces as U+00A0; compare with plain text. */
const plain = (text) => text.replace(/\u00a0/g, " ");

const browser = await chromium.launchPersistentContext(path.join(run, "chromium-profile"), {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  chromiumSandbox: false,
  viewport: { width: 1400, height: 850 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
fs.writeFileSync(path.join(run, "chromium.pid"), String(browser.browser()?.process?.()?.pid ?? ""));
const page = browser.pages()[0] ?? (await browser.newPage());
page.setDefaultTimeout(STEP_MS);
page.on("pageerror", (error) => log("page error:", error.message));

async function step(name, action) {
  const start = performance.now();
  try {
    const result = await action();
    log(`ok   ${name} (${ms(start)} ms)`);
    return result;
  } catch (error) {
    log(`FAIL ${name} (${ms(start)} ms): ${error.message}`);
    await page.screenshot({ path: path.join(run, "failure.png") }).catch(() => {});
    throw error;
  }
}

async function runCommand(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor();
  await page.keyboard.press("Enter");
}

/** Open `name` with Quick Open; resolves the moment Enter is pressed. */
async function quickOpen(name, label = name) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(name);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: label }).first().waitFor();
  const opened = performance.now();
  await page.keyboard.press("Enter");
  return opened;
}

const activeEditor = () => page.locator(".editor-group-container.active .monaco-editor").first();
const squiggles = () =>
  activeEditor().locator(".squiggly-error, .squiggly-warning, .squiggly-info, .squiggly-hint");

async function editorText() {
  return plain(await activeEditor().locator(".view-lines").innerText());
}

async function goToLine(line) {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`:${line}`);
  await page.keyboard.press("Enter");
  await page.locator(".editor-group-container.active .monaco-editor.focused").waitFor();
}

/** The diff of a proposed edit (the file ↔ MyCoder's proposal) in the active group. */
const proposalDiff = () => page.locator(".editor-group-container.active .monaco-diff-editor").first();

/** Wait for a proposal's diff; return the texts of both sides. */
async function waitForProposal(expected) {
  await proposalDiff().waitFor();
  await page.locator(".editor-group-container.active .tab.active", { hasText: "MyCoder's proposal" }).waitFor();
  await page.waitForFunction(
    (needle) => {
      const modified = document.querySelector(".editor-group-container.active .monaco-diff-editor .editor.modified .view-lines");
      return modified && modified.textContent.replace(/\u00a0/g, " ").includes(needle);
    },
    expected,
    { timeout: STEP_MS },
  );
  const side = (name) => proposalDiff().locator(`.editor.${name} .view-lines`).innerText().then(plain);
  return { original: await side("original"), modified: await side("modified") };
}

async function closeAllEditors() {
  await runCommand("View: Close All Editors");
  await page.locator(".editor-group-container .monaco-editor").first().waitFor({ state: "detached" });
}

let failed = false;
const started = performance.now();
try {
  await step("code-server workbench loads", async () => {
    await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor();
    await page.locator(".statusbar").waitFor();
  });

  if (!completionOnly) {
    // Time from opening a file to MyCoder's diagnostics drawn in the editor,
    // over several files (the first one includes starting the server).
    const timings = [];
    for (const name of timingFiles) {
      await step(`diagnostics shown for ${name}`, async () => {
        const opened = await quickOpen(name);
        await page.locator(".editor-group-container.active .tab.active", { hasText: name }).waitFor();
        await squiggles().first().waitFor();
        timings.push(ms(opened));
      });
      await closeAllEditors();
    }
    const sorted = [...timings].sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    console.log(`TIMING open-to-diagnostics runs_ms=${timings.join(",")} median_ms=${median} first_ms=${timings[0]}`);

    await step("MyCoder status bar shows the server running", async () => {
      await page.locator(".statusbar-item", { hasText: "MyCoder" }).first().waitFor();
    });

    await step("a file named 'my file+é.py' (percent-encoded URI) gets its diagnostics", async () => {
      await quickOpen("my file", "my file+é.py");
      await page.locator(".editor-group-container.active .tab.active", { hasText: "my file+é.py" }).waitFor();
      await squiggles().first().waitFor();
      await closeAllEditors();
    });

    await step("the Explorer hides the vault folder .mycoder/ (files.exclude default)", async () => {
      const vault = path.join(workspace, ".mycoder");
      const deadline = Date.now() + STEP_MS;
      while (!fs.existsSync(vault)) {
        if (Date.now() > deadline) throw new Error(`the server never created ${vault}`);
        await page.waitForTimeout(200);
      }
      await runCommand("Refresh Explorer");
      const rows = page.locator(".explorer-folders-view .monaco-list-row");
      await rows.filter({ hasText: "calc.py" }).first().waitFor();
      const names = (await rows.allInnerTexts()).map((text) => plain(text).trim());
      if (names.some((name) => name === ".mycoder")) {
        throw new Error(`.mycoder is listed in the Explorer: ${JSON.stringify(names)}`);
      }
    });

    await step("open calc.py and see the stub finding in the Problems panel", async () => {
      await quickOpen("calc.py");
      await squiggles().first().waitFor();
      await runCommand("View: Focus Problems");
      const row = page.locator(".markers-panel .monaco-list-row", { hasText: /MC5\d\d/ }).first();
      await row.waitFor();
      log("problem:", plain(await row.innerText()).replace(/\s+/g, " "));
    });

    await step("the quick-fix menu offers Fix with MyCoder", async () => {
      // Clicking the problem puts the cursor on the finding, as a user would.
      // Enter on a problem moves the cursor to it and focuses the editor.
      await page.locator(".markers-panel .monaco-list-row", { hasText: /MC5\d\d/ }).first().click();
      await page.keyboard.press("Enter");
      await page.locator(".editor-group-container.active .monaco-editor.focused").waitFor();
      // A Ctrl+. that lands while the editor is still computing its actions is
      // dropped now and then (seen once in ~8 CI runs): ask again, as a user would.
      const menu = page.locator(".action-widget", { hasText: "Fix with MyCoder" });
      for (let attempt = 1; ; attempt++) {
        await page.keyboard.press("Control+.");
        try {
          await menu.waitFor({ timeout: 15000 });
          break;
        } catch (error) {
          if (attempt === 4) throw error;
          log(`quick-fix menu not shown after Ctrl+. (attempt ${attempt}); pressing it again`);
          await page.keyboard.press("Escape");
        }
      }
    });

    if (screenshot) {
      await step("screenshot", () => page.screenshot({ path: screenshot }));
    }

    await step("Fix with MyCoder shows the proposed edit as a diff; the file is untouched", async () => {
      await page.locator(".action-widget .monaco-list-row", { hasText: "Fix with MyCoder" }).first().click();
      // The scripted reply streams slowly: the status bar names the brain at work.
      const working = page.locator(".statusbar-item", { hasText: /MyCoder: coding brain/ }).first();
      await working.waitFor();
      log("status bar while generating:", plain(await working.innerText()).replace(/\s+/g, " "));
      const sides = await waitForProposal("return a + b");
      if (!/def add\(a, b\):\s*pass/.test(sides.original) || /return a \+ b/.test(sides.original)) {
        throw new Error(`the diff's file side is not the file as it was:\n${sides.original}`);
      }
      const onDisk = fs.readFileSync(path.join(workspace, "calc.py"), "utf8");
      if (onDisk.includes("return a + b")) {
        throw new Error("the proposed edit reached the file before it was accepted");
      }
    });

    if (screenshot) {
      await step("screenshot of the proposal", () => page.screenshot({ path: screenshot.replace(/\.png$/, "-proposal.png") }));
    }

    await step("Accept in the notification applies the brain's edit in the editor", async () => {
      const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "review the diff" }).first();
      await toast.waitFor();
      await toast.locator(".monaco-button", { hasText: "Accept" }).first().click();
      await proposalDiff().waitFor({ state: "detached" });
      await page.waitForFunction(
        () => {
          const lines = document.querySelector(".editor-group-container.active .monaco-editor .view-lines");
          return lines && lines.textContent.replace(/\u00a0/g, " ").includes("return a + b");
        },
        null,
        { timeout: STEP_MS },
      );
      const text = await editorText();
      if (!text.includes("def add(a, b):") || /\bpass\b/.test(text.split("def sub")[0])) {
        throw new Error(`unexpected editor text after the fix:\n${text}`);
      }
    });

    await step("the coding brain was asked (scripted Ollama saw the request)", async () => {
      const requests = await (await fetch(`${ollama}/_fake/requests`)).json();
      const models = (requests.requests ?? requests).map((request) => request.body?.model ?? request.model);
      if (!models.includes("codellama:7b")) {
        throw new Error(`no request to the coding model; saw ${JSON.stringify(models)}`);
      }
    });

    await step("the stub finding for add() is gone after the fix", async () => {
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll(".markers-panel .monaco-list-row")];
        return !rows.some((row) => /MC5\d\d/.test(row.textContent) && /add/.test(row.textContent));
      });
    });

    await step("Explain on its key (Ctrl+Alt+M E) shows the reasoning brain's answer", async () => {
      await goToLine(9);
      await page.keyboard.press("Control+Alt+KeyM");
      await page.keyboard.press("KeyE");
      await page.locator(".notifications-toasts", { hasText: "difference of its two arguments" }).waitFor();
    });

    await step("MyCoder: Cancel (Ctrl+Alt+M C) stops a slow Modify; the file stays as it was", async () => {
      await runCommand("Notifications: Clear All Notifications");
      await goToLine(9);
      const before = await editorText();
      await runCommand("MyCoder: Modify");
      const input = page.locator(".quick-input-widget input");
      await input.waitFor({ state: "visible" });
      await input.fill("take your time");
      await page.keyboard.press("Enter");
      const working = page.locator(".statusbar-item", { hasText: /MyCoder: coding brain/ }).first();
      await working.waitFor();
      await page.keyboard.press("Control+Alt+KeyM");
      await page.keyboard.press("KeyC");
      // The user is told. Toasts come and go (at most three show, and earlier
      // progress toasts may still be up); the notification center keeps them all.
      await runCommand("Notifications: Show Notifications");
      await page.locator(".notifications-center", { hasText: "Cancelled" }).first().waitFor();
      await runCommand("Notifications: Hide Notifications");
      await working.waitFor({ state: "detached" });
      // The model's stream was closed, not left to finish.
      // (The scripted server notices the closed connection on its next chunk.)
      let outcome = "";
      for (let i = 0; i < 100 && (outcome === "" || outcome === "streaming"); i++) {
        const requests = await (await fetch(`${ollama}/_fake/requests`)).json();
        const slow = (requests.requests ?? requests).find((r) => JSON.stringify(r.body ?? {}).includes("take your time"));
        outcome = slow?.outcome ?? "";
        if (outcome === "" || outcome === "streaming") await page.waitForTimeout(100);
      }
      if (outcome !== "aborted") {
        throw new Error(`the slow model request ended "${outcome}", not "aborted"`);
      }
      const after = await editorText();
      if (after !== before) {
        throw new Error(`the cancelled Modify changed the file:\n${after}`);
      }
    });

    async function modifyFromTheMenu() {
      await goToLine(9);
      await page.keyboard.press("Control+.");
      await page.locator(".action-widget .monaco-list-row", { hasText: /Modify .*with MyCoder/ }).first().click();
      const input = page.locator(".quick-input-widget input");
      await input.waitFor({ state: "visible" });
      await input.fill("raise an error on a negative result");
      await page.keyboard.press("Enter");
      await waitForProposal('raise ValueError("negative result")');
    }

    await step("Modify from the quick-fix menu proposes a diff; Reject in its title bar discards it", async () => {
      await runCommand("Notifications: Clear All Notifications");
      const before = fs.readFileSync(path.join(workspace, "calc.py"), "utf8");
      await modifyFromTheMenu();
      await page.locator(".editor-group-container.active .action-label[aria-label*='Reject proposed edit']").first().click();
      await proposalDiff().waitFor({ state: "detached" });
      await runCommand("Notifications: Show Notifications");
      await page.locator(".notifications-center", { hasText: "Discarded." }).first().waitFor();
      await runCommand("Notifications: Hide Notifications");
      const text = await editorText();
      if (text.includes("raise ValueError") || fs.readFileSync(path.join(workspace, "calc.py"), "utf8") !== before) {
        throw new Error(`the rejected edit changed the file:\n${text}`);
      }
    });

    await step("Modify again; Ctrl+Alt+M Y accepts the proposal and the edit lands", async () => {
      await modifyFromTheMenu();
      await page.keyboard.press("Control+Alt+KeyM");
      await page.keyboard.press("KeyY");
      await proposalDiff().waitFor({ state: "detached" });
      await page.waitForFunction(() => {
        const lines = document.querySelector(".editor-group-container.active .monaco-editor .view-lines");
        return lines && lines.textContent.replace(/\u00a0/g, " ").includes('raise ValueError("negative result")');
      });
      const text = await editorText();
      if (!text.includes("return a + b")) {
        throw new Error(`the modify edit clobbered add():\n${text}`);
      }
    });

    await step("Search memory finds stub_1 and opens timing_1.py", async () => {
      await runCommand("MyCoder: Search memory");
      const input = page.locator(".quick-input-widget input");
      await input.waitFor({ state: "visible" });
      await input.fill("stub_1");
      await page.keyboard.press("Enter");
      await page.locator(".quick-input-list .monaco-list-row", { hasText: "stub_1" }).first().waitFor();
      await page.keyboard.press("Enter");
      await page.locator(".editor-group-container.active .tab.active", { hasText: "timing_1.py" }).waitFor();
    });
  }

  await step("typing shows the completion brain's suggestion as ghost text; Tab accepts it", async () => {
    await closeAllEditors();
    await quickOpen("shapes.py");
    await page.locator(".editor-group-container.active .tab.active", { hasText: "shapes.py" }).waitFor();
    // Typing before the language client is up would trigger nothing (in the
    // full run it has long been up): wait for the server's status.
    await page.locator(".statusbar-item", { hasText: "MyCoder", has: page.locator(".codicon-check") }).first().waitFor();
    await goToLine(3);
    await page.keyboard.press("End");
    const typedAt = performance.now();
    // Typed as a user types: each keystroke is an automatic inline-completion trigger.
    await page.keyboard.type("return ", { delay: 30 });
    // Monaco draws ghost text in pieces (a span per token): read them all.
    const ghostText = () =>
      page.evaluate(() =>
        [...document.querySelectorAll(".editor-group-container.active .monaco-editor .ghost-text-decoration, "
          + ".editor-group-container.active .monaco-editor .ghost-text")]
          .map((node) => node.textContent).join("").replace(/\u00a0/g, " "));
    const ghost = activeEditor().locator(".ghost-text-decoration, .ghost-text").first();
    await ghost.waitFor();
    // A real model's suggestion is any code; the scripted one is known.
    const expected = realCompletion ? "" : "width * height";
    await page.waitForFunction(
      (needle) => {
        const shown = [...document.querySelectorAll(".editor-group-container.active .monaco-editor .ghost-text-decoration, "
          + ".editor-group-container.active .monaco-editor .ghost-text")]
          .map((node) => node.textContent).join("").replace(/\u00a0/g, " ");
        return shown.trim() !== "" && shown.includes(needle);
      },
      expected,
      // A real model on a shared two-core box takes seconds for a cold prompt.
      { timeout: realCompletion ? STEP_MS : 15000 },
    ).catch(async () => {
      throw new Error(`the ghost text is not the ${realCompletion ? "real" : "scripted"} suggestion: `
        + JSON.stringify(await ghostText()));
    });
    const shown = await ghostText();
    log("ghost text:", shown);
    console.log(`TIMING typed-to-ghost-text ms=${ms(typedAt)}`);
    if (screenshot) {
      await page.screenshot({ path: screenshot.replace(/\.png$/, "-completion.png") });
    }
    await page.keyboard.press("Tab");
    await ghost.waitFor({ state: "detached" });
    const text = await editorText();
    // Real: the line under the cursor now has code after "return " (the
    // caller parses the saved file); scripted: exactly the scripted text.
    if (realCompletion ? !/\n\s*return \S/.test(`\n${text}`) : !text.includes("return width * height")) {
      throw new Error(`Tab did not put the suggestion in:\n${text}`);
    }
    if (!realCompletion) {
      const requests = await (await fetch(`${ollama}/_fake/requests`)).json();
      const asked = (requests.requests ?? requests).filter((r) => r.body?.model === "qwen2.5-coder:1.5b");
      if (asked.length === 0) {
        throw new Error("the completion model was never asked");
      }
      log(`completion requests to the model: ${asked.length}`);
    }
    await page.keyboard.press("Control+S");
    await page.locator(".editor-group-container.active .tab.active.dirty").waitFor({ state: "detached" });
    await closeAllEditors();
  });

  if (!completionOnly) {
    // Settings changes, made the way a user makes them (the settings JSON
    // editor): a server command that does not exist restarts the server into a
    // clear error; putting it back brings the server back.
    const settingsFile = path.join(run, "data", "User", "settings.json");
    const settings = JSON.parse(fs.readFileSync(settingsFile, "utf8"));
    async function editUserSettings(changes) {
      // Through VS Code's settings resource: code-server does not watch the
      // file on disk for changes (e2e.sh turns modal editors off).
      await runCommand("Preferences: Open User Settings (JSON)");
      await page.locator(".editor-group-container.active .tab.active", { hasText: "settings.json" }).waitFor();
      await page.locator(".editor-group-container.active .monaco-editor.focused").waitFor();
      await page.keyboard.press("Control+A");
      await page.keyboard.press("Delete");
      await page.keyboard.insertText(JSON.stringify({ ...settings, ...changes }));
      await page.keyboard.press("Control+S");
      await page.locator(".editor-group-container.active .tab.active.dirty").waitFor({ state: "detached" });
      await closeAllEditors();
    }

    await step("a missing server command gives a clear notification", async () => {
      await editUserSettings({ "mycoder.server.command": ["/nonexistent/mycoder-lsp"] });
      const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "/nonexistent/mycoder-lsp" }).first();
      await toast.waitFor();
      const text = plain(await toast.innerText()).replace(/\s+/g, " ");
      log("notification:", text);
      if (!/pipx install mycoder-lsp/.test(text)) {
        throw new Error("the notification does not say how to install the server");
      }
    });

    await step("restoring the setting restarts the server", async () => {
      await editUserSettings({});
      await page.locator(".statusbar-item", { hasText: "MyCoder", has: page.locator(".codicon-check") }).first().waitFor();
      await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "timing_1.py" }).first().click();
      await page.locator(".editor-group-container.active .tab.active", { hasText: "timing_1.py" }).waitFor();
      await squiggles().first().waitFor();
    });

    await step("a validation setting reaches the running server (workspace/configuration)", async () => {
      await editUserSettings({ "mycoder.validation.style.maxLineLength": 40 });
      await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "calc.py" }).first().click();
      await runCommand("View: Focus Problems");
      await page.locator(".markers-panel .monaco-list-row", { hasText: "MC204" }).first().waitFor();
    });
  }
} catch {
  failed = true;
} finally {
  console.log(`TIMING vscode-driver total_ms=${ms(started)}`);
  await browser.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
