"""Running ``kb-assistant`` in process: the exit status and what it printed on stdout and stderr.
(A named module, not conftest, so that test modules import it unambiguously.)"""

from __future__ import annotations

import contextlib
import io

from assistant.cli import run


def invoke(*args: str) -> tuple[int, str, str]:
    """``kb-assistant ARGS…`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()
