"""``kb-assistant ui``: usage errors are exit 2 with a one-line reason (the server itself is started by
the browser tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).parent / "kb-assistant")


@pytest.mark.parametrize("port", ["0", "65536", "web"])
def test_a_bad_port_is_a_usage_error(port):
    result = subprocess.run([CLI, "ui", "--port", port], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "port" in result.stderr.lower() and result.stdout == ""
