// The VS Code side of tunelint: finds and starts `tunelint lsp`, forwards the commands, keeps a
// status-bar item with the current file's example count and problems.
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

import { findServer, INSTALL_GUIDE, missingServerMessage, type ServerCommand } from "./findServer";
import {
  CLIENT_ID,
  CLIENT_NAME,
  clientOptionsData,
  countExamples,
  explicitValue,
  type FileCounts,
  LANGUAGE_ID,
  isDatasetPath,
  SECTION,
  serverExecutable,
  serverSettings,
  statusText,
  statusTooltip,
} from "./options";

/** Server-side command names (executeCommandProvider of `tunelint lsp`). */
export const SERVER_COMMANDS = {
  showReport: "tunelint.showReport",
  startFineTune: "tunelint.startFineTune",
  jobStatus: "tunelint.jobStatus",
  cancelJob: "tunelint.cancelJob",
} as const;

let client: LanguageClient | undefined;
let outputChannel: vscode.LogOutputChannel | undefined;
let statusItem: vscode.StatusBarItem | undefined;

function config(resource?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, resource);
}

/** The settings the user set explicitly for `resource` (defaults left to the server). */
function settingsFor(resource?: vscode.Uri): Record<string, unknown> {
  const c = config(resource);
  return serverSettings((key) => explicitValue(c.inspect(key)));
}

/** Interpreters of the selected Python environment (ms-python.python), best first. */
async function pythonInterpreters(resource?: vscode.Uri): Promise<string[]> {
  const found: string[] = [];
  const ext = vscode.extensions.getExtension("ms-python.python");
  if (ext) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const api: any = ext.isActive ? ext.exports : await ext.activate();
      const envPath = api?.environments?.getActiveEnvironmentPath?.(resource);
      if (envPath?.path) found.push(envPath.path);
      const details = api?.settings?.getExecutionDetails?.(resource);
      if (Array.isArray(details?.execCommand) && details.execCommand[0]) {
        found.push(details.execCommand[0]);
      }
    } catch (err) {
      outputChannel?.appendLine(`tunelint: could not ask the Python extension: ${String(err)}`);
    }
  }
  const fallback = vscode.workspace.getConfiguration("python", resource).get<string>(
    "defaultInterpreterPath",
  );
  if (fallback && fallback !== "python") found.push(fallback);
  return found;
}

function workspaceCwd(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

async function locateServer(): Promise<ServerCommand | undefined> {
  const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
  const input = {
    configured: config(resource).get<string[]>("server.command", []),
    interpreters: await pythonInterpreters(resource),
    cwd: workspaceCwd(),
    home: process.env.HOME ?? process.env.USERPROFILE,
  };
  const server = findServer(input);
  if (!server) {
    const install = "How to install";
    const settings = "Open Settings";
    void vscode.window
      .showErrorMessage(missingServerMessage(input), install, settings)
      .then((choice) => {
        if (choice === install) {
          void vscode.workspace
            .openTextDocument({ content: INSTALL_GUIDE, language: "markdown" })
            .then((doc) => vscode.window.showTextDocument(doc, { preview: true }));
        }
        if (choice === settings) {
          void vscode.commands.executeCommand(
            "workbench.action.openSettings",
            "tunelint.server.command",
          );
        }
      });
  }
  return server;
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const server = await locateServer();
  if (!server) return;
  outputChannel?.appendLine(`tunelint: starting ${server.command} ${server.args.join(" ")} (${server.source})`);
  const exe = serverExecutable(server, workspaceCwd());
  const serverOptions: ServerOptions = { ...exe, transport: TransportKind.stdio };
  const data = clientOptionsData((key) => explicitValue(config().inspect(key)));
  const clientOptions: LanguageClientOptions = {
    ...data,
    outputChannel,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{tunelint.toml,pyproject.toml}"),
    },
    middleware: {
      workspace: {
        // Answer workspace/configuration for our section with explicit settings only.
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) return answers;
          return params.items.map((item, i) =>
            item.section === SECTION
              ? settingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
              : answers[i],
          );
        },
      },
    },
  };
  client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  context.subscriptions.push(
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped) updateStatus();
    }),
  );
  try {
    await client.start();
  } catch (err) {
    void vscode.window.showErrorMessage(
      `tunelint: the language server (${server.command}) failed to start: ${String(err)}`,
      "Show Log",
    ).then((c) => c && outputChannel?.show());
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop();
    } catch {
      // already dead
    }
  }
}

function activeDataset(): vscode.TextDocument | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) return undefined;
  if (doc.languageId === LANGUAGE_ID || isDatasetPath(doc.uri.fsPath)) return doc;
  return undefined;
}

function counts(doc: vscode.TextDocument): FileCounts {
  let errors = 0;
  let warnings = 0;
  for (const d of vscode.languages.getDiagnostics(doc.uri)) {
    if (d.source && d.source !== "tunelint") continue;
    if (d.severity === vscode.DiagnosticSeverity.Error) errors++;
    else if (d.severity === vscode.DiagnosticSeverity.Warning) warnings++;
  }
  return { examples: countExamples(doc.getText()), errors, warnings };
}

function updateStatus(): void {
  if (!statusItem) return;
  const doc = activeDataset();
  if (!doc || !config(doc.uri).get<boolean>("statusBar.enable", true)) {
    statusItem.hide();
    return;
  }
  const c = counts(doc);
  statusItem.text = client?.isRunning() ? statusText(c) : `$(circle-slash) ${statusText(c)}`;
  statusItem.tooltip = client?.isRunning()
    ? statusTooltip(c)
    : "The tunelint language server is not running. Click for the log.";
  statusItem.command = client?.isRunning() ? "tunelint.report.show" : "tunelint.showOutput";
  statusItem.show();
}

async function runServerCommand(command: string, args: unknown[]): Promise<unknown> {
  if (!client?.isRunning()) {
    void vscode.window.showWarningMessage("tunelint: the language server is not running.");
    return undefined;
  }
  try {
    return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  } catch (err) {
    void vscode.window.showErrorMessage(`tunelint: ${command} failed: ${String(err)}`);
    return undefined;
  }
}

/** Show whatever a command returned: markdown/text in a side editor, otherwise a message. */
async function showResult(title: string, result: unknown): Promise<void> {
  if (result === undefined || result === null) return;
  let content: string;
  let language = "markdown";
  if (typeof result === "string") content = result;
  else if (typeof result === "object" && result && "markdown" in result) {
    content = String((result as { markdown: unknown }).markdown);
  } else {
    content = JSON.stringify(result, null, 2);
    language = "json";
  }
  if (!content.includes("\n") && content.length < 200) {
    void vscode.window.showInformationMessage(`tunelint: ${content}`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument({ content: `<!-- ${title} -->\n${content}`, language });
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

function requireDataset(): vscode.TextDocument | undefined {
  const doc = activeDataset();
  if (!doc) void vscode.window.showWarningMessage("tunelint: open a .jsonl dataset first.");
  return doc;
}

async function askJobId(prompt: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    prompt,
    placeHolder: "ftjob-... (empty: the last job started from this editor)",
  });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  statusItem = vscode.window.createStatusBarItem("tunelint.status", vscode.StatusBarAlignment.Right, 100);
  statusItem.name = "tunelint";
  context.subscriptions.push(outputChannel, statusItem);

  const reg = (id: string, fn: (...a: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));

  reg("tunelint.restartServer", async () => {
    await stopClient();
    await startClient(context);
    updateStatus();
  });
  reg("tunelint.showOutput", () => outputChannel?.show());
  reg("tunelint.report.show", async () => {
    const doc = requireDataset();
    if (!doc) return;
    const result = await runServerCommand(SERVER_COMMANDS.showReport, [doc.uri.toString()]);
    await showResult("tunelint dataset report", result);
  });
  reg("tunelint.fineTune.start", async () => {
    const doc = requireDataset();
    if (!doc) return;
    if (doc.isDirty) await doc.save();
    const result = await runServerCommand(SERVER_COMMANDS.startFineTune, [doc.uri.toString()]);
    await showResult("tunelint fine-tune job", result);
  });
  reg("tunelint.fineTune.status", async () => {
    const id = await askJobId("Fine-tune job id");
    if (id === undefined) return;
    const result = await runServerCommand(SERVER_COMMANDS.jobStatus, id ? [id] : []);
    await showResult("tunelint job status", result);
  });
  reg("tunelint.fineTune.cancel", async () => {
    const id = await askJobId("Fine-tune job id to cancel");
    if (id === undefined) return;
    const sure = await vscode.window.showWarningMessage(
      `Cancel fine-tune job ${id || "(last job)"}?`, { modal: true }, "Cancel Job",
    );
    if (sure !== "Cancel Job") return;
    const result = await runServerCommand(SERVER_COMMANDS.cancelJob, id ? [id] : []);
    await showResult("tunelint cancel job", result);
  });

  let timer: NodeJS.Timeout | undefined;
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(updateStatus, 200);
  };
  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor(updateStatus),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === vscode.window.activeTextEditor?.document) later();
    }),
    vscode.languages.onDidChangeDiagnostics(later),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("tunelint.server.command")) {
        await stopClient();
        await startClient(context);
      }
      if (e.affectsConfiguration(SECTION)) {
        if (client?.isRunning()) {
          void client.sendNotification(DidChangeConfigurationNotification.type, {
            settings: { [SECTION]: settingsFor() },
          });
        }
        updateStatus();
      }
    }),
    { dispose: () => timer && clearTimeout(timer) },
  );

  await startClient(context);
  updateStatus();
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
