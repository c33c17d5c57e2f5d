"""The command line on hostile input, as a user's shell runs it: exit 2 with one line, never a traceback,
and ``--json`` output that is valid UTF-8 JSON whatever the locale."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXE = shutil.which("kb-assistant", path=str(Path(sys.executable).parent))
POLICY = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "%s"}}'


def _run(args: list[str], stdin: bytes = b"", **env: str) -> subprocess.CompletedProcess[bytes]:
    assert EXE is not None
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIOENCODING"))}
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, timeout=120, env={**environment, **env},
                          check=False)


@pytest.mark.parametrize("locale", [{"LC_ALL": "C.UTF-8"}, {"LC_ALL": "C", "PYTHONIOENCODING": "ascii:strict"}])
def test_invalid_utf8_on_stdin_is_exit_2_with_one_line(locale):
    done = _run(["check", "-", "--json"], (POLICY % "arn:aws:s3:::b/").encode()[:-4] + b'\xff\xfe"}}', **locale)
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert done.stderr.decode().strip().count("\n") == 0 and b"not UTF-8" in done.stderr


@pytest.mark.parametrize("locale", [{"LC_ALL": "C.UTF-8"}, {"LC_ALL": "C", "PYTHONIOENCODING": "ascii:strict"}])
def test_check_json_is_utf8_json_even_with_a_lone_surrogate_escape(locale, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(POLICY % "arn:aws:s3:::b/\\ud800", encoding="utf-8")
    done = _run(["check", str(path), "--json"], **locale)
    assert b"Traceback" not in done.stderr
    document = json.loads(done.stdout.decode("utf-8"))
    assert isinstance(document["valid"], bool) and done.returncode in (0, 1)


def test_a_json_array_given_to_policy_is_exit_2(tmp_path):
    path = tmp_path / "array.json"
    path.write_text("[" + POLICY % "*" + "]", encoding="utf-8")
    done = _run(["simulate", "--principal", "arn:aws:iam::111122223333:user/alice", "--action", "s3:GetObject",
                 "--resource", "arn:aws:s3:::b/k", "--policy", str(path), "--json"])
    assert done.returncode == 2 and b"Traceback" not in done.stderr


def test_simulate_cases_goes_on_after_lines_it_cannot_read(tmp_path):
    good = {"id": "ok", "identity_policies": [json.loads(POLICY % "*")],
            "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject",
                        "resource": "arn:aws:s3:::b/k"}}
    lines = ["[" * 100_000 + "]" * 100_000, '{"id": "big", "n": ' + "9" * 5_000 + "}", json.dumps(good)]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    done = _run(["simulate", "--cases", str(path), "--json"])
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert ["error" in line for line in out] == [True, True, False] and out[2]["decision"] == "Allowed"
