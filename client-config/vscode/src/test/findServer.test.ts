import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

import { findServer, INSTALL_GUIDE, missingServerMessage, scriptsDirFor, whichOnPath } from "../findServer";

function fakeFs(files: string[]): (f: string) => boolean {
  const set = new Set(files);
  return (f) => set.has(f);
}

describe("findServer", () => {
  it("uses the setting as given, with its arguments", () => {
    const s = findServer({
      configured: ["/opt/tl/bin/tunelint", "lsp", "--log-level", "debug"],
      interpreters: ["/venv/bin/python"],
      isExecutable: fakeFs(["/venv/bin/tunelint"]),
    });
    assert.deepEqual(s, {
      command: "/opt/tl/bin/tunelint",
      args: ["lsp", "--log-level", "debug"],
      source: "setting",
    });
  });

  it("expands ~ and resolves ./ in the setting", () => {
    const s = findServer({ configured: ["~/bin/tunelint", "lsp"], home: "/home/u", isExecutable: () => false });
    assert.equal(s?.command, "/home/u/bin/tunelint");
    const r = findServer({ configured: ["./.venv/bin/tunelint", "lsp"], cwd: "/ws", platform: "linux" });
    assert.equal(r?.command, "/ws/.venv/bin/tunelint");
  });

  it("an empty setting means: look for it", () => {
    const s = findServer({
      configured: [""],
      pathEnv: "/usr/bin",
      platform: "linux",
      isExecutable: fakeFs(["/usr/bin/tunelint"]),
    });
    assert.equal(s?.source, "path");
  });

  it("prefers the selected Python environment over PATH", () => {
    const s = findServer({
      interpreters: [undefined, "/proj/.venv/bin/python"],
      pathEnv: "/usr/local/bin:/usr/bin",
      platform: "linux",
      isExecutable: fakeFs(["/proj/.venv/bin/tunelint", "/usr/bin/tunelint"]),
    });
    assert.deepEqual(s, { command: "/proj/.venv/bin/tunelint", args: ["lsp"], source: "python-environment" });
  });

  it("falls back to PATH, in PATH order", () => {
    const s = findServer({
      interpreters: ["/proj/.venv/bin/python"],
      pathEnv: "/a::/b:/c",
      platform: "linux",
      isExecutable: fakeFs(["/b/tunelint", "/c/tunelint"]),
    });
    assert.deepEqual(s, { command: "/b/tunelint", args: ["lsp"], source: "path" });
  });

  it("returns undefined when there is none", () => {
    assert.equal(findServer({ pathEnv: "/a:/b", platform: "linux", isExecutable: () => false }), undefined);
  });

  it("knows Windows layouts", () => {
    assert.deepEqual(scriptsDirFor("C:\\p\\.venv\\Scripts\\python.exe", "win32"), ["C:\\p\\.venv\\Scripts"]);
    assert.deepEqual(scriptsDirFor("C:\\Python312\\python.exe", "win32"), ["C:\\Python312\\Scripts", "C:\\Python312"]);
    const s = findServer({
      interpreters: ["C:\\Python312\\python.exe"],
      platform: "win32",
      pathEnv: "",
      isExecutable: fakeFs(["C:\\Python312\\Scripts\\tunelint.exe"]),
    });
    assert.equal(s?.command, "C:\\Python312\\Scripts\\tunelint.exe");
    assert.equal(
      whichOnPath("tunelint", "C:\\x;C:\\y", "win32", fakeFs(["C:\\y\\tunelint.cmd"])),
      "C:\\y\\tunelint.cmd",
    );
  });

  it("checks the real file system by default: executable files only", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-find-"));
    try {
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, "python"), "");
      fs.writeFileSync(path.join(bin, "tunelint"), "#!/bin/sh\n", { mode: 0o644 });
      assert.equal(findServer({ interpreters: [path.join(bin, "python")], pathEnv: "" }), undefined);
      fs.chmodSync(path.join(bin, "tunelint"), 0o755);
      const s = findServer({ interpreters: [path.join(bin, "python")], pathEnv: "" });
      assert.equal(s?.command, path.join(bin, "tunelint"));
      fs.mkdirSync(path.join(dir, "d", "tunelint"), { recursive: true }); // a directory is no server
      assert.equal(findServer({ pathEnv: path.join(dir, "d") }), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says where it looked and how to fix it", () => {
    const m = missingServerMessage({ interpreters: ["/proj/.venv/bin/python"] });
    assert.match(m, /\/proj\/\.venv\/bin\/python/);
    assert.match(m, /PATH/);
    assert.match(m, /pip install tunelint/);
    assert.match(m, /tunelint\.server\.command/);
    assert.match(INSTALL_GUIDE, /pip install tunelint/);
    assert.match(INSTALL_GUIDE, /"tunelint\.server\.command": \[/);
  });
});
