// Locating the `proctor` executable. Kept free of the `vscode` module so the
// rules can be unit-tested with plain Node.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export type ServerSource = "setting" | "bundled" | "path";

export interface Found {
  kind: "found";
  command: string;
  source: ServerSource;
}

export interface NotFound {
  kind: "not-found";
  /** Human-readable reason, shown to the user. */
  reason: string;
  /** Set when `proctor.path` was configured but does not point at an executable. */
  configuredPath?: string;
}

export type Discovery = Found | NotFound;

export interface DiscoveryInput {
  /** Raw value of the `proctor.path` setting. */
  configuredPath: string | undefined;
  /** Folder the extension is installed in (holds `bundled/` when packaged with a server). */
  extensionPath: string;
  /** First workspace folder, for `${workspaceFolder}` expansion. */
  workspaceFolder?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  homedir?: string;
}

export function executableName(platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? "proctor.exe" : "proctor";
}

export function expandPath(raw: string, workspaceFolder: string | undefined, homedir: string): string {
  let value = raw.trim();
  if (value === "~") {
    value = homedir;
  } else if (value.startsWith("~/") || value.startsWith("~\\")) {
    value = path.join(homedir, value.slice(2));
  }
  if (workspaceFolder !== undefined) {
    value = value.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  return value;
}

export function isExecutableFile(file: string, platform: NodeJS.Platform = process.platform): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    if (platform === "win32") {
      return true;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Searches `PATH` (and `PATHEXT` on Windows) the way a shell would. */
export function searchPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  const pathVar = platform === "win32" ? (env.Path ?? env.PATH ?? "") : (env.PATH ?? "");
  const separator = platform === "win32" ? ";" : ":";
  const candidates = [name];
  if (platform === "win32" && path.extname(name) === "") {
    const exts = (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").filter((e) => e !== "");
    candidates.push(...exts.map((ext) => name + ext.toLowerCase()));
  }
  for (const dir of pathVar.split(separator)) {
    if (dir === "") {
      continue;
    }
    for (const candidate of candidates) {
      const full = path.join(dir, candidate);
      if (isExecutableFile(full, platform)) {
        return full;
      }
    }
  }
  return undefined;
}

/**
 * Order: the `proctor.path` setting, then the binary bundled in the
 * extension, then `proctor` on `PATH`. A configured path that does not exist
 * is an error rather than a silent fallback, so a typo is noticed.
 */
export function discoverServer(input: DiscoveryInput): Discovery {
  const env = input.env ?? process.env;
  const platform = input.platform ?? process.platform;
  const homedir = input.homedir ?? os.homedir();
  const name = executableName(platform);

  const configured = (input.configuredPath ?? "").trim();
  if (configured !== "") {
    const expanded = expandPath(configured, input.workspaceFolder, homedir);
    // A bare name such as "proctor-dev" is looked up on PATH.
    const isBareName = !expanded.includes("/") && !expanded.includes("\\");
    const resolved = isBareName ? searchPath(expanded, env, platform) : path.resolve(expanded);
    if (resolved !== undefined && isExecutableFile(resolved, platform)) {
      return { kind: "found", command: resolved, source: "setting" };
    }
    return {
      kind: "not-found",
      configuredPath: configured,
      reason: `The "proctor.path" setting points at "${configured}", which is not an executable file.`,
    };
  }

  const bundled = path.join(input.extensionPath, "bundled", name);
  if (isExecutableFile(bundled, platform)) {
    return { kind: "found", command: bundled, source: "bundled" };
  }

  const onPath = searchPath(name, env, platform);
  if (onPath !== undefined) {
    return { kind: "found", command: onPath, source: "path" };
  }

  return {
    kind: "not-found",
    reason: `Could not find the "${name}" executable: it is not bundled with the extension and not on PATH. Set "proctor.path" to its location.`,
  };
}
