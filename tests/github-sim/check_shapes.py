#!/usr/bin/env python3
"""Checks that github-sim answers every route with the shape GitHub's description gives it.

Starts the simulator with example-state.json (the App key replaced by one made here), calls every
route of the table with valid input, and validates each 2xx body against the response schema of
rest-api-subset.json for that status: required properties present, types, enums and nullability
as described (recursively, with oneOf/anyOf/allOf). Also checks the 404 and 422 error shapes, and
that the scenario reached every route.

usage: check_shapes.py GITHUB_SIM_BINARY REST_API_SUBSET_JSON EXAMPLE_STATE_JSON
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(key_file, app_id):
    now = int(time.time())
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"iat": now - 30, "exp": now + 540, "iss": app_id}).encode())
    signing_input = f"{header}.{claims}".encode()
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_file], input=signing_input,
                               check=True, capture_output=True).stdout
    return f"{header}.{claims}.{b64url(signature)}"


# --- a small OpenAPI 3.0 schema checker ------------------------------------------------------

def check(value, schema, where, errors):
    if not isinstance(schema, dict) or not schema:
        return
    if value is None:
        if schema.get("nullable") or any(s.get("nullable") for s in schema.get("oneOf", []) + schema.get("anyOf", [])):
            return
        if "enum" in schema and None in schema["enum"]:
            return
        errors.append(f"{where}: null, but the schema does not allow null")
        return
    for sub in schema.get("allOf", []):
        check(value, sub, where, errors)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = []
            for sub in schema[key]:
                sub_errors = []
                check(value, sub, where, sub_errors)
                options.append(sub_errors)
            if all(options):
                errors.append(f"{where}: matches none of {key}: " + " | ".join(o[0] for o in options))
            return
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    python_types = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float)}
    if kind in python_types:
        if not isinstance(value, python_types[kind]) or (kind in ("integer", "number") and isinstance(value, bool)):
            errors.append(f"{where}: expected {kind}, got {type(value).__name__} {json.dumps(value)[:60]}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {json.dumps(value)} is not one of {schema['enum']}")
    if kind == "string" and schema.get("format") == "date-time" and not DATE_TIME.match(value):
        errors.append(f"{where}: {value!r} is not a date-time")
    if kind == "object" or isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where}: missing required property {name!r}")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(value[name], sub, f"{where}.{name}", errors)
    if kind == "array":
        for i, item in enumerate(value[:5]):
            check(item, schema.get("items", {}), f"{where}[{i}]", errors)


# --- the scenario ----------------------------------------------------------------------------

class Sim:
    def __init__(self, binary, seed, workdir):
        self.workdir = workdir
        with open(os.path.join(workdir, "state.json"), "w", encoding="utf-8") as f:
            json.dump(seed, f)
        self.process = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--state", os.path.join(workdir, "state.json")],
                                        stdout=subprocess.PIPE, stderr=open(os.path.join(workdir, "stderr.log"), "w"), text=True)
        line = self.process.stdout.readline()
        match = re.match(r"github-sim listening on (http://127\.0\.0\.1:\d+)$", line.strip())
        if not match:
            raise RuntimeError(f"unexpected first line {line!r}; stderr: " + open(os.path.join(workdir, "stderr.log")).read())
        self.base = match.group(1)

    def call(self, method, path, token=None, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text else None), dict(response.headers)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, (json.loads(text) if text else None), dict(error.headers)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def main():
    binary, spec_file, example_file = sys.argv[1:4]
    with open(spec_file, encoding="utf-8") as f:
        spec = json.load(f)
    with open(example_file, encoding="utf-8") as f:
        seed = json.load(f)
    workdir = tempfile.mkdtemp(prefix="github-sim-shapes-")
    key = os.path.join(workdir, "app-key.pem")
    subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True)
    public = subprocess.run(["openssl", "rsa", "-in", key, "-pubout"], check=True, capture_output=True, text=True).stdout
    seed["app"]["public_key_pem"] = public
    sim = Sim(binary, seed, workdir)

    failures = []
    checked = 0

    def schema_for(route_method, route_path, status):
        operation = spec["paths"][route_path][route_method.lower()]
        response = operation["responses"].get(str(status))
        if response is None:
            return None, f"status {status} is not a documented response"
        content = response.get("content", {}).get("application/json")
        return (content or {}).get("schema"), None

    def expect(method, path, route, status, token="tok-alice", body=None):
        nonlocal checked
        got, payload, headers = sim.call(method, path, token, body)
        if got != status:
            failures.append(f"{method} {path}: status {got}, expected {status}: {json.dumps(payload)[:300]}")
            return payload
        schema, problem = schema_for(method, route, status)
        if problem:
            failures.append(f"{method} {path}: {problem}")
        elif schema is not None:
            errors = []
            check(payload, schema, f"{method} {route}", errors)
            failures.extend(errors[:10])
        for header in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-github-request-id"):
            if header not in {h.lower() for h in headers}:
                failures.append(f"{method} {path}: no {header} header")
        checked += 1
        return payload

    def expect_error(method, path, status, token="tok-alice", body=None):
        got, payload, _ = sim.call(method, path, token, body)
        if got != status or not isinstance(payload, dict) or "message" not in payload or "documentation_url" not in payload:
            failures.append(f"{method} {path}: expected a GitHub {status} error, got {got} {json.dumps(payload)[:200]}")
        return payload

    try:
        jwt = make_jwt(key, seed["app"]["id"])
        r = "/repos/acme/app"
        expect("GET", "/app", "/app", 200, jwt)
        token = expect("POST", "/app/installations/42/access_tokens", "/app/installations/{installation_id}/access_tokens", 201, jwt,
                       {"repositories": ["app"]})["token"]
        expect("GET", f"{r}/installation", "/repos/{owner}/{repo}/installation", 200, jwt)
        expect("GET", "/rate_limit", "/rate_limit", 200)
        expect("GET", "/orgs/acme/teams/deployers/memberships/bob", "/orgs/{org}/teams/{team_slug}/memberships/{username}", 200)
        expect("GET", r, "/repos/{owner}/{repo}", 200)
        expect("GET", f"{r}/collaborators/dave/permission", "/repos/{owner}/{repo}/collaborators/{username}/permission", 200)
        expect("GET", f"{r}/environments/production", "/repos/{owner}/{repo}/environments/{environment_name}", 200)
        head = expect("GET", f"{r}/commits/main", "/repos/{owner}/{repo}/commits/{ref}", 200)["sha"]
        expect("GET", f"{r}/commits/main/status", "/repos/{owner}/{repo}/commits/{ref}/status", 200)
        expect("GET", f"{r}/compare/main...feature/speed", "/repos/{owner}/{repo}/compare/{basehead}", 200)
        expect("GET", f"{r}/contents/.github/deploy.yml", "/repos/{owner}/{repo}/contents/{path}", 200)
        expect("GET", f"{r}/contents/src?ref=main", "/repos/{owner}/{repo}/contents/{path}", 200)
        expect("GET", f"{r}/git/ref/heads/main", "/repos/{owner}/{repo}/git/ref/{ref}", 200)
        expect("GET", f"{r}/git/ref/tags/v1.0.0", "/repos/{owner}/{repo}/git/ref/{ref}", 200)
        expect("GET", f"{r}/tags", "/repos/{owner}/{repo}/tags", 200)
        blob = expect("POST", f"{r}/git/blobs", "/repos/{owner}/{repo}/git/blobs", 201,
                      body={"content": "{\"seq\":0}\n", "encoding": "utf-8"})
        expect("GET", f"{r}/git/blobs/{blob['sha']}", "/repos/{owner}/{repo}/git/blobs/{file_sha}", 200)
        tree = expect("POST", f"{r}/git/trees", "/repos/{owner}/{repo}/git/trees", 201,
                      body={"tree": [{"path": "records/production/000000.json", "mode": "100644", "type": "blob",
                                      "sha": blob["sha"]}]})
        expect("GET", f"{r}/git/trees/{tree['sha']}?recursive=1", "/repos/{owner}/{repo}/git/trees/{tree_sha}", 200)
        root = expect("POST", f"{r}/git/commits", "/repos/{owner}/{repo}/git/commits", 201,
                      body={"message": "audit record 0", "tree": tree["sha"], "parents": []})
        expect("POST", f"{r}/git/refs", "/repos/{owner}/{repo}/git/refs", 201,
               body={"ref": "refs/heads/deploy-audit", "sha": root["sha"]})
        tree2 = expect("POST", f"{r}/git/trees", "/repos/{owner}/{repo}/git/trees", 201,
                       body={"base_tree": tree["sha"], "tree": [{"path": "records/production/000001.json", "mode": "100644",
                                                                  "type": "blob", "sha": blob["sha"]}]})
        child = expect("POST", f"{r}/git/commits", "/repos/{owner}/{repo}/git/commits", 201,
                       body={"message": "audit record 1", "tree": tree2["sha"], "parents": [root["sha"]]})
        expect("PATCH", f"{r}/git/refs/heads/deploy-audit", "/repos/{owner}/{repo}/git/refs/{ref}", 200,
               body={"sha": child["sha"], "force": False})
        expect_error("PATCH", f"{r}/git/refs/heads/deploy-audit", 422, body={"sha": root["sha"], "force": False})
        expect("POST", f"{r}/git/refs", "/repos/{owner}/{repo}/git/refs", 201,
               body={"ref": "refs/deploy-locks/production", "sha": root["sha"]})
        expect_error("POST", f"{r}/git/refs", 422, body={"ref": "refs/deploy-locks/production", "sha": root["sha"]})
        expect("GET", f"{r}/git/ref/deploy-locks/production", "/repos/{owner}/{repo}/git/ref/{ref}", 200)
        expect("GET", f"{r}/git/matching-refs/deploy-locks/", "/repos/{owner}/{repo}/git/matching-refs/{ref}", 200)
        expect("DELETE", f"{r}/git/refs/deploy-locks/production", "/repos/{owner}/{repo}/git/refs/{ref}", 204)
        expect_error("DELETE", f"{r}/git/refs/deploy-locks/production", 422)
        expect_error("GET", f"{r}/git/ref/deploy-locks/production", 404)

        issue = expect("POST", f"{r}/issues", "/repos/{owner}/{repo}/issues", 201, body={"title": "Shapes", "labels": ["x"]})
        number = issue["number"]
        expect("GET", f"{r}/issues/{number}", "/repos/{owner}/{repo}/issues/{issue_number}", 200)
        expect("PATCH", f"{r}/issues/{number}", "/repos/{owner}/{repo}/issues/{issue_number}", 200, body={"state": "closed"})
        comment = expect("POST", f"{r}/issues/{number}/comments", "/repos/{owner}/{repo}/issues/{issue_number}/comments", 201,
                         body={"body": "hello"})
        expect("GET", f"{r}/issues/{number}/comments", "/repos/{owner}/{repo}/issues/{issue_number}/comments", 200)
        expect("GET", f"{r}/issues/comments/{comment['id']}", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 200)
        expect("PATCH", f"{r}/issues/comments/{comment['id']}", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 200,
               body={"body": "edited"})
        expect("POST", f"{r}/issues/comments/{comment['id']}/reactions",
               "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", 201, body={"content": "+1"})
        expect("POST", f"{r}/issues/comments/{comment['id']}/reactions",
               "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", 200, body={"content": "+1"})

        cc = expect("POST", f"{r}/commits/{head}/comments", "/repos/{owner}/{repo}/commits/{commit_sha}/comments", 201,
                    body={"body": "/approve"})
        expect("GET", f"{r}/commits/{head}/comments", "/repos/{owner}/{repo}/commits/{commit_sha}/comments", 200)
        expect("POST", f"{r}/comments/{cc['id']}/reactions", "/repos/{owner}/{repo}/comments/{comment_id}/reactions", 201,
               body={"content": "rocket"})
        pulls = expect("GET", f"{r}/commits/feature%2Fspeed/pulls", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls", 200)
        pull = pulls[0]["number"] if isinstance(pulls, list) and pulls else 2
        expect("GET", f"{r}/pulls/{pull}", "/repos/{owner}/{repo}/pulls/{pull_number}", 200)
        expect("GET", f"{r}/pulls/{pull}/reviews", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", 200)

        expect("GET", f"{r}/releases", "/repos/{owner}/{repo}/releases", 200)
        release = expect("POST", f"{r}/releases", "/repos/{owner}/{repo}/releases", 201, body={"tag_name": "v1.1.0"})
        expect("GET", f"{r}/releases/tags/v1.1.0", "/repos/{owner}/{repo}/releases/tags/{tag}", 200)
        expect("GET", f"{r}/releases/{release['id']}", "/repos/{owner}/{repo}/releases/{release_id}", 200)
        expect("PATCH", f"{r}/releases/{release['id']}", "/repos/{owner}/{repo}/releases/{release_id}", 200, body={"body": "notes"})

        expect("GET", f"{r}/deployments", "/repos/{owner}/{repo}/deployments", 200)
        deployment = expect("POST", f"{r}/deployments", "/repos/{owner}/{repo}/deployments", 201,
                            body={"ref": "main", "environment": "staging", "required_contexts": []})
        expect("GET", f"{r}/deployments/{deployment['id']}", "/repos/{owner}/{repo}/deployments/{deployment_id}", 200)
        expect("POST", f"{r}/deployments/{deployment['id']}/statuses", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
               201, body={"state": "success"})
        expect("GET", f"{r}/deployments/{deployment['id']}/statuses", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", 200)
        expect("POST", f"{r}/dispatches", "/repos/{owner}/{repo}/dispatches", 204, body={"event_type": "deploy"})
        expect("POST", f"{r}/statuses/{head}", "/repos/{owner}/{repo}/statuses/{sha}", 201,
               body={"state": "pending", "context": "deploy/approvals"})
        expect("GET", f"{r}/commits/{head}/statuses", "/repos/{owner}/{repo}/commits/{ref}/statuses", 200)

        run = expect("POST", f"{r}/check-runs", "/repos/{owner}/{repo}/check-runs", 201, token, body={"name": "deploy", "head_sha": head})
        expect("PATCH", f"{r}/check-runs/{run['id']}", "/repos/{owner}/{repo}/check-runs/{check_run_id}", 200, token,
               body={"conclusion": "success"})
        runs = expect("GET", f"{r}/commits/main/check-runs", "/repos/{owner}/{repo}/commits/{ref}/check-runs", 200, token)
        if not any(x["id"] == run["id"] and x["conclusion"] == "success" for x in runs["check_runs"]):
            failures.append("GET commits/main/check-runs does not list the check run just completed")
        suites = expect("GET", f"{r}/commits/main/check-suites", "/repos/{owner}/{repo}/commits/{ref}/check-suites", 200, token)
        if not any(x["id"] == run["check_suite"]["id"] and x["conclusion"] == "success" for x in suites["check_suites"]):
            failures.append("GET commits/main/check-suites does not list the completed suite of the check run just completed")
        details = expect("POST", f"{r}/actions/workflows/deploy.yml/dispatches", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
                         200, body={"ref": "main", "inputs": {"mode": "rollback"}, "return_run_details": True})
        expect("GET", f"{r}/actions/runs/{details['workflow_run_id']}", "/repos/{owner}/{repo}/actions/runs/{run_id}", 200)
        listed = expect("GET", f"{r}/actions/workflows/deploy.yml/runs?event=workflow_dispatch&created=%3E%3D2000-01-01T00:00:00Z",
                        "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", 200)
        if not any(x["id"] == details["workflow_run_id"] for x in listed["workflow_runs"]):
            failures.append("GET actions/workflows/deploy.yml/runs does not list the run just dispatched")
        got, requested, _ = sim.call("POST", "/_sim/events/deployment_protection_rule",
                                     body={"repo": "acme/app", "environment": "production", "user": "alice"})
        if got != 201:
            failures.append(f"admin deployment_protection_rule: {got} {requested}")
        else:
            run_id = requested["workflow_run"]["id"]
            expect("POST", f"{r}/actions/runs/{run_id}/deployment_protection_rule",
                   "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", 204, token,
                   body={"environment_name": "production", "state": "approved", "comment": "2 approvals"})

        expect_error("GET", "/repos/acme/missing", 404)
        invalid = expect_error("POST", f"{r}/issues", 422, body={})
        if invalid.get("errors") != [{"resource": "Issue", "field": "title", "code": "missing_field"}]:
            failures.append(f"422 errors[] shape: {invalid}")
        expect_error("GET", r, 401, token="not-a-token")

        got, log, _ = sim.call("GET", "/_sim/requests")
        reached = {entry["route"] for entry in log if entry.get("route") and 200 <= (entry.get("status") or 0) < 300}
        described = {path for path in spec["paths"]}
        for path in sorted(described - reached):
            failures.append(f"scenario never reached {path} with success")
    finally:
        sim.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    for failure in failures:
        print(failure)
    print(f"{checked} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
