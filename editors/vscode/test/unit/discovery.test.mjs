// Unit tests of server discovery (src/discovery.ts), which has no dependency
// on the vscode module. Run with `npm run test:unit`.
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "proctor-discovery-"));
let discovery;

before(async () => {
  const outfile = path.join(scratch, "discovery.cjs");
  await esbuild.build({
    entryPoints: [path.join(here, "..", "..", "src", "discovery.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    logLevel: "silent",
  });
  discovery = createRequire(import.meta.url)(outfile);
});

after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function executable(file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "#!/bin/sh\n");
  fs.chmodSync(file, 0o755);
  return file;
}

describe("discoverServer", () => {
  test("the proctor.path setting wins over bundled and PATH", () => {
    const configured = executable(path.join(scratch, "a", "my-proctor"));
    const extension = path.join(scratch, "ext1");
    executable(path.join(extension, "bundled", "proctor"));
    const bin = path.join(scratch, "bin1");
    executable(path.join(bin, "proctor"));
    const found = discovery.discoverServer({
      configuredPath: configured,
      extensionPath: extension,
      env: { PATH: bin },
      platform: "linux",
    });
    assert.deepEqual(found, { kind: "found", command: configured, source: "setting" });
  });

  test("a configured path that does not exist is an error, not a fallback", () => {
    const extension = path.join(scratch, "ext2");
    executable(path.join(extension, "bundled", "proctor"));
    const found = discovery.discoverServer({
      configuredPath: "/no/such/proctor",
      extensionPath: extension,
      env: { PATH: "" },
      platform: "linux",
    });
    assert.equal(found.kind, "not-found");
    assert.equal(found.configuredPath, "/no/such/proctor");
    assert.match(found.reason, /proctor\.path/);
  });

  test("a file without the executable bit is not accepted", () => {
    const file = path.join(scratch, "plain", "proctor");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "");
    fs.chmodSync(file, 0o644);
    const found = discovery.discoverServer({ configuredPath: file, extensionPath: scratch, env: {}, platform: "linux" });
    assert.equal(found.kind, "not-found");
  });

  test("~ and ${workspaceFolder} are expanded", () => {
    const home = path.join(scratch, "home");
    const inHome = executable(path.join(home, "tools", "proctor"));
    assert.equal(
      discovery.discoverServer({ configuredPath: "~/tools/proctor", extensionPath: scratch, env: {}, platform: "linux", homedir: home }).command,
      inHome,
    );
    const folder = path.join(scratch, "ws");
    const inFolder = executable(path.join(folder, "target", "release", "proctor"));
    assert.equal(
      discovery.discoverServer({
        configuredPath: "${workspaceFolder}/target/release/proctor",
        extensionPath: scratch,
        workspaceFolder: folder,
        env: {},
        platform: "linux",
      }).command,
      inFolder,
    );
  });

  test("a bare command name in proctor.path is looked up on PATH", () => {
    const bin = path.join(scratch, "bin2");
    const dev = executable(path.join(bin, "proctor-dev"));
    const found = discovery.discoverServer({ configuredPath: "proctor-dev", extensionPath: scratch, env: { PATH: bin }, platform: "linux" });
    assert.deepEqual(found, { kind: "found", command: dev, source: "setting" });
  });

  test("the bundled binary comes before PATH", () => {
    const extension = path.join(scratch, "ext3");
    const bundled = executable(path.join(extension, "bundled", "proctor"));
    const bin = path.join(scratch, "bin3");
    executable(path.join(bin, "proctor"));
    const found = discovery.discoverServer({ configuredPath: "", extensionPath: extension, env: { PATH: bin }, platform: "linux" });
    assert.deepEqual(found, { kind: "found", command: bundled, source: "bundled" });
  });

  test("PATH is searched in order when nothing else is there", () => {
    const first = path.join(scratch, "bin4a");
    const second = path.join(scratch, "bin4b");
    fs.mkdirSync(first, { recursive: true });
    const onPath = executable(path.join(second, "proctor"));
    const found = discovery.discoverServer({
      configuredPath: undefined,
      extensionPath: path.join(scratch, "ext4"),
      env: { PATH: `${first}:${second}` },
      platform: "linux",
    });
    assert.deepEqual(found, { kind: "found", command: onPath, source: "path" });
  });

  test("nothing found names the proctor.path setting", () => {
    const found = discovery.discoverServer({ configuredPath: "", extensionPath: path.join(scratch, "ext5"), env: { PATH: "" }, platform: "linux" });
    assert.equal(found.kind, "not-found");
    assert.match(found.reason, /proctor\.path/);
  });
});
