"""Chat UI benchmark, measured inside headless Debian Chromium: page load (navigation start → chat input
on screen) and, for the seed question in deterministic mode, submit → first streamed text and
submit → complete answer (its feedback buttons drawn).

Run: .venv/bin/python benchmarks/ui.py [--runs 5] [--url URL]
Without --url it starts ``kb-assistant ui`` on a free loopback port over a copy of the data directory
(KB_ASSISTANT_DATA_DIR, else the repository's data/; the index is built there first if needed). The
first page load and the first question of a fresh server are reported apart (they build the shared
resources and warm the index); the other runs each use a new browser session.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "ui"))

from browser_support import REPO, UiServer, ask, build_index, copy_data, launch, load, new_page

SEED = REPO / "examples" / "seed-mfa-ja.txt"


def _row(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<34} –"
    return (f"{label:<34} median {statistics.median(values):7.0f} ms   min {min(values):7.0f}   "
            f"max {max(values):7.0f}   (n={len(values)})")


def measure(url: str, runs: int, question: str) -> None:
    """Drive the UI at ``url`` and print the figures."""
    from playwright.sync_api import sync_playwright

    loads: list[float] = []
    first: list[float] = []
    complete: list[float] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for run in range(runs + 1):
                page = new_page(browser)
                loaded = load(page, url)
                times = ask(page, question)
                if not times["locked_while_streaming"]:
                    print("warning: the chat input was not locked while the answer streamed", file=sys.stderr)
                page.context.close()
                if run == 0:
                    print(_row("cold page load (fresh server)", [loaded]))
                    print(_row("cold first token", [times["first_token_ms"]]))
                    print(_row("cold complete answer", [times["complete_ms"]]))
                    continue
                loads.append(loaded)
                first.append(times["first_token_ms"])
                complete.append(times["complete_ms"])
        finally:
            browser.close()
    print(_row("page load", loads))
    print(_row("submit → first streamed token", first))
    print(_row("submit → complete answer", complete))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs after the cold one")
    parser.add_argument("--url", help="an already running UI (otherwise one is started)")
    args = parser.parse_args()
    question = SEED.read_text(encoding="utf-8")
    print(f"seed question: {len(question)} characters; deterministic mode; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.url:
        measure(args.url, args.runs, question)
        return
    source = Path(os.environ.get("KB_ASSISTANT_DATA_DIR") or REPO / "data")
    build_index(source)
    with tempfile.TemporaryDirectory(prefix="kb-ui-bench-") as scratch:
        data = copy_data(source, Path(scratch) / "data")
        with UiServer(data, Path(scratch) / "ui.log") as server:
            measure(server.url, args.runs, question)


if __name__ == "__main__":
    main()
