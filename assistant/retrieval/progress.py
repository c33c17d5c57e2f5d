"""A progress bar on stderr for the one slow step a user may wait on: the model embedding chunks.

A terminal gets one line redrawn in place; anything else (a server's log, CI) gets a line when the
work starts, at every quarter and at the end. Nothing is printed when nothing is embedded: chunks
whose vectors are shipped or cached never reach the model.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["StderrProgress"]

_WIDTH = 24


class StderrProgress:
    """``progress(done, total)`` that draws on stderr (or ``stream``)."""

    def __init__(self, label: str = "embedding", stream: TextIO | None = None) -> None:
        self.label = label
        self._stream = stream
        self._started: float | None = None
        self._quarter = -1

    def __call__(self, done: int, total: int) -> None:
        stream = self._stream or sys.stderr  # looked up per call: the current stderr, not the import-time one
        now = time.monotonic()
        if self._started is None or done == 0:
            self._started, self._quarter = now, -1
        elapsed = now - self._started
        left = f", about {elapsed / done * (total - done):.0f} s left" if 0 < done < total else ""
        line = f"{self.label}: {done}/{total} chunks ({elapsed:.0f} s{left})"
        if stream.isatty():
            filled = _WIDTH * done // max(total, 1)
            stream.write(f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {line}\033[K")
            if done >= total:
                stream.write("\n")
        else:
            quarter = 4 * done // max(total, 1)
            if quarter == self._quarter:
                return
            self._quarter = quarter
            stream.write(line + "\n")
        stream.flush()
