// Real-editor test: the packaged extension in code-server (VS Code in the
// browser), driven through its UI by Playwright in Debian's Chromium.
//
// Run it through `editors/vscode/test/run`, which installs what it needs and
// sets the environment below:
//   PROCTOR_E2E_TOOLS     folder whose node_modules has code-server and playwright-core
//   PROCTOR_E2E_VSIX      the packaged extension
//   PROCTOR_E2E_SERVER    the proctor executable, configured as proctor.path
//   PROCTOR_E2E_PROFILE   "proctor" (default) or "ruff", see profiles.mjs
//   PROCTOR_E2E_ARTIFACTS where failure screenshots and logs go
//   PROCTOR_E2E_IMAGES    where the success screenshots go (docs/images), or empty for none
//   CHROMIUM              the browser (default /usr/bin/chromium)
//
// Steps: Problems panel shows the expected diagnostics; hovering a flagged
// range shows the rule explanation; Ctrl+. on a flagged line offers the quick
// fix, choosing it and saving changes the file on disk as expected;
// "Proctor: Show Rule Documentation" shows the rule's docs; a proctor.path
// that points nowhere produces an error naming the setting.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { profiles } from "./profiles.mjs";

const env = process.env;
const tools = required("PROCTOR_E2E_TOOLS");
const vsix = required("PROCTOR_E2E_VSIX");
const serverPath = required("PROCTOR_E2E_SERVER");
const profileName = env.PROCTOR_E2E_PROFILE || "proctor";
const profile = profiles[profileName];
if (!profile) {
  fail(`unknown PROCTOR_E2E_PROFILE "${profileName}" (known: ${Object.keys(profiles).join(", ")})`);
}
const artifacts = path.resolve(env.PROCTOR_E2E_ARTIFACTS || "tests/e2e/artifacts/vscode");
const imagesDir = env.PROCTOR_E2E_IMAGES ? path.resolve(env.PROCTOR_E2E_IMAGES) : "";
const chromiumPath = env.CHROMIUM || "/usr/bin/chromium";
// Generous upper bounds for waits on a slow 2-core machine; nothing asserts speed.
const LONG = 180_000;
const MEDIUM = 60_000;

const requireTool = createRequire(path.join(tools, "node_modules", "noop.js"));
const { chromium } = requireTool("playwright-core");
const codeServerBin = path.join(tools, "node_modules", "code-server", "out", "node", "entry.js");

function required(name) {
  const value = env[name];
  if (!value) {
    fail(`${name} is not set (run editors/vscode/test/run)`);
  }
  return value;
}

function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(2);
}

function log(message) {
  console.log(`e2e: ${message}`);
}

// ---------------------------------------------------------------------------
// Workspace and code-server

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "proctor-vscode-e2e-"));
const workspace = path.join(scratch, "workspace");
const userData = path.join(scratch, "user-data");
const extensionsDir = path.join(scratch, "extensions");
const browserProfile = path.join(scratch, "chromium");
const xdg = path.join(scratch, "xdg");
for (const dir of [workspace, userData, extensionsDir, browserProfile, xdg, artifacts]) {
  fs.mkdirSync(dir, { recursive: true });
}
const samplePath = path.join(workspace, profile.fileName);
fs.writeFileSync(samplePath, profile.text);

const userSettingsPath = path.join(userData, "User", "settings.json");
// code-server is a remote window: machine-scoped settings such as
// proctor.path come from the remote ("Machine") settings, as a user of
// code-server would set them.
const machineSettingsPath = path.join(userData, "Machine", "settings.json");
fs.mkdirSync(path.dirname(machineSettingsPath), { recursive: true });
fs.writeFileSync(
  machineSettingsPath,
  JSON.stringify({ "proctor.path": serverPath, "proctor.trace.server": "messages" }, null, 2),
);
const baseSettings = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.disableAIFeatures": true,
  "chat.commandCenter.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "security.workspace.trust.enabled": false,
  "files.autoSave": "off",
  "editor.minimap.enabled": false,
  "editor.hover.delay": 200,
  "editor.fontSize": 14,
  "editor.renderWhitespace": "none",
  "window.menuBarVisibility": "compact",
  "workbench.colorTheme": "Default Light Modern",
};
writeUserSettings(baseSettings);

function writeUserSettings(settings) {
  fs.mkdirSync(path.dirname(userSettingsPath), { recursive: true });
  fs.writeFileSync(userSettingsPath, JSON.stringify(settings, null, 2));
}

const codeServerEnv = {
  ...env,
  XDG_CONFIG_HOME: path.join(xdg, "config"),
  XDG_DATA_HOME: path.join(xdg, "data"),
  XDG_CACHE_HOME: path.join(xdg, "cache"),
};
const commonArgs = [
  "--config",
  path.join(scratch, "code-server.yaml"),
  "--user-data-dir",
  userData,
  "--extensions-dir",
  extensionsDir,
];
fs.writeFileSync(path.join(scratch, "code-server.yaml"), "");

function installExtension() {
  log(`installing ${vsix}`);
  const result = spawnSync(process.execPath, [codeServerBin, ...commonArgs, "--install-extension", vsix], {
    env: codeServerEnv,
    encoding: "utf8",
  });
  const text = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0 || !/successfully installed/i.test(text)) {
    throw new Error(`installing the extension failed (exit ${result.status}):\n${text}`);
  }
}

let codeServer;
const codeServerLog = path.join(artifacts, "code-server.log");

function startCodeServer() {
  const logStream = fs.openSync(codeServerLog, "w");
  codeServer = spawn(
    process.execPath,
    [
      codeServerBin,
      ...commonArgs,
      "--auth",
      "none",
      "--bind-addr",
      "127.0.0.1:0",
      "--disable-workspace-trust",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-getting-started-override",
      workspace,
    ],
    { env: codeServerEnv, detached: true, stdio: ["ignore", logStream, logStream] },
  );
  return waitFor(
    () => {
      if (codeServer.exitCode !== null) {
        throw new Error(`code-server exited with ${codeServer.exitCode}; see ${codeServerLog}`);
      }
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(fs.readFileSync(codeServerLog, "utf8"));
      return match?.[1];
    },
    MEDIUM,
    "code-server to listen",
  );
}

function stopCodeServer() {
  if (codeServer && codeServer.exitCode === null) {
    try {
      process.kill(-codeServer.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}

async function waitFor(probe, timeout, what, interval = 250) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) {
        return value;
      }
    } catch (error) {
      lastError = error;
      if (error?.fatal) {
        throw error;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

// ---------------------------------------------------------------------------
// Editor helpers

let page;
const isMac = false;
const mod = isMac ? "Meta" : "Control";

async function runCommand(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: MEDIUM });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: MEDIUM });
  await page.keyboard.press("Enter");
}

async function openFile(name) {
  await page.keyboard.press(`${mod}+P`);
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: MEDIUM });
  await input.fill(name);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: name }).first().waitFor({ timeout: MEDIUM });
  await page.keyboard.press("Enter");
  await page.locator(`.tab[aria-label*="${name}"]`).first().waitFor({ timeout: MEDIUM });
  await page.locator(".monaco-editor .view-lines").first().waitFor({ timeout: MEDIUM });
}

/** Screen position of `anchor` on editor line `line` (1-based): its centre. */
async function anchorPoint(line, anchor) {
  return waitFor(
    () =>
      page.evaluate(
        ({ line, anchor }) => {
          const editor = document.querySelector(".editor-group-container.active .monaco-editor");
          if (!editor) return null;
          const numbers = [...editor.querySelectorAll(".margin-view-overlays .line-numbers")];
          const number = numbers.find((el) => el.textContent.trim() === String(line));
          if (!number) return null;
          const top = number.getBoundingClientRect().top;
          const row = [...editor.querySelectorAll(".view-lines .view-line")].find(
            (el) => Math.abs(el.getBoundingClientRect().top - top) < 2,
          );
          if (!row) return null;
          const text = row.textContent.replace(/\u00a0/g, " ");
          const index = text.indexOf(anchor);
          if (index < 0) return null;
          // Walk the text nodes to the anchor's offset.
          const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
          let offset = 0;
          let startNode;
          let startOffset = 0;
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const length = node.textContent.length;
            if (offset + length > index) {
              startNode = node;
              startOffset = index - offset;
              break;
            }
            offset += length;
          }
          if (!startNode) return null;
          const range = document.createRange();
          const endOffset = Math.min(startOffset + anchor.length, startNode.textContent.length);
          range.setStart(startNode, startOffset);
          range.setEnd(startNode, endOffset);
          const rect = range.getBoundingClientRect();
          return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
        },
        { line, anchor },
      ),
    MEDIUM,
    `"${anchor}" on line ${line} to be rendered`,
  );
}

async function problemRows() {
  return page.locator(".markers-panel .monaco-list-row").evaluateAll((rows) =>
    rows.map((row) => ({ label: row.getAttribute("aria-label") || "", text: row.textContent || "" })),
  );
}

function rowMatches(row, expected) {
  const hay = `${row.label}\n${row.text}`;
  if (!hay.includes(expected.code)) return false;
  if (expected.message && !hay.includes(expected.message)) return false;
  // Problems rows say "[Ln 7, Col 9]"; the aria label says "at line 7".
  const lineMark = new RegExp(`(Ln ${expected.line},|line ${expected.line}\\b)`);
  return lineMark.test(hay);
}

async function screenshot(file, clipSelector) {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (clipSelector) {
    const box = await page.locator(clipSelector).first().boundingBox();
    if (box) {
      await page.screenshot({ path: target, clip: box });
      return target;
    }
  }
  await page.screenshot({ path: target });
  return target;
}

async function hoverText() {
  return page
    .locator(".monaco-hover:not(.hidden)")
    .evaluateAll((nodes) => nodes.map((n) => n.innerText).join("\n---\n"))
    .catch(() => "");
}

async function textInAnyFrame(strings) {
  for (const frame of page.frames()) {
    try {
      const text = await frame.evaluate(() => document.body?.innerText || "");
      if (strings.every((s) => text.includes(s))) {
        return true;
      }
    } catch {
      // frame navigated or not accessible
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// The test

const steps = [];
let browser;

async function step(name, body) {
  log(`step: ${name}`);
  try {
    await body();
    steps.push({ name, ok: true });
  } catch (error) {
    steps.push({ name, ok: false });
    const shot = path.join(artifacts, `failure-${steps.length}-${name.replace(/[^a-z0-9]+/gi, "-")}.png`);
    if (page) {
      await page.screenshot({ path: shot }).catch(() => undefined);
      log(`screenshot of the failure: ${shot}`);
    }
    throw error;
  }
}

async function main() {
  log(`profile ${profileName}; server ${serverPath}; workspace ${workspace}`);
  installExtension();
  const url = await startCodeServer();
  log(`code-server at ${url}`);

  // A persistent context is how Playwright takes a fresh --user-data-dir.
  browser = await chromium.launchPersistentContext(browserProfile, {
    executablePath: chromiumPath,
    headless: true,
    // Keep Chromium's crash-report folders in the scratch folder, not in ~/.config.
    env: { ...codeServerEnv },
    viewport: { width: 1100, height: 640 },
    deviceScaleFactor: 1,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  await browser.grantPermissions(["clipboard-read", "clipboard-write"], { origin: url });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on("pageerror", (error) => fs.appendFileSync(path.join(artifacts, "page-errors.log"), `${error.stack}\n`));

  await step("open the workbench", async () => {
    await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`, { timeout: LONG });
    await page.locator(".monaco-workbench").waitFor({ timeout: LONG });
    await page.locator(".explorer-folders-view, .explorer-viewlet").first().waitFor({ timeout: LONG });
  });

  await step("open the test file", async () => {
    await openFile(profile.fileName);
  });

  await step("diagnostics appear in the Problems panel", async () => {
    await page.keyboard.press(`${mod}+Shift+M`);
    await page.locator(".markers-panel").waitFor({ timeout: MEDIUM });
    const rows = await waitFor(
      async () => {
        const rows = await problemRows();
        return profile.diagnostics.every((expected) => rows.some((row) => rowMatches(row, expected))) ? rows : null;
      },
      LONG,
      `Problems entries ${profile.diagnostics.map((d) => `${d.code}@${d.line}`).join(", ")}`,
    ).catch(async (error) => {
      const rows = await problemRows();
      throw new Error(`${error.message}\nProblems panel rows:\n${rows.map((r) => `  ${r.label} | ${r.text}`).join("\n")}`);
    });
    for (const row of rows) {
      log(`problem: ${row.label}`);
    }
    // Hide the panel (Ctrl+J toggles it) so the editor has room for the hover.
    await page.keyboard.press(`${mod}+J`);
    await page.locator(".markers-panel").waitFor({ state: "hidden", timeout: MEDIUM });
    const fromServer = rows.filter((row) => row.label.includes(profile.source) || row.text.includes(profile.source));
    if (fromServer.length === 0) {
      throw new Error(`no Problems entry names the source "${profile.source}"`);
    }
  });

  await step("hover explains the rule", async () => {
    const { line, anchor, expect } = profile.hover;
    const point = await anchorPoint(line, anchor);
    await page.mouse.move(point.x - 40, point.y - 60);
    await page.mouse.move(point.x, point.y, { steps: 5 });
    await waitFor(
      async () => {
        const text = await hoverText();
        if (!expect.every((s) => text.includes(s))) {
          // Hovers can close when the mouse settles on a boundary; nudge it.
          await page.mouse.move(point.x + 1, point.y);
          return null;
        }
        return text;
      },
      MEDIUM,
      `a hover containing ${expect.map((s) => JSON.stringify(s)).join(", ")}`,
    ).catch(async (error) => {
      throw new Error(`${error.message}\nhover text was:\n${await hoverText()}`);
    });
    if (imagesDir) {
      const file = await screenshot(path.join(imagesDir, "vscode-hover.png"), ".part.editor");
      log(`saved ${file}`);
    }
    await page.mouse.move(5, 5);
    await page.keyboard.press("Escape");
  });

  await step("quick fix through Ctrl+.", async () => {
    const { line, anchor, title, expected } = profile.quickFix;
    const point = await anchorPoint(line, anchor);
    await page.mouse.click(point.x, point.y);
    await page.mouse.move(5, 5);
    const item = page.locator(".action-widget .monaco-list-row", { hasText: title }).first();
    await waitFor(
      async () => {
        if (await item.isVisible()) return true;
        await page.keyboard.press("Escape");
        await page.mouse.click(point.x, point.y);
        await page.keyboard.press(`${mod}+.`);
        await item.waitFor({ state: "visible", timeout: 5_000 }).catch(() => undefined);
        return item.isVisible();
      },
      MEDIUM,
      `the quick-fix menu to offer "${title}"`,
      500,
    ).catch(async (error) => {
      const offered = await page
        .locator(".action-widget .monaco-list-row")
        .allInnerTexts()
        .catch(() => []);
      throw new Error(`${error.message}\nthe menu offered: ${JSON.stringify(offered)}`);
    });
    await item.hover();
    if (imagesDir) {
      const file = await screenshot(path.join(imagesDir, "vscode-quick-fix.png"), ".part.editor");
      log(`saved ${file}`);
    }
    await item.click();
    await page.locator(".tab.dirty").first().waitFor({ timeout: MEDIUM });
    await page.keyboard.press(`${mod}+S`);
    await waitFor(
      () => fs.readFileSync(samplePath, "utf8") === expected,
      MEDIUM,
      "the fixed file to be saved",
    ).catch((error) => {
      throw new Error(
        `${error.message}\nexpected:\n${expected}\nfile on disk:\n${fs.readFileSync(samplePath, "utf8")}`,
      );
    });
    log("file on disk has the fix");
  });

  await step("Show Rule Documentation", async () => {
    const { code, expect } = profile.ruleDocs;
    await runCommand("Proctor: Show Rule Documentation");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible", timeout: MEDIUM });
    await input.fill(code);
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: code }).first().waitFor({ timeout: MEDIUM });
    await page.keyboard.press("Enter");
    await waitFor(() => textInAnyFrame(expect), MEDIUM, `rule docs showing ${JSON.stringify(expect)}`);
  });

  await step("a wrong proctor.path is reported", async () => {
    // Change the setting the way a user would: in the Settings editor.
    const missing = path.join(scratch, "no-such-dir", "proctor");
    await runCommand("Preferences: Open User Settings");
    await page.locator(".settings-editor").waitFor({ timeout: MEDIUM });
    await page.keyboard.type("proctor.path");
    // Workspace settings override the machine setting for this folder.
    await page.locator(".settings-editor .settings-tabs-widget .action-label", { hasText: "Workspace" }).first().click();
    const input = page.locator(".settings-editor .setting-item-contents", { hasText: "Path to the" }).locator("input");
    await input.first().waitFor({ state: "visible", timeout: MEDIUM });
    await input.first().fill(missing);
    await page.keyboard.press("Tab");
    const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "proctor.path" }).first();
    await toast.waitFor({ state: "visible", timeout: MEDIUM });
    const text = await toast.innerText();
    if (!text.includes(missing)) {
      throw new Error(`the notification does not name the configured path:\n${text}`);
    }
    // Search for something else, then let the notification's button bring
    // the setting back.
    const pathItem = page.locator(".settings-editor .setting-item-contents", { hasText: "Path to the" }).first();
    const count = page.locator(".settings-editor .settings-count-widget").first();
    await page.locator('.settings-editor [aria-label*="Clear Settings Search"]').first().click();
    await waitFor(async () => !/^1 Setting/.test((await count.innerText().catch(() => "")).trim()), MEDIUM, "the settings search to clear");
    await toast.getByRole("button", { name: "Open Settings" }).click();
    await pathItem.waitFor({ state: "visible", timeout: MEDIUM });
    await waitFor(async () => /^1 Setting/.test((await count.innerText()).trim()), MEDIUM, "the settings search for proctor.path");
    const workspaceSettings = path.join(workspace, ".vscode", "settings.json");
    if (!fs.existsSync(workspaceSettings) || !fs.readFileSync(workspaceSettings, "utf8").includes(missing)) {
      throw new Error(`the Settings editor did not write proctor.path to ${workspaceSettings}`);
    }
  });
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  console.error(`e2e: FAILED: ${error.stack || error}`);
  console.error(`e2e: code-server log: ${codeServerLog}`);
  const logs = path.join(userData, "logs");
  if (fs.existsSync(logs)) {
    const target = path.join(artifacts, "vscode-logs");
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(logs, target, { recursive: true });
    console.error(`e2e: VS Code logs (the Proctor output channel among them): ${target}`);
  }
} finally {
  await browser?.close().catch(() => undefined);
  stopCodeServer();
}
const passed = steps.filter((s) => s.ok).length;
const failed = Math.max(steps.length - passed, exitCode);
log(`profile ${profileName}: ${steps.map((s) => `${s.ok ? "ok" : "FAILED"} ${s.name}`).join("; ")}`);
console.log(`vscode-e2e: ${passed} passed, ${failed} failed`);
if (exitCode === 0) {
  fs.rmSync(scratch, { recursive: true, force: true });
} else {
  console.error(`e2e: scratch folder kept: ${scratch}`);
}
process.exit(exitCode);
