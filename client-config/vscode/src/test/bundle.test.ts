// The bundle (dist/extension.js) loads with a stand-in `vscode` module and exports the entry
// points: catches a broken bundle (missing module, wrong format) without an editor.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import { it } from "node:test";

const bundle = path.join(__dirname, "..", "..", "dist", "extension.js");

function anything(): unknown {
  const fn = function () {
    return anything();
  };
  return new Proxy(fn, {
    get: (_t, prop) => (prop === Symbol.toPrimitive ? () => 0 : prop === "then" ? undefined : anything()),
    apply: () => anything(),
    construct: () => anything() as object,
  });
}

it("dist/extension.js loads and exports activate/deactivate", { skip: !fs.existsSync(bundle) && "run `npm run bundle` first" }, () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const mod = Module as any;
  const original = mod._load;
  mod._load = function (request: string, ...rest: unknown[]) {
    if (request === "vscode") return anything();
    return original.call(this, request, ...rest);
  };
  try {
    const ext = require(bundle);
    assert.equal(typeof ext.activate, "function");
    assert.equal(typeof ext.deactivate, "function");
    const text = fs.readFileSync(bundle, "utf8");
    assert.ok(!/require\("vscode-languageclient/.test(text), "vscode-languageclient must be bundled in");
  } finally {
    mod._load = original;
  }
});
