// Writes the delivery bench/compare-ingest posts: GitHub's example issue_comment.created payload
// (from the pinned @octokit/webhooks-examples, as derived into the build tree) turned into an
// `/approve` comment by alice on pull request #1 of acme/app (installation 42), the repository
// the benchmark's github-sim is seeded with, with the pull request's description lengthened so the
// whole body is --bytes long (12,902 = 12.6 KiB by default, a typical comment delivery). Prints
// nothing; writes BODY and its X-Hub-Signature-256 header value to SIGNATURE.
//
//   node ingest-payload.cjs EXAMPLE.json BODY SIGNATURE SECRET [--bytes N]
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");

const [example, bodyPath, signaturePath, secret, flag, bytesText] = process.argv.slice(2);
if (!example || !bodyPath || !signaturePath || !secret || (flag && flag !== "--bytes")) {
  console.error("usage: node ingest-payload.cjs EXAMPLE.json BODY SIGNATURE SECRET [--bytes N]");
  process.exit(2);
}
const bytes = bytesText ? Number(bytesText) : 12902;

const payload = JSON.parse(fs.readFileSync(example, "utf8"));
if (payload.action !== "created" || !payload.comment || !payload.issue) {
  console.error(`ingest-payload: ${example} is not an issue_comment.created example`);
  process.exit(1);
}
const owner = { ...payload.repository.owner, login: "acme", type: "Organization" };
payload.repository = { ...payload.repository, name: "app", full_name: "acme/app", owner, default_branch: "main" };
payload.issue.number = 1;
payload.issue.pull_request = {
  url: "https://api.github.com/repos/acme/app/pulls/1",
  html_url: "https://github.com/acme/app/pull/1",
  diff_url: "https://github.com/acme/app/pull/1.diff",
  patch_url: "https://github.com/acme/app/pull/1.patch",
};
payload.comment.id = 4242;  // the comment bench/compare-ingest seeds github-sim with
payload.comment.body = "/approve";
payload.comment.user = { ...payload.comment.user, login: "alice", type: "User" };
payload.sender = { ...payload.sender, login: "alice", type: "User" };
payload.installation = { id: 42, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=" };

payload.issue.body = "";
const base = Buffer.byteLength(JSON.stringify(payload));
if (base > bytes) {
  console.error(`ingest-payload: --bytes ${bytes} is smaller than the payload without its description (${base})`);
  process.exit(1);
}
const line = "This change makes the thing faster; see the benchmark in the description below.\n";
payload.issue.body = line.repeat(Math.ceil((bytes - base) / line.length) + 1).slice(0, bytes - base);
let body = JSON.stringify(payload);
// Each "\n" is written as two bytes ("\\n") in JSON: trim until the size is exact.
while (Buffer.byteLength(body) > bytes) {
  payload.issue.body = payload.issue.body.slice(0, -1);
  body = JSON.stringify(payload);
}
payload.issue.body += " ".repeat(bytes - Buffer.byteLength(body));
body = JSON.stringify(payload);
fs.writeFileSync(bodyPath, body);
fs.writeFileSync(signaturePath, "sha256=" + crypto.createHmac("sha256", secret).update(body).digest("hex"));
