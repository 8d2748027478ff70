#!/usr/bin/env node
// Every webhook github-sim delivers is one GitHub could have sent: the test runs github-sim from
// example-state.json (with API webhooks on and a repository owned by a user beside the
// organisation's), plays a scenario that makes it emit every event and action it can (admin events
// and REST calls), receives the deliveries on a loopback server, and validates each payload against
// GitHub's schema for its event and action (@octokit/openapi-webhooks, with Ajv; both pinned in
// tools/github-reference/package-lock.json) and each delivery's headers against GitHub's rules.
// A new event the simulator learns to send must be added to the scenario: the test fails when an
// event it expects is missing, and lists the events it saw that it does not know.
//
// Usage: node check_webhooks.cjs GITHUB_SIM NODE_MODULES EXAMPLE_STATE
// Runs offline: only loopback, only the installed packages.
"use strict";

const { spawn } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");

const [simBinary, modulesArg, seedFile] = process.argv.slice(2);
const modules = path.resolve(modulesArg || "");
if (!simBinary || !modulesArg || !seedFile || process.argv.length !== 5) {
  process.stderr.write("usage: node check_webhooks.cjs GITHUB_SIM NODE_MODULES EXAMPLE_STATE\n");
  process.exit(2);
}
const Ajv2020 = require(path.join(modules, "ajv/dist/2020")).default;
const addFormats = require(path.join(modules, "ajv-formats")).default;
const webhooks = require(path.join(modules, "@octokit/openapi-webhooks/generated/api.github.com.json"));

const SECRET = "It's a Secret to Everybody";
const INSTALLATION_TOKEN = "ghs_actions_token_for_tests_0000000000";
// The App GitHub Actions reports its check runs as.
const GITHUB_ACTIONS = {
  id: 15368, slug: "github-actions", node_id: "MDM6QXBwMTUzNjg=", name: "GitHub Actions", description: "Automate your workflow from idea to production",
  external_url: "https://help.github.com/en/actions", html_url: "https://github.com/apps/github-actions",
  created_at: "2018-07-30T09:30:17Z", updated_at: "2024-04-10T20:33:16Z",
  owner: { login: "github", id: 9919, node_id: "MDEyOk9yZ2FuaXphdGlvbjk5MTk=", avatar_url: "https://avatars.githubusercontent.com/u/9919?v=4",
    gravatar_id: "", url: "https://api.github.com/users/github", html_url: "https://github.com/github",
    followers_url: "https://api.github.com/users/github/followers", following_url: "https://api.github.com/users/github/following{/other_user}",
    gists_url: "https://api.github.com/users/github/gists{/gist_id}", starred_url: "https://api.github.com/users/github/starred{/owner}{/repo}",
    subscriptions_url: "https://api.github.com/users/github/subscriptions", organizations_url: "https://api.github.com/users/github/orgs",
    repos_url: "https://api.github.com/users/github/repos", events_url: "https://api.github.com/users/github/events{/privacy}",
    received_events_url: "https://api.github.com/users/github/received_events", type: "Organization", site_admin: false },
  permissions: { actions: "write", checks: "write", contents: "write", metadata: "read" },
  events: ["check_run", "check_suite", "push", "workflow_dispatch"],
};

// The events the scenario below must make github-sim send (EVENT.ACTION, "none" without action).
const EXPECTED = [
  "issue_comment.created", "issue_comment.edited", "issue_comment.deleted",
  "commit_comment.created",
  "pull_request_review.submitted", "pull_request_review.dismissed",
  "push.none",
  "release.published", "release.created", "release.released", "release.prereleased", "release.edited",
  "pull_request.opened", "pull_request.synchronize", "pull_request.closed", "pull_request.reopened",
  "deployment_protection_rule.requested",
  "deployment.created", "deployment_status.created",
  "workflow_dispatch.none",
  "workflow_run.requested", "workflow_run.in_progress", "workflow_run.completed",
  "check_run.created", "check_run.completed", "check_suite.completed",
];

const problems = [];
function problem(text) {
  problems.push(text);
}

// --- the webhook receiver ---------------------------------------------------------------------
const received = [];
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    received.push({ headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
});

// --- github-sim -----------------------------------------------------------------------------
function startSim(seed) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-webhooks-"));
  const stateFile = path.join(dir, "state.json");
  fs.writeFileSync(stateFile, JSON.stringify(seed));
  const child = spawn(simBinary, ["--listen", "127.0.0.1:0", "--state", stateFile], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.on("exit", (code) => reject(new Error(`github-sim exited (${code}) before listening`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ child, base: m[1], dir });
    });
  });
}

let base = "";
async function call(method, route, { token, body } = {}) {
  const headers = { accept: "application/vnd.github+json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(base + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${route} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}
const event = (kind, body) => call("POST", `/_sim/events/${kind}`, { body });
const api = (method, route, token, body) => call(method, route, { token, body });

// Every step runs even when an earlier one failed, so one run reports everything.
async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    problem(`scenario step "${name}": ${e.message}`);
    return null;
  }
}

async function scenario(appId) {
  const org = "acme/app";
  const personal = "alice/tools";
  for (const repo of [org, personal]) {
    await step(`push to ${repo}`, () => event("push", { repo, ref: "main", user: "alice", commits: [{ message: "Docs", files: { "docs/a.md": "a\n" } }] }));
  }
  await step("push a new branch", () => event("push", { repo: org, ref: "topic", user: "bob", commits: [{ message: "Topic", files: { "t.md": "t\n" } }] }));
  await step("push a tag", () => event("push", { repo: org, ref: "refs/tags/v9.0.0", user: "alice", sha: "main" }));
  await step("delete a branch", () => event("push", { repo: org, ref: "topic", user: "bob", delete: true }));

  const opened = await step("open a pull request", () => event("pull_request", { repo: org, user: "carol", action: "opened", head: "feature/x" }));
  const number = opened ? opened.pull_request.number : 1;
  await step("open a pull request from a fork", async () => {
    const fork = await event("pull_request", { repo: org, user: "mallory", action: "opened", head: "patch", head_repo: "mallory/app" });
    await event("pull_request_review", { repo: org, pull: fork.pull_request.number, user: "bob", state: "commented", body: "thanks" });
  });
  await step("open a pull request on a personal repository", () => event("pull_request", { repo: personal, user: "alice", action: "opened", head: "feature/y" }));
  await step("synchronize", () => event("pull_request", { repo: org, user: "carol", action: "synchronize", number }));
  const review = await step("review", () => event("pull_request_review", { repo: org, pull: number, user: "bob", state: "approved" }));
  if (review) await step("dismiss", () => event("pull_request_review", { repo: org, pull: number, user: "alice", action: "dismissed", review_id: review.review.id }));
  await step("comment on the pull request", () => event("issue_comment", { repo: org, issue: number, user: "bob", body: "/approve" }));
  await step("close", () => event("pull_request", { repo: org, user: "carol", action: "closed", number }));
  await step("reopen", () => event("pull_request", { repo: org, user: "carol", action: "reopened", number }));
  await step("merge", () => event("pull_request", { repo: org, user: "alice", action: "closed", number, merged: true }));

  const comment = await step("comment on an issue", () => event("issue_comment", { repo: org, issue: 1, user: "bob", body: "/approve" }));
  if (comment) {
    await step("edit the comment", () => event("issue_comment", { repo: org, user: "bob", action: "edited", comment_id: comment.comment.id, body: "/approve please" }));
    await step("delete the comment", () => event("issue_comment", { repo: org, user: "bob", action: "deleted", comment_id: comment.comment.id }));
  }
  await step("commit comment", () => event("commit_comment", { repo: org, sha: "main", user: "bob", body: "/approve" }));
  await step("commit comment on a personal repository", () => event("commit_comment", { repo: personal, sha: "main", user: "alice", body: "note" }));
  for (const action of ["published", "created", "released", "prereleased"]) {
    await step(`release ${action}`, () => event("release", { repo: org, tag_name: `v2.0.${action.length}`, user: "alice", action }));
  }
  const gate = await step("deployment protection rule", () => event("deployment_protection_rule", { repo: org, environment: "production", user: "alice" }));

  // The same things done through the API, with the webhooks they cause.
  await step("API issue comment", async () => {
    const c = await api("POST", `/repos/${org}/issues/1/comments`, "tok-alice", { body: "hello" });
    await api("PATCH", `/repos/${org}/issues/comments/${c.id}`, "tok-alice", { body: "hello again" });
  });
  await step("API commit comment", async () => api("POST", `/repos/${org}/commits/${(await api("GET", `/repos/${org}/commits/main`, "tok-alice")).sha}/comments`, "tok-alice", { body: "looks good" }));
  await step("API release", async () => {
    const r = await api("POST", `/repos/${org}/releases`, "tok-alice", { tag_name: "v3.0.0", draft: true });
    await api("PATCH", `/repos/${org}/releases/${r.id}`, "tok-alice", { draft: false });
  });
  await step("API deployment", async () => {
    const d = await api("POST", `/repos/${org}/deployments`, "tok-alice", { ref: "main", environment: "staging", required_contexts: [] });
    await api("POST", `/repos/${org}/deployments/${d.id}/statuses`, "tok-alice", { state: "success" });
  });
  await step("API workflow dispatch, run moves on", async () => {
    const run = await api("POST", `/repos/${org}/actions/workflows/deploy.yml/dispatches`, "tok-alice", { ref: "main", return_run_details: true });
    await event("workflow_run", { repo: org, user: "alice", run_id: run.workflow_run_id, status: "in_progress" });
    await event("workflow_run", { repo: org, user: "alice", run_id: run.workflow_run_id, conclusion: "success" });
  });
  if (gate) {
    await step("App rejects the protection rule", () =>
      api("POST", `/repos/${org}/actions/runs/${gate.workflow_run.id}/deployment_protection_rule`, INSTALLATION_TOKEN, { environment_name: "production", state: "rejected" }));
  }
  await step("admin workflow run", () => event("workflow_run", { repo: org, user: "bob", ref: "main", event: "push" }));
  await step("admin check runs reported by GitHub Actions", async () => {
    const created = await event("check_run", { repo: org, user: "bob", name: "test", head_sha: "main", status: "in_progress", app: GITHUB_ACTIONS });
    await event("check_run", { repo: org, user: "bob", check_run_id: created.check_run.id, conclusion: "failure" });
  });
  await step("API check run", async () => {
    const run = await api("POST", `/repos/${org}/check-runs`, INSTALLATION_TOKEN, { name: "build", head_sha: (await api("GET", `/repos/${org}/commits/main`, "tok-alice")).sha });
    await api("PATCH", `/repos/${org}/check-runs/${run.id}`, INSTALLATION_TOKEN, { conclusion: "success" });
  });
  return appId;
}

// --- checks ---------------------------------------------------------------------------------
function schemaName(eventName, action) {
  const dashed = (s) => s.replace(/_/g, "-");
  return action === undefined ? dashed(eventName) : `${dashed(eventName)}-${dashed(action)}`;
}

function checkDelivery(ajv, delivery, appId, hookId) {
  const h = delivery.headers;
  const eventName = h["x-github-event"];
  const id = h["x-github-delivery"];
  let payload;
  try {
    payload = JSON.parse(delivery.body.toString("utf8"));
  } catch (e) {
    problem(`delivery ${id} (${eventName}): body is not JSON`);
    return null;
  }
  const key = `${eventName}.${payload.action === undefined ? "none" : payload.action}`;
  const where = `delivery ${id} (${key})`;
  const expectSig = "sha256=" + crypto.createHmac("sha256", SECRET).update(delivery.body).digest("hex");
  if (h["x-hub-signature-256"] !== expectSig) problem(`${where}: X-Hub-Signature-256 is not the HMAC of the body`);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id || "")) problem(`${where}: X-GitHub-Delivery is not a UUID v4`);
  if (h["x-github-hook-id"] !== String(hookId)) problem(`${where}: X-GitHub-Hook-ID is ${h["x-github-hook-id"]}, not ${hookId}`);
  // An App's webhook: the target is the App (integration) and its id, whatever the installation.
  if (payload.installation) {
    if (h["x-github-hook-installation-target-type"] !== "integration") {
      problem(`${where}: X-GitHub-Hook-Installation-Target-Type is ${h["x-github-hook-installation-target-type"]}, not integration`);
    }
    if (h["x-github-hook-installation-target-id"] !== String(appId)) {
      problem(`${where}: X-GitHub-Hook-Installation-Target-ID is ${h["x-github-hook-installation-target-id"]}, not the App's id ${appId}`);
    }
  }
  const name = schemaName(eventName, payload.action);
  const validate = ajv.getSchema(`webhooks#/webhooks/${name}/post/requestBody/content/application~1json/schema`);
  if (!webhooks.webhooks[name] || !validate) {
    problem(`${where}: @octokit/openapi-webhooks has no webhook ${name}`);
    return key;
  }
  if (!validate(payload)) {
    const errors = validate.errors.slice(0, 8).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
    problem(`${where}: does not match the schema of ${name}:\n    ${errors.join("\n    ")}`);
  }
  return key;
}

async function main() {
  const seed = JSON.parse(fs.readFileSync(seedFile, "utf8"));
  seed.webhook = { ...(seed.webhook || {}), api_events: true };
  seed.repositories.push({
    owner: "alice", name: "tools", private: false, default_branch: "main",
    commits: [{ message: "Initial commit", author: "alice", files: { "README.md": "# tools\n" } }],
    branches: { main: "@1" },
  });
  const appId = seed.app.id;

  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  const sim = await startSim(seed);
  base = sim.base;
  let sent = 0;
  try {
    await call("PUT", "/_sim/webhook", { body: { url: `http://127.0.0.1:${receiver.address().port}/hook`, secret: SECRET } });
    const hookId = (await call("GET", "/_sim/webhook")).hook_id;
    await scenario(appId);
    // API-caused deliveries are sent after their answer: wait until github-sim has recorded as many
    // as the receiver got, and the count stays put (bounded, so a lost one fails instead of hanging).
    let stable = 0;
    for (let i = 0; i < 200 && stable < 5; ++i) {
      await new Promise((r) => setTimeout(r, 50));
      const listed = (await call("GET", "/_sim/deliveries")).length;
      stable = listed === sent && listed === received.length ? stable + 1 : 0;
      sent = listed;
    }
    if (received.length !== sent) problem(`github-sim recorded ${sent} deliveries, the receiver got ${received.length}`);

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(webhooks, "webhooks");
    const seen = new Set();
    for (const delivery of received) {
      const key = checkDelivery(ajv, delivery, appId, hookId);
      if (key) seen.add(key);
    }
    for (const key of EXPECTED) if (!seen.has(key)) problem(`no ${key} delivery: the scenario should have caused one`);
    const unknown = [...seen].filter((k) => !EXPECTED.includes(k));
    if (unknown.length > 0) problem(`deliveries the test does not expect (add them to EXPECTED): ${unknown.join(", ")}`);
    process.stdout.write(`check_webhooks: ${received.length} deliveries of ${seen.size} kinds: ${[...seen].sort().join(" ")}\n`);
  } finally {
    sim.child.removeAllListeners("exit");
    sim.child.kill("SIGTERM");
    receiver.close();
    fs.rmSync(sim.dir, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`check_webhooks: ${p}\n`);
    process.stderr.write(`check_webhooks: ${problems.length} problem(s)\n`);
    process.exit(1);
  }
  process.stdout.write("check_webhooks: every delivery matches GitHub's schema for its event\n");
}

main().catch((e) => {
  process.stderr.write(`check_webhooks: ${e.stack || e.message}\n`);
  process.exit(1);
});
