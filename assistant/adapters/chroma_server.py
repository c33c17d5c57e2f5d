"""A local ``chroma run`` server on loopback, started and stopped by its owner.

For the test suite and the scale benchmark, which run the same code against an embedded index and
a Chroma server: this starts the ``chroma`` CLI installed next to the interpreter on a free port of
127.0.0.1, waits until it answers its heartbeat, and stops it (the process it started, by pid).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from assistant.errors import IndexError_

__all__ = ["ChromaServer", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _chroma_cli() -> str:
    beside = Path(sys.executable).parent / "chroma"
    if beside.exists():
        return str(beside)
    found = shutil.which("chroma")
    if found is None:
        raise IndexError_("the 'chroma' command is not installed", hint="pip install chromadb")
    return found


class ChromaServer:
    """``with ChromaServer(path) as server:`` runs ``chroma run`` on ``server.host:server.port``."""

    def __init__(self, path: Path, host: str = "127.0.0.1", port: int | None = None,
                 log: Path | None = None, startup_timeout_s: float = 30.0) -> None:
        self.path = path
        self.host = host
        self.port = port or free_port(host)
        self._log_path = log or path.parent / f"{path.name}.chroma.log"
        self._timeout = startup_timeout_s
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        """Start the server and wait until its heartbeat answers."""
        self.path.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [_chroma_cli(), "run", "--path", str(self.path),
                 "--host", self.host, "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + self._timeout
        url = f"http://{self.host}:{self.port}/api/v2/heartbeat"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise IndexError_(f"'chroma run' exited with status {self._process.returncode}; "
                                  f"see {self._log_path}")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise IndexError_(
            f"'chroma run' did not answer on {self.host}:{self.port} within {self._timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server this object started."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
