// Finding the tunelint language server. No `vscode` import here: this module is unit-tested
// with node's test runner, outside an editor.
import * as fs from "node:fs";
import * as path from "node:path";

/** How to start the server: the executable, its arguments and where the choice came from. */
export interface ServerCommand {
  command: string;
  args: string[];
  source: "setting" | "python-environment" | "path";
}

export interface FindServerInput {
  /** The `tunelint.server.command` setting: `[]` means "find it". */
  configured?: readonly string[];
  /** Python interpreters of the selected environment(s), most preferred first. */
  interpreters?: readonly (string | undefined)[];
  /** The PATH to search (defaults to process.env.PATH). */
  pathEnv?: string;
  /** "win32", "linux", ... (defaults to process.platform). */
  platform?: NodeJS.Platform;
  /** Test hook: whether a file exists and is executable. */
  isExecutable?: (file: string) => boolean;
  /** Directory `~` and relative paths in the setting resolve against (the workspace folder). */
  cwd?: string;
  /** For `~` expansion. */
  home?: string;
}

export const SERVER_NAME = "tunelint";
export const SERVER_ARGS: readonly string[] = ["lsp"];

/** Shown by the "How to install" action (a local document: works offline). */
export const INSTALL_GUIDE = [
  "# Installing the tunelint language server",
  "",
  "The extension starts `tunelint lsp`. Install tunelint into the Python environment you use:",
  "",
  "```sh",
  "python -m pip install tunelint",
  "tunelint lsp --help      # check that it runs",
  "```",
  "",
  "The extension looks for `tunelint` next to the interpreter selected in the Python extension",
  "(*Python: Select Interpreter*), then on `PATH`. Elsewhere? Set `tunelint.server.command`:",
  "",
  "```json",
  '"tunelint.server.command": ["/path/to/venv/bin/tunelint", "lsp"]',
  "```",
  "",
  "Then run *tunelint: Restart Language Server*.",
].join("\n");
export const INSTALL_HINT =
  "Install it into the Python environment you work in (`pip install tunelint`), " +
  "or set `tunelint.server.command` to the full command, e.g. " +
  '["/path/to/venv/bin/tunelint", "lsp"].';

export function defaultIsExecutable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    if (process.platform === "win32") return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function executableNames(name: string, platform: NodeJS.Platform): string[] {
  return platform === "win32" ? [`${name}.exe`, `${name}.cmd`, `${name}.bat`, name] : [name];
}

/** The directory a Python interpreter's console scripts are installed into. */
export function scriptsDirFor(interpreter: string, platform: NodeJS.Platform): string[] {
  const p = platform === "win32" ? path.win32 : path.posix;
  const dir = p.dirname(interpreter);
  if (platform === "win32") {
    // venv: <venv>\Scripts\python.exe; a base install: <prefix>\python.exe + <prefix>\Scripts
    return p.basename(dir).toLowerCase() === "scripts" ? [dir] : [p.join(dir, "Scripts"), dir];
  }
  return [dir];
}

/** Look `name` up on a PATH string. */
export function whichOnPath(
  name: string,
  pathEnv: string,
  platform: NodeJS.Platform,
  isExecutable: (file: string) => boolean,
): string | undefined {
  const p = platform === "win32" ? path.win32 : path.posix;
  const sep = platform === "win32" ? ";" : ":";
  for (const dir of pathEnv.split(sep)) {
    if (!dir) continue;
    for (const exe of executableNames(name, platform)) {
      const candidate = p.join(dir, exe);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function expandUser(value: string, home: string | undefined): string {
  if (home && (value === "~" || value.startsWith("~/"))) return home + value.slice(1);
  return value;
}

/**
 * Decide how to start the server, or return undefined when it cannot be found.
 * Order: the setting (used as given), the selected Python environment, PATH.
 */
export function findServer(input: FindServerInput = {}): ServerCommand | undefined {
  const platform = input.platform ?? process.platform;
  const isExecutable = input.isExecutable ?? defaultIsExecutable;
  const configured = (input.configured ?? []).filter((s) => typeof s === "string" && s !== "");
  if (configured.length > 0) {
    let command = expandUser(configured[0], input.home);
    const p = platform === "win32" ? path.win32 : path.posix;
    if (input.cwd && (command.startsWith("./") || command.startsWith("../"))) {
      command = p.resolve(input.cwd, command);
    }
    return { command, args: configured.slice(1), source: "setting" };
  }
  for (const interpreter of input.interpreters ?? []) {
    if (!interpreter) continue;
    for (const dir of scriptsDirFor(interpreter, platform)) {
      for (const exe of executableNames(SERVER_NAME, platform)) {
        const p = platform === "win32" ? path.win32 : path.posix;
        const candidate = p.join(dir, exe);
        if (isExecutable(candidate)) {
          return { command: candidate, args: [...SERVER_ARGS], source: "python-environment" };
        }
      }
    }
  }
  const onPath = whichOnPath(SERVER_NAME, input.pathEnv ?? process.env.PATH ?? "", platform, isExecutable);
  if (onPath) return { command: onPath, args: [...SERVER_ARGS], source: "path" };
  return undefined;
}

/** The message shown when the server cannot be found. */
export function missingServerMessage(input: FindServerInput): string {
  const where: string[] = [];
  const envs = (input.interpreters ?? []).filter((x): x is string => !!x);
  if (envs.length > 0) where.push(`the Python environment of ${envs[0]}`);
  where.push("PATH");
  return `tunelint: the language server was not found in ${where.join(" or ")}. ${INSTALL_HINT}`;
}
