// The reference receiver bench/compare-ingest measures deploy-bot against: what a Node bot built on
// @octokit/webhooks does with a delivery before it answers (verify the signature, parse the JSON,
// route it to the issue_comment handler), on node's own HTTP server. It persists nothing: a real
// bot that must not lose deliveries pays for a store on top of this.
//
//   WEBHOOK_SECRET=... node server.mjs [PORT]     (0 or none: any free port)
//
// Prints "node-receiver listening on http://127.0.0.1:PORT" once it listens; SIGTERM stops it.
import { createServer } from "node:http";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error("node-receiver: set WEBHOOK_SECRET");
  process.exit(2);
}

const webhooks = new Webhooks({ secret });
let comments = 0;
webhooks.on("issue_comment", ({ payload }) => {
  // Reads what a command handler reads first, so the parse cannot be skipped as dead code.
  if (payload.comment.body.startsWith("/")) comments += 1;
});

const middleware = createNodeMiddleware(webhooks, { path: "/webhook" });
const server = createServer((request, response) => {
  middleware(request, response, () => {
    response.writeHead(404).end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`node-receiver listening on http://127.0.0.1:${server.address().port}`);
});
process.on("SIGTERM", () => {
  console.error(`node-receiver: ${comments} comments with a command`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
