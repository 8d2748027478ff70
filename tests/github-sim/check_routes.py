#!/usr/bin/env python3
"""Checks github-sim's route table against GitHub's description (rest-api-subset.json): every
route the simulator serves is an operation there, and every operation there is served.

usage: check_routes.py GITHUB_SIM_BINARY REST_API_SUBSET_JSON
"""
import json
import subprocess
import sys


def main():
    binary, spec_file = sys.argv[1], sys.argv[2]
    with open(spec_file, encoding="utf-8") as f:
        spec = json.load(f)
    described = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    listing = subprocess.run([binary, "--list-routes"], check=True, capture_output=True, text=True).stdout
    served = []
    for line in listing.splitlines():
        method, _, path = line.partition(" ")
        served.append((method, path))

    failures = []
    duplicates = {route for route in served if served.count(route) > 1}
    for route in sorted(duplicates):
        failures.append(f"listed twice: {route[0]} {route[1]}")
    for route in sorted(set(served) - described):
        failures.append(f"served but not in {spec_file}: {route[0]} {route[1]}")
    for route in sorted(described - set(served)):
        failures.append(f"described but not served: {route[0]} {route[1]}")
    for failure in failures:
        print(failure)
    passed = len(set(served) & described)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
