/**
 * Where the mycoder-lsp server is: the way Python-tool extensions find theirs.
 *
 * Order: `mycoder.server.command`, then `mycoder.server.python` (run as
 * `python -m mycoder_lsp`), then `mycoder-lsp` on PATH. This module only
 * resolves a command line; it must not start anything.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Which setting (or PATH) the command came from, for messages. */
  origin: string;
}

/** The resolution failed; `message` is written for the user. */
export class ServerNotFound extends Error {}

export const INSTALL_HINT =
  "Install it with `pipx install mycoder-lsp` (or `pip install mycoder-lsp` in the Python you set as `mycoder.server.python`), or set `mycoder.server.command`.";

export function resolveServerCommand(
  configuredCommand: readonly string[],
  python: string,
  workspaceFolder: string | undefined,
  envPath: string | undefined = process.env.PATH,
): ServerCommand {
  const expand = (part: string) => expandVariables(part, workspaceFolder);
  const command = configuredCommand.filter((part) => part.trim() !== "").map(expand);
  if (command.length > 0) {
    const executable = findExecutable(command[0], envPath);
    if (!executable) {
      throw new ServerNotFound(
        `MyCoder: \`mycoder.server.command\` starts with \`${command[0]}\`, which is not an executable file. ${INSTALL_HINT}`,
      );
    }
    return { command: executable, args: command.slice(1), origin: "mycoder.server.command" };
  }
  if (python.trim() !== "") {
    const interpreter = findExecutable(expand(python.trim()), envPath);
    if (!interpreter) {
      throw new ServerNotFound(
        `MyCoder: \`mycoder.server.python\` is \`${python}\`, which is not an executable file. ${INSTALL_HINT}`,
      );
    }
    return { command: interpreter, args: ["-m", "mycoder_lsp"], origin: "mycoder.server.python" };
  }
  const onPath = findExecutable("mycoder-lsp", envPath);
  if (!onPath) {
    throw new ServerNotFound(`MyCoder: the \`mycoder-lsp\` server was not found on PATH. ${INSTALL_HINT}`);
  }
  return { command: onPath, args: [], origin: "PATH" };
}

function expandVariables(part: string, workspaceFolder: string | undefined): string {
  let expanded = part;
  if (workspaceFolder) {
    expanded = expanded.split("${workspaceFolder}").join(workspaceFolder);
  }
  if (expanded === "~" || expanded.startsWith("~/")) {
    expanded = path.join(os.homedir(), expanded.slice(1));
  }
  return expanded;
}

/** An absolute or relative path is taken as is; a bare name is looked up on PATH. */
function findExecutable(name: string, envPath: string | undefined): string | undefined {
  if (name.includes("/") || name.includes(path.sep)) {
    return isExecutable(name) ? path.resolve(name) : undefined;
  }
  for (const dir of (envPath ?? "").split(path.delimiter)) {
    if (dir === "") {
      continue;
    }
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
