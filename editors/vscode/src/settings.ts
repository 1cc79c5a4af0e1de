/**
 * The `mycoder` settings the server sees.
 *
 * Only values the user actually set are sent (as initializationOptions and on
 * workspace/configuration): the server layers them over its defaults and the
 * project's `.mycoder/config.toml`, so sending package.json defaults would
 * silently override a project's choices. Client-only keys (`server`, `trace`)
 * are never sent. This module must not talk to the server.
 */
import * as vscode from "vscode";

export const SECTION = "mycoder";
const CLIENT_ONLY = new Set(["server", "trace"]);

export type Settings = { [key: string]: unknown };

/** Keys of the settings an extension contributes under `mycoder.`, e.g. `brains.coding.model`. */
export function contributedKeys(packageJSON: any): string[] {
  const properties = packageJSON?.contributes?.configuration?.properties ?? {};
  return Object.keys(properties)
    .filter((key) => key.startsWith(`${SECTION}.`))
    .map((key) => key.slice(SECTION.length + 1));
}

/** Keys (under `mycoder.`) whose workspace values an untrusted workspace may not set (package.json). */
export function restrictedKeys(packageJSON: any): Set<string> {
  const restricted: string[] = packageJSON?.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [];
  return new Set(restricted.filter((key) => key.startsWith(`${SECTION}.`)).map((key) => key.slice(SECTION.length + 1)));
}

/**
 * The settings explicitly set for `scope` (user, workspace or folder), nested.
 * In an untrusted workspace the `restricted` keys take the user's value only
 * (inspect() reports workspace values whether trusted or not).
 */
export function explicitSettings(
  keys: readonly string[],
  scope?: vscode.ConfigurationScope | null,
  restricted: ReadonlySet<string> = new Set(),
): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const result: Settings = {};
  for (const key of keys) {
    if (CLIENT_ONLY.has(key.split(".")[0])) {
      continue;
    }
    const inspected = config.inspect(key);
    const userOnly = restricted.has(key) && !vscode.workspace.isTrusted;
    const value = userOnly
      ? inspected?.globalValue
      : (inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue);
    if (value !== undefined) {
      setNested(result, key.split("."), value);
    }
  }
  return result;
}

function setNested(target: Settings, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) {
      node[key] = {};
    }
    node = node[key] as Settings;
  }
  node[keys[keys.length - 1]] = value;
}

/** Settings whose change means a new server process. */
export function needsRestart(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(`${SECTION}.server`);
}
