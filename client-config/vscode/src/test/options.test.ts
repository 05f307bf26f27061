import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import {
  CLIENT_ONLY_KEYS,
  clientOptionsData,
  countExamples,
  explicitValue,
  isDatasetPath,
  SERVER_SETTING_KEYS,
  serverExecutable,
  serverSettings,
  statusText,
} from "../options";

const manifest = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"),
);
const properties: Record<string, { default?: unknown; enum?: unknown[]; description?: string; markdownDescription?: string }> =
  manifest.contributes.configuration.properties;

function defaults(key: string): unknown {
  return properties[`tunelint.${key}`]?.default;
}

describe("server settings", () => {
  it("sends every server setting, converting inlayHints", () => {
    const s = serverSettings(defaults);
    assert.equal(s.model, "gpt-4o-mini-2024-07-18");
    assert.equal(s.profile, "openai");
    assert.equal(s.format, "auto");
    assert.deepEqual(s.select, ["ALL"]);
    assert.deepEqual(s.ignore, []);
    assert.equal(s.configurationPreference, "editorFirst");
    assert.equal(s.debounce, 150);
    assert.equal(s.inlayHints, "auto");
    assert.equal(serverSettings((k) => (k === "inlayHints" ? "on" : undefined)).inlayHints, true);
    assert.equal(serverSettings((k) => (k === "inlayHints" ? "off" : undefined)).inlayHints, false);
    assert.equal(s.logLevel, "info");
    assert.ok(!("logFile" in s), "an empty logFile is not sent");
    assert.ok(!("schema" in s), "an empty schema is not sent");
    for (const key of CLIENT_ONLY_KEYS) assert.ok(!(key.split(".")[0] in s), `${key} is client-only`);
  });

  it("only explicit values count: defaults must not override the project config", () => {
    assert.equal(explicitValue({ defaultValue: "openai" }), undefined);
    assert.equal(explicitValue({ defaultValue: "openai", globalValue: "together" }), "together");
    assert.equal(
      explicitValue({ globalValue: "together", workspaceValue: "mistral", workspaceFolderValue: "fireworks" }),
      "fireworks",
    );
    assert.equal(explicitValue({ globalValue: "together", workspaceValue: "mistral" }), "mistral");
    assert.equal(explicitValue(undefined), undefined);
  });

  it("leaves unset values to the server's defaults", () => {
    const s = serverSettings((k) => (k === "profile" ? "mistral" : undefined));
    assert.deepEqual(s, { profile: "mistral" });
  });

  it("every setting in the manifest is either sent or client-only, with a description", () => {
    const known = new Set<string>([...SERVER_SETTING_KEYS, ...CLIENT_ONLY_KEYS].map((k) => `tunelint.${k}`));
    for (const [key, prop] of Object.entries(properties)) {
      assert.ok(known.has(key), `${key} is neither sent to the server nor read by the client`);
      assert.ok(prop.description || prop.markdownDescription, `${key} has no description`);
      if (prop.enum) assert.ok(prop.enum.includes(prop.default), `${key}: default not in enum`);
    }
    for (const key of known) assert.ok(key in properties, `${key} is missing from package.json`);
  });

  it("enums cover the server's choices", () => {
    assert.deepEqual(properties["tunelint.format"].enum, ["auto", "chat", "preference", "reinforcement", "completion", "none"]);
    assert.deepEqual(properties["tunelint.trace.server"].enum, ["off", "messages", "verbose"]);
    assert.ok(properties["tunelint.profile"].enum?.includes("together"));
  });
});

describe("client options", () => {
  it("selects jsonl documents and .jsonl/.ndjson files, syncs the tunelint section", () => {
    const o = clientOptionsData(defaults);
    assert.deepEqual(o.documentSelector[0], { scheme: "file", language: "jsonl" });
    assert.deepEqual(o.documentSelector[1], { scheme: "untitled", language: "jsonl" });
    assert.equal(o.documentSelector[2].pattern, "**/*.{jsonl,ndjson}");
    assert.equal(o.initializationOptions.settings.profile, "openai");
    assert.equal(o.initializationOptions.settings.pullDiagnostics, false);
    const unset = clientOptionsData(() => undefined);
    assert.deepEqual(unset.initializationOptions.settings, { pullDiagnostics: false });
    const on = clientOptionsData((k) => (k === "pullDiagnostics" ? true : undefined));
    assert.equal(on.initializationOptions.settings.pullDiagnostics, true);
  });

  it("starts the server over stdio with unbuffered Python output", () => {
    const e = serverExecutable({ command: "/v/bin/tunelint", args: ["lsp"], source: "path" }, "/ws", { PATH: "/usr/bin" });
    assert.deepEqual(e, {
      command: "/v/bin/tunelint",
      args: ["lsp"],
      options: { cwd: "/ws", env: { PATH: "/usr/bin", PYTHONUNBUFFERED: "1" } },
    });
  });

  it("activation covers the jsonl language and both extensions", () => {
    assert.ok(manifest.activationEvents.includes("onLanguage:jsonl"));
    assert.deepEqual(manifest.contributes.languages[0].extensions, [".jsonl", ".ndjson"]);
    assert.equal(manifest.main, "./dist/extension.js");
    const cmds = manifest.contributes.commands.map((c: { command: string }) => c.command);
    for (const c of ["tunelint.fineTune.start", "tunelint.fineTune.status", "tunelint.fineTune.cancel", "tunelint.report.show", "tunelint.restartServer"]) {
      assert.ok(cmds.includes(c), c);
    }
  });
});

describe("status bar", () => {
  it("counts non-blank lines as examples", () => {
    assert.equal(countExamples('{"a":1}\n\n{"b":2}\r\n  \n{"c":3}'), 3);
    assert.equal(countExamples(""), 0);
  });
  it("shows examples and problems", () => {
    assert.equal(statusText({ examples: 1, errors: 0, warnings: 0 }), "$(check) tunelint: 1 example");
    assert.equal(statusText({ examples: 12000, errors: 2, warnings: 1 }), "tunelint: 12,000 examples $(error) 2 $(warning) 1");
  });
  it("recognises dataset paths", () => {
    assert.ok(isDatasetPath("/d/train.JSONL"));
    assert.ok(isDatasetPath("/d/x.ndjson"));
    assert.ok(!isDatasetPath("/d/x.json"));
  });
});
