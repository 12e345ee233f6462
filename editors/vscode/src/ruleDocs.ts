// "Proctor: Show Rule Documentation": the Markdown that `proctor rule CODE`
// prints, shown read-only in a Markdown preview.

import { execFile } from "child_process";
import * as vscode from "vscode";

export const RULE_DOCS_SCHEME = "proctor-rule";

/** Runs `<binary> rule <code>` and returns its standard output. */
export function fetchRuleDocs(command: string, code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      ["rule", code],
      { timeout: 60_000, maxBuffer: 4 * 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        if (error) {
          const detail = (stderr || stdout || error.message).toString().trim();
          reject(new Error(`"${command} rule ${code}" failed: ${detail}`));
          return;
        }
        resolve(stdout.toString());
      },
    );
  });
}

export function ruleDocsUri(code: string): vscode.Uri {
  return vscode.Uri.from({ scheme: RULE_DOCS_SCHEME, path: `/${code}.md` });
}

function codeFromUri(uri: vscode.Uri): string {
  return uri.path.replace(/^\//, "").replace(/\.md$/, "");
}

/** Serves `proctor-rule:/CODE.md` documents; they are read-only by construction. */
export class RuleDocsProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly cache = new Map<string, string>();

  constructor(private readonly resolveCommand: () => string | undefined) {}

  /** Fetches (or re-fetches) the docs of a rule; throws when the CLI fails. */
  async load(code: string): Promise<void> {
    const command = this.resolveCommand();
    if (command === undefined) {
      throw new Error('The proctor executable was not found. Set "proctor.path" to its location.');
    }
    const text = await fetchRuleDocs(command, code);
    if (text.trim() === "") {
      throw new Error(`"${command} rule ${code}" printed nothing.`);
    }
    this.cache.set(code, text);
    this.changed.fire(ruleDocsUri(code));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const code = codeFromUri(uri);
    return this.cache.get(code) ?? `No documentation loaded for ${code}.`;
  }

  clear(): void {
    this.cache.clear();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function diagnosticCode(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (code === undefined || code === null) {
    return undefined;
  }
  if (typeof code === "object") {
    return String(code.value);
  }
  return String(code);
}

interface RuleItem extends vscode.QuickPickItem {
  code: string;
}

/**
 * Lets the user pick one of the rule codes flagged in the given diagnostics,
 * or type any code or rule name.
 */
export function pickRuleCode(diagnostics: readonly vscode.Diagnostic[]): Promise<string | undefined> {
  const seen = new Map<string, RuleItem>();
  const sorted = [...diagnostics].sort((a, b) => a.range.start.compareTo(b.range.start));
  for (const diagnostic of sorted) {
    const code = diagnosticCode(diagnostic);
    if (code === undefined || seen.has(code)) {
      continue;
    }
    seen.set(code, {
      code,
      label: code,
      description: `line ${diagnostic.range.start.line + 1}`,
      detail: diagnostic.message,
    });
  }
  const flagged = [...seen.values()];

  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<RuleItem>();
    pick.title = "Proctor: Show Rule Documentation";
    pick.placeholder =
      flagged.length > 0
        ? "Pick a rule flagged in this file, or type a rule code or name"
        : "Type a rule code or name (for example TQ301)";
    pick.matchOnDetail = true;
    pick.items = flagged;
    let settled = false;
    const finish = (value: string | undefined) => {
      if (!settled) {
        settled = true;
        resolve(value);
        pick.dispose();
      }
    };
    pick.onDidChangeValue((value) => {
      const typed = value.trim();
      const exact = flagged.some((item) => item.code.toLowerCase() === typed.toLowerCase());
      if (typed === "" || exact) {
        pick.items = flagged;
      } else {
        pick.items = [{ code: typed, label: typed, description: "look up this rule" }, ...flagged];
      }
    });
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      const typed = pick.value.trim();
      finish(chosen?.code ?? (typed !== "" ? typed : undefined));
    });
    pick.onDidHide(() => finish(undefined));
    pick.show();
  });
}
