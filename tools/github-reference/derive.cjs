#!/usr/bin/env node
// Derives the GitHub reference data github-sim and the tests read from the npm packages pinned in
// this folder (installed by scripts/setup into .tools/github-reference/), cut to the selections in
// rest-operations.txt, webhook-examples.txt and webhook-schemas.txt:
//   OUT/rest-api-subset.json           @octokit/openapi generated/api.github.com.deref.json: openapi,
//                                      info and servers, and only the selected operations under paths
//   OUT/webhook-examples/E.A.N.json    @octokit/webhooks-examples: example N of event E (action A)
//   OUT/webhook-schemas/NAME.json      @octokit/openapi-webhooks: the payload schema of webhook NAME,
//                                      every $ref resolved, so a reader needs no JSON-pointer code
// Usage: node tools/github-reference/derive.cjs NODE_MODULES_DIR OUT_DIR
// OUT is replaced as a whole (built beside it, then renamed), so it never holds a file a selection
// no longer names: the tests feed every file in webhook-examples/ to the bot. Exits 1 when a
// selection names something the packages do not have, 2 on a usage or set-up error.
//
// The output is JSON.stringify's (indent 1 for the description and schemas, 2 for the examples, no
// final newline) with every non-ASCII character written \uXXXX: the files stay ASCII, and equal
// byte for byte to the copies the project used before it derived them.
"use strict";

const fs = require("fs");
const path = require("path");

const here = __dirname;
const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function fail(status, message) {
  process.stderr.write(`derive: ${message}\n`);
  process.exit(status);
}

// A selection file: one entry a line; blank lines and lines starting with # are comments.
function selection(name) {
  return fs
    .readFileSync(path.join(here, name), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

function readPackageJson(modules, pkg, file) {
  const full = path.join(modules, pkg, file);
  try {
    return JSON.parse(fs.readFileSync(full, "utf8"));
  } catch (e) {
    fail(2, `cannot read ${full} (${e.message}); run scripts/setup to install the pinned packages`);
  }
}

function ascii(text) {
  return text.replace(/[\u0080-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

function write(file, value, indent) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, ascii(JSON.stringify(value, null, indent)));
}

// Resolves the local references ("#/components/...") of `doc` inside `value`, recursively. A cycle
// would make the inlined schema infinite: reported, not followed.
function dereference(doc, value, trail = []) {
  if (Array.isArray(value)) return value.map((v) => dereference(doc, v, trail));
  if (value === null || typeof value !== "object") return value;
  if (typeof value.$ref === "string") {
    const ref = value.$ref;
    if (!ref.startsWith("#/")) throw new Error(`external reference ${ref}`);
    if (trail.includes(ref)) throw new Error(`cyclic reference ${[...trail, ref].join(" -> ")}`);
    let target = doc;
    for (const token of ref.slice(2).split("/")) {
      const key = token.replace(/~1/g, "/").replace(/~0/g, "~");
      if (target === null || typeof target !== "object" || !(key in target)) throw new Error(`unresolved reference ${ref}`);
      target = target[key];
    }
    return dereference(doc, target, [...trail, ref]);
  }
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = dereference(doc, v, trail);
  return out;
}

function main() {
  const [modules, outDir] = process.argv.slice(2);
  if (!modules || !outDir || process.argv.length !== 4) {
    fail(2, "usage: node tools/github-reference/derive.cjs NODE_MODULES_DIR OUT_DIR");
  }
  const problems = [];
  const tmp = `${outDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });

  // The REST description: the same top-level fields, and per path only the selected operations, in
  // the description's order (so the selection's order does not matter).
  const api = readPackageJson(modules, "@octokit/openapi", "generated/api.github.com.deref.json");
  const wanted = new Set();
  for (const line of selection("rest-operations.txt")) {
    const match = /^([A-Z]+) (\/\S*)$/.exec(line);
    if (!match || !methods.includes(match[1].toLowerCase())) {
      problems.push(`rest-operations.txt: '${line}' is not "METHOD /path"`);
      continue;
    }
    const [, method, route] = match;
    if (!api.paths[route] || !api.paths[route][method.toLowerCase()]) {
      problems.push(`rest-operations.txt: ${line} is not an operation of @octokit/openapi ${api.info.version}`);
    }
    wanted.add(`${method.toLowerCase()} ${route}`);
  }
  const paths = {};
  for (const [route, item] of Object.entries(api.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!wanted.has(`${method} ${route}`)) continue;
      paths[route] = paths[route] || {};
      paths[route][method] = operation;
    }
  }
  write(path.join(tmp, "rest-api-subset.json"), { openapi: api.openapi, info: api.info, servers: api.servers, paths }, 1);

  // Webhook examples: the index must name an example whose action is the one the name says, so a
  // package bump that reorders the examples fails here instead of changing what the tests send.
  const events = readPackageJson(modules, "@octokit/webhooks-examples", "api.github.com/index.json");
  for (const name of selection("webhook-examples.txt")) {
    const match = /^([a-z_]+)\.([a-z_]+)\.(\d+)$/.exec(name);
    if (!match) {
      problems.push(`webhook-examples.txt: '${name}' is not EVENT.ACTION.N`);
      continue;
    }
    const [, event, action, index] = match;
    const entry = events.find((e) => e.name === event);
    const example = entry && entry.examples[Number(index)];
    if (!example) {
      problems.push(`webhook-examples.txt: @octokit/webhooks-examples has no example ${index} of ${event}`);
      continue;
    }
    const actual = example.action === undefined ? "none" : example.action;
    if (actual !== action) {
      problems.push(`webhook-examples.txt: example ${index} of ${event} has action '${actual}', not '${action}'`);
      continue;
    }
    write(path.join(tmp, "webhook-examples", `${name}.json`), example, 2);
  }

  const webhooks = readPackageJson(modules, "@octokit/openapi-webhooks", "generated/api.github.com.json");
  for (const name of selection("webhook-schemas.txt")) {
    const schema = webhooks.webhooks?.[name]?.post?.requestBody?.content?.["application/json"]?.schema;
    if (!schema) {
      problems.push(`webhook-schemas.txt: @octokit/openapi-webhooks has no webhook ${name}`);
      continue;
    }
    try {
      write(path.join(tmp, "webhook-schemas", `${name}.json`), dereference(webhooks, schema), 1);
    } catch (e) {
      problems.push(`webhook-schemas.txt: ${name}: ${e.message}`);
    }
  }

  if (problems.length > 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    for (const p of problems) process.stderr.write(`derive: ${p}\n`);
    process.exit(1);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.renameSync(tmp, outDir);
}

main();
