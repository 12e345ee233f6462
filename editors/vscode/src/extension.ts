// Proctor for VS Code: starts `proctor server` over stdio and wires up the
// commands and settings around it.

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
} from "vscode-languageclient/node";

import { discoverServer, Found } from "./discovery";
import { pickRuleCode, RULE_DOCS_SCHEME, RuleDocsProvider, ruleDocsUri } from "./ruleDocs";
import { readConfiguredPath, readServerSettings } from "./settings";

const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append("proctor");

let extensionContext: vscode.ExtensionContext;
// The language client writes the server's stderr and the LSP traces here.
let output: vscode.LogOutputChannel;
let client: LanguageClient | undefined;
let server: Found | undefined;
// Start, stop and restart are queued so that a restart never races a start.
let lifecycle: Promise<void> = Promise.resolve();


function enqueue(task: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(task, task);
  return lifecycle;
}

function firstWorkspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function discover() {
  return discoverServer({
    configuredPath: readConfiguredPath(),
    extensionPath: extensionContext.extensionPath,
    workspaceFolder: firstWorkspaceFolder(),
  });
}

/**
 * In a remote window (code-server, SSH, containers) "proctor.path" is a
 * setting of the remote machine, so open the Remote tab of the Settings editor.
 */
async function openPathSetting(): Promise<void> {
  if (vscode.env.remoteName !== undefined) {
    try {
      await vscode.commands.executeCommand("workbench.action.openRemoteSettings", { query: "proctor.path" });
      return;
    } catch {
      // Older versions have no such command: fall through to the user settings.
    }
  }
  await vscode.commands.executeCommand("workbench.action.openSettings", "proctor.path");
}

async function reportNotFound(message: string): Promise<void> {
  const openSettings = "Open Settings";
  const showOutput = "Show Output";
  const choice = await vscode.window.showErrorMessage(`Proctor: ${message}`, openSettings, showOutput);
  if (choice === openSettings) {
    await openPathSetting();
  } else if (choice === showOutput) {
    output.show(true);
  }
}

async function startClient(): Promise<void> {
  const found = discover();
  if (found.kind === "not-found") {
    server = undefined;
    output.error(found.reason);
    void reportNotFound(found.reason);
    return;
  }
  server = found;
  const sourceLabel = {
    setting: 'the "proctor.path" setting',
    bundled: "the binary bundled with the extension",
    path: "PATH",
  }[found.source];
  output.info(`Starting ${found.command} server (found via ${sourceLabel})`);

  const serverOptions: ServerOptions = {
    command: found.command,
    // Plain stdio: no transport option, so no "--stdio" flag is appended.
    args: ["server"],
    options: { cwd: firstWorkspaceFolder() },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
    ],
    initializationOptions: readServerSettings(),
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
  const next = new LanguageClient("proctor", "Proctor", serverOptions, clientOptions);
  client = next;
  try {
    await next.start();
    output.info("Server started");
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output.error(`Server failed to start: ${message}`);
    const showOutput = "Show Output";
    void vscode.window
      .showErrorMessage(`Proctor: the server at ${found.command} failed to start.`, showOutput)
      .then((choice) => {
        if (choice === showOutput) {
          output.show(true);
        }
      });
  }
}

async function stopClient(): Promise<void> {
  const current = client;
  client = undefined;
  if (current === undefined) {
    return;
  }
  try {
    if (current.isRunning()) {
      await current.stop();
    }
    await current.dispose();
  } catch (error) {
    output.warn(`Stopping the server: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function restart(): Promise<void> {
  return enqueue(async () => {
    await stopClient();
    await startClient();
  });
}

function sendSettings(): void {
  const current = client;
  if (current === undefined || !current.isRunning()) {
    return;
  }
  const settings = readServerSettings();
  output.info(`Sending settings: ${JSON.stringify(settings)}`);
  void current.sendNotification(DidChangeConfigurationNotification.type, { settings: { proctor: settings } });
}

async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.languageId !== "python") {
    void vscode.window.showInformationMessage("Proctor: open a Python file to fix.");
    return;
  }
  if (client === undefined || !client.isRunning()) {
    void vscode.window.showWarningMessage("Proctor: the server is not running.");
    return;
  }
  const document = editor.document;
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const actions =
    (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
      "vscode.executeCodeActionProvider",
      document.uri,
      document.validateRange(whole),
      FIX_ALL_KIND.value,
      10,
    )) ?? [];
  const ours = actions.filter(
    (action): action is vscode.CodeAction =>
      "kind" in action && action.kind !== undefined && FIX_ALL_KIND.contains(action.kind),
  );
  let applied = 0;
  for (const action of ours) {
    if (action.edit !== undefined && action.edit.size > 0) {
      if (await vscode.workspace.applyEdit(action.edit)) {
        applied++;
      }
    }
    if (action.command !== undefined) {
      await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
      applied++;
    }
  }
  if (applied === 0) {
    void vscode.window.showInformationMessage("Proctor: nothing to fix.");
  }
}

/** The server's diagnostics for a document, whether pushed or pulled. */
function serverDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  const pushed = client?.diagnostics?.get(uri) ?? [];
  const fromSource = vscode.languages
    .getDiagnostics(uri)
    .filter((diagnostic) => diagnostic.source?.toLowerCase() === "proctor");
  return [...pushed, ...fromSource];
}

async function showRuleDocs(provider: RuleDocsProvider, code?: unknown): Promise<void> {
  let chosen = typeof code === "string" && code.trim() !== "" ? code.trim() : undefined;
  if (chosen === undefined) {
    const editor = vscode.window.activeTextEditor;
    chosen = await pickRuleCode(editor !== undefined ? serverDiagnostics(editor.document.uri) : []);
  }
  if (chosen === undefined) {
    return;
  }
  try {
    await provider.load(chosen);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output.error(message);
    void vscode.window.showErrorMessage(`Proctor: no documentation for "${chosen}". ${message}`);
    return;
  }
  const uri = ruleDocsUri(chosen);
  try {
    await vscode.commands.executeCommand("markdown.showPreview", uri);
  } catch {
    // Without the built-in Markdown extension, show the source read-only.
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, "markdown");
    await vscode.window.showTextDocument(document, { preview: true });
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionContext = context;
  output = vscode.window.createOutputChannel("Proctor", { log: true });
  context.subscriptions.push(output);

  // Rule docs come from the same binary as the server, even when it is not running.
  const docs = new RuleDocsProvider(() => {
    if (server !== undefined) {
      return server.command;
    }
    const found = discover();
    return found.kind === "found" ? found.command : undefined;
  });
  context.subscriptions.push(docs, vscode.workspace.registerTextDocumentContentProvider(RULE_DOCS_SCHEME, docs));

  context.subscriptions.push(
    vscode.commands.registerCommand("proctor.restart", async () => {
      output.info("Restarting the server");
      docs.clear();
      await restart();
    }),
    vscode.commands.registerCommand("proctor.fixAll", fixAll),
    vscode.commands.registerCommand("proctor.showRuleDocs", (code?: unknown) => showRuleDocs(docs, code)),
    vscode.commands.registerCommand("proctor.showOutput", () => output.show()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("proctor.path")) {
        output.info('"proctor.path" changed');
        docs.clear();
        void restart();
      } else if (event.affectsConfiguration("proctor.select") || event.affectsConfiguration("proctor.ignore")) {
        sendSettings();
      }
    }),
  );

  await enqueue(startClient);
}

export async function deactivate(): Promise<void> {
  await enqueue(stopClient);
}
