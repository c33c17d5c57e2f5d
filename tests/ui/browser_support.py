"""Driving the real UI in headless Debian Chromium: start ``kb-assistant ui`` on loopback, time a page
load and a streamed answer inside the browser, take full-length screenshots. Shared by the browser
tests and ``benchmarks/ui.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "kb-assistant")
CHROMIUM = "/usr/bin/chromium"
# Headless, and off the network: no QUIC, no background requests, no component or sync updates.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
_CLEARED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "HTTP_PROXY", "HTTPS_PROXY",
            "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "CHROMA_HOST", "CHROMA_PORT",
            "KB_ASSISTANT_API_TOKEN", "KB_ASSISTANT_EMBEDDING", "KB_ASSISTANT_KB_DIR")

# Installed before the page's own scripts: performance.now() marks for "chat input ready", the Enter
# that submits a question, its first streamed text and the complete answer (its feedback buttons, the
# last thing drawn, are on screen).
MARKS_SCRIPT = """
(() => {
  const marks = window.__kbMarks = {};
  const thinking = ["エラーとポリシーを確認しています…", "Checking the errors and policies…"];
  const count = (selector) => document.querySelectorAll(selector).length;
  const FEEDBACK = '[class*="st-key-feedback_"] [data-testid="stFeedbackButton"]';
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key !== "Enter" || event.shiftKey || !target || !target.matches ||
        !target.matches('[data-testid="stChatInputTextArea"]')) return;
    marks.submit = performance.now();
    delete marks.first;
    delete marks.complete;
    marks.messages = count('[data-testid="stChatMessage"]');
    marks.feedback = count(FEEDBACK);
  }, true);
  const check = () => {
    if (marks.ready === undefined && document.querySelector('[data-testid="stChatInput"]')) {
      marks.ready = performance.now();
    }
    if (marks.submit === undefined) return;
    const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
    if (marks.first === undefined && messages.length >= marks.messages + 2) {
      const texts = [...messages[messages.length - 1].querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .map((element) => element.innerText.trim()).filter((text) => text && !thinking.includes(text));
      if (texts.length) {
        marks.first = performance.now();
        const box = document.querySelector('[data-testid="stChatInputTextArea"]');
        marks.lockedWhileStreaming = Boolean(box && box.disabled);
      }
    }
    if (marks.complete === undefined && count(FEEDBACK) > marks.feedback) {
      marks.complete = performance.now();
    }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ui_environment(data_dir: Path, embedding_cache: Path | None = None) -> dict[str, str]:
    """The process environment without keys or proxies (deterministic mode), data in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(KB_ASSISTANT_DATA_DIR=str(data_dir), KB_ASSISTANT_KB_DIR=str(REPO / "kb"), ANONYMIZED_TELEMETRY="False")
    if embedding_cache is not None:
        env["KB_ASSISTANT_EMBEDDING_CACHE"] = str(embedding_cache)
    return env


def build_index(data_dir: Path, embedding_cache: Path | None = None, timeout: float = 1800) -> None:
    """Index the real knowledge base into ``data_dir`` (incremental: fast when it is up to date)."""
    result = subprocess.run([CLI, "ingest"], env=ui_environment(data_dir, embedding_cache), capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"kb-assistant ingest failed: {result.stderr[-2000:]}")


def copy_data(source: Path, target: Path) -> Path:
    """A private copy of a data directory (the index), so that feedback written in a run stays there."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("feedback.sqlite3*"), dirs_exist_ok=True)
    return target


class UiServer:
    """``kb-assistant ui --port P`` on 127.0.0.1, started and stopped as a context manager."""

    def __init__(self, data_dir: Path, log: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.log = log
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> UiServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as output:
            self.process = subprocess.Popen([CLI, "ui", "--port", str(self.port)], env=ui_environment(self.data_dir),
                                            stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kb-assistant ui exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError(f"kb-assistant ui did not answer on {self.url}")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless and off the network."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_page(browser: Any) -> Any:
    """A page with the timing marks installed."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(MARKS_SCRIPT)
    return page


def marks(page: Any) -> dict[str, float]:
    """The page's timing marks (milliseconds since navigation start)."""
    return dict(page.evaluate("() => window.__kbMarks || {}"))


def load(page: Any, url: str, timeout_ms: float = 180_000) -> float:
    """Open ``url`` and wait for the chat input; milliseconds from navigation start to that moment."""
    page.goto(url)
    page.wait_for_function("() => window.__kbMarks && window.__kbMarks.ready !== undefined", timeout=timeout_ms)
    return marks(page)["ready"]


def ask(page: Any, question: str, timeout_ms: float = 300_000) -> dict[str, float]:
    """Submit ``question`` in the chat and wait for the complete answer: first-token and complete times, and
    whether the input was locked when the first text streamed in."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function("() => window.__kbMarks.complete !== undefined", timeout=timeout_ms)
    found = marks(page)
    return {"first_token_ms": found["first"] - found["submit"], "complete_ms": found["complete"] - found["submit"],
            "locked_while_streaming": bool(found.get("lockedWhileStreaming"))}


def screenshot(page: Any, path: Path) -> Path:
    """The whole page, however long (the app scrolls inside its own container)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('*')].map((e) => e.scrollHeight))")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 100, 16000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path
