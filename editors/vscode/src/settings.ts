// The settings the server understands, in the shape it expects both as
// `initializationOptions` and under `settings.proctor` in
// `workspace/didChangeConfiguration`.

import * as vscode from "vscode";

export interface ServerSettings {
  select: string[];
  ignore: string[];
}

function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.filter((item): item is string => typeof item === "string" && item.trim() !== "").map((s) => s.trim());
}

export function readServerSettings(scope?: vscode.ConfigurationScope): ServerSettings {
  const config = vscode.workspace.getConfiguration("proctor", scope);
  return {
    select: stringList(config.get("select")),
    ignore: stringList(config.get("ignore")),
  };
}

export function readConfiguredPath(): string {
  return vscode.workspace.getConfiguration("proctor").get<string>("path", "");
}
