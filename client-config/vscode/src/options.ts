// Building what the language client needs from settings, without importing `vscode`, so it
// can be unit-tested outside an editor. extension.ts adapts VS Code's API to these shapes.
import type { ServerCommand } from "./findServer";

export const CLIENT_ID = "tunelint";
export const CLIENT_NAME = "tunelint";
export const SECTION = "tunelint";
export const LANGUAGE_ID = "jsonl";
export const FILE_PATTERN = "**/*.{jsonl,ndjson}";

/** The server settings: the keys under `tunelint.` that are sent to the server (everything but
 * the client-only ones), in the shape the server reads (`initializationOptions.settings` and the
 * `tunelint` section of workspace/configuration). The server accepts camelCase and maps lint
 * keys to the project config's kebab-case (`extendSelect` → `extend-select`). */
export const SERVER_SETTING_KEYS = [
  "model",
  "profile",
  "format",
  "select",
  "extendSelect",
  "ignore",
  "severity",
  "perFileIgnores",
  "schema",
  "nEpochs",
  "configurationPreference",
  "debounce",
  "pullDiagnostics",
  "inlayHints",
  "inlayHintsMaxLines",
  "logLevel",
  "logFile",
] as const;

/** Keys the client reads itself and never sends. */
export const CLIENT_ONLY_KEYS = ["server.command", "statusBar.enable", "trace.server"] as const;

export type SettingGetter = (key: string) => unknown;

/** What `WorkspaceConfiguration.inspect()` returns (the parts used here). */
export interface Inspection {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** The value the user set (folder, then workspace, then user settings), or undefined when only
 * the default applies. Only explicit values are sent: with `configurationPreference:
 * editorFirst`, a default sent by the editor would override the project's tunelint.toml. */
export function explicitValue(i: Inspection | undefined): unknown {
  if (!i) return undefined;
  return i.workspaceFolderValue ?? i.workspaceValue ?? i.globalValue;
}

/** The settings object for the server, from a getter that returns undefined for unset keys. */
export function serverSettings(get: SettingGetter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_SETTING_KEYS) {
    let value = get(key);
    if (value === undefined || value === null) continue;
    if ((key === "logFile" || key === "schema") && value === "") continue;
    if (key === "inlayHints") value = value === "on" ? true : value === "off" ? false : value;
    out[key] = value;
  }
  return out;
}

/** What `new LanguageClient(...)` takes as server options (an `Executable`, stdio). */
export interface ExecutableOptions {
  command: string;
  args: string[];
  options: { cwd?: string; env: Record<string, string | undefined> };
}

export function serverExecutable(
  server: ServerCommand,
  cwd: string | undefined,
  env: Record<string, string | undefined> = process.env,
): ExecutableOptions {
  return {
    command: server.command,
    args: [...server.args],
    // PYTHONUNBUFFERED: logs on stderr reach the output channel as they are written.
    options: { cwd, env: { ...env, PYTHONUNBUFFERED: "1" } },
  };
}

/** The plain-data part of LanguageClientOptions. */
export interface ClientOptionsData {
  documentSelector: { scheme: string; language?: string; pattern?: string }[];
  initializationOptions: { settings: Record<string, unknown>; clientName: string };
  diagnosticCollectionName: string;
  outputChannelName: string;
  markdown: { isTrusted: boolean; supportHtml: boolean };
}

export function clientOptionsData(get: SettingGetter): ClientOptionsData {
  return {
    documentSelector: [
      { scheme: "file", language: LANGUAGE_ID },
      { scheme: "untitled", language: LANGUAGE_ID },
      // `.ndjson` files opened before another extension claims them, and any file whose
      // language the user left as plain text / JSON:
      { scheme: "file", pattern: FILE_PATTERN },
    ],
    initializationOptions: {
      // pullDiagnostics is decided at initialize: off unless the user turns it on (see
      // package.json), whatever else is left to the server's defaults.
      settings: { pullDiagnostics: false, ...serverSettings(get) },
      clientName: "vscode",
    },
    diagnosticCollectionName: CLIENT_ID,
    outputChannelName: CLIENT_NAME,
    markdown: { isTrusted: false, supportHtml: false },
  };
}

/** Does a file path look like a dataset we lint? */
export function isDatasetPath(fsPath: string): boolean {
  return /\.(jsonl|ndjson)$/i.test(fsPath);
}

/** Counts for the status-bar item. */
export interface FileCounts {
  examples: number;
  errors: number;
  warnings: number;
}

/** Examples = non-blank lines (a JSONL example is one line). */
export function countExamples(text: string): number {
  let n = 0;
  for (const line of text.split(/\r?\n/)) if (line.trim() !== "") n++;
  return n;
}

export function statusText(c: FileCounts): string {
  const ex = `${c.examples.toLocaleString("en-US")} example${c.examples === 1 ? "" : "s"}`;
  if (c.errors === 0 && c.warnings === 0) return `$(check) tunelint: ${ex}`;
  const parts = [];
  if (c.errors > 0) parts.push(`$(error) ${c.errors}`);
  if (c.warnings > 0) parts.push(`$(warning) ${c.warnings}`);
  return `tunelint: ${ex} ${parts.join(" ")}`;
}

export function statusTooltip(c: FileCounts): string {
  return (
    `${c.examples} example(s), ${c.errors} error(s), ${c.warnings} warning(s). ` +
    "Click to show the dataset report."
  );
}
