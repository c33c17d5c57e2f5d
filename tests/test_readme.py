"""Every shell example of the README runs as written, from the repository root, with the virtual
environment active and a fresh data directory: exit 0, or 1 where the thing checked failed (never a
usage error or a traceback), and JSON where ``--json`` asks for it. Blocks whose info string says
``skip-test`` (servers, long runs) are left out."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"^```(\S*)([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _commands() -> list[str]:
    commands = []
    for language, info, body in _BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8")):
        if language != "sh" or "skip-test" in info.split():
            continue
        for line in body.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
    return commands


COMMANDS = _commands()


def test_the_readme_has_runnable_examples() -> None:
    assert len(COMMANDS) >= 10 and all(c.startswith(("kb-assistant", "echo")) for c in COMMANDS), COMMANDS


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory for the README's examples, in order (ingest, then search and ask)."""
    return tmp_path_factory.mktemp("readme-data")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_readme_example_runs_as_written(command: str, data_dir: Path) -> None:
    env = dict(os.environ, KB_ASSISTANT_DATA_DIR=str(data_dir),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stdout.strip() or result.stderr.strip()
    if "--json" in command:
        for line in result.stdout.splitlines():
            json.loads(line)
