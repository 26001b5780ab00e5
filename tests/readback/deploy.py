#!/usr/bin/env python3
"""Checks deploy/ offline: the Kubernetes manifests against the API schemas
(kubernetes-validate --strict), every `beian` flag the manifests and the systemd units use
against the binary's own --help, and every $VARIABLE their shell lines read against what the
container's environment defines.

Usage: deploy.py DEPLOY_DIR BEIAN_BINARY

Prints one JSON object: {"validated": [...], "problems": [...], "flags": {...}}.
"""
import glob
import json
import os
import re
import subprocess
import sys

import yaml


def help_flags(beian, sub):
    out = subprocess.run([beian, sub, "--help"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", out)), set(re.findall(r"\[env: ([A-Z_]+)=", out))


def beian_calls(text):
    """(subcommand, [flags]) for every `beian SUB …` in a command line or script."""
    calls = []
    for m in re.finditer(r"beian\s+([a-z]+)((?:\s+[^;&|]+)?)", text):
        calls.append((m.group(1), re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", m.group(2))))
    return calls


def main():
    deploy, beian = sys.argv[1], sys.argv[2]
    problems, validated, flags = [], [], {}
    helps = {}

    def check_calls(where, text):
        for sub, used in beian_calls(text):
            if sub not in helps:
                try:
                    helps[sub] = help_flags(beian, sub)
                except subprocess.CalledProcessError:
                    problems.append(f"{where}: beian has no subcommand {sub!r}")
                    continue
            known, _ = helps[sub]
            flags.setdefault(sub, set()).update(used)
            for f in used:
                if f not in known:
                    problems.append(f"{where}: beian {sub} has no flag {f}")

    manifests = sorted(glob.glob(os.path.join(deploy, "kubernetes", "*.yaml")))
    for path in manifests:
        res = subprocess.run(["kubernetes-validate", "--strict", "--quiet", path],
                             capture_output=True, text=True,
                             env={**os.environ, "PATH": os.path.dirname(sys.executable) + ":" + os.environ["PATH"]})
        if res.returncode != 0:
            problems.append(f"{path}: kubernetes-validate: {res.stdout.strip()} {res.stderr.strip()}")
        else:
            validated.append(os.path.basename(path))
    docs = [d for p in manifests for d in yaml.safe_load_all(open(p, encoding="utf-8")) if d]
    secret_keys = {k for d in docs if d["kind"] == "Secret" for k in d.get("stringData", {})}
    config_keys = {k for d in docs if d["kind"] == "ConfigMap" for k in d.get("data", {})}
    for d in docs:
        if d["kind"] != "CronJob":
            continue
        pod = d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        for c in pod["containers"]:
            where = f"{d['metadata']['name']}/{c['name']}"
            script = " ".join(c.get("command", []) + c.get("args", []))
            check_calls(where, script)
            defined = {e["name"] for e in c.get("env", [])}
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("configMapKeyRef")
                if ref and ref["key"] not in config_keys:
                    problems.append(f"{where}: {e['name']} reads ConfigMap key {ref['key']!r}, not defined")
            for src in c.get("envFrom", []):
                if "secretRef" in src:
                    defined |= secret_keys
            # An Indexed Job gives every pod its index.
            if d["spec"]["jobTemplate"]["spec"].get("completionMode") == "Indexed":
                defined.add("JOB_COMPLETION_INDEX")
            # Variables the script sets itself are not read from the environment.
            own = set(re.findall(r"([a-z_]+)=\$\(", script))
            for var in set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", script)) - own:
                if var not in defined:
                    problems.append(f"{where}: the script reads ${var}, which the container does not define")
            # The object store's variables come from the Secret.
            for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
                if var not in defined:
                    problems.append(f"{where}: {var} is not defined")
    for unit in sorted(glob.glob(os.path.join(deploy, "systemd", "*.service"))):
        text = open(unit, encoding="utf-8").read()
        for line in text.splitlines():
            if line.startswith(("ExecStart", "ExecStartPost")):
                check_calls(os.path.basename(unit), line)
    print(json.dumps({
        "validated": validated,
        "problems": problems,
        "flags": {k: sorted(v) for k, v in flags.items()},
    }))


main()
