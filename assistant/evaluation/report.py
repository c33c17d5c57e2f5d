"""Reports of a run: Markdown, and one self-contained HTML page with inline SVG charts.

Both show every metric against its threshold, the metrics per language and per article, latency,
and each failing question with what was expected and what came back. The HTML page loads nothing:
no script, stylesheet, font or image from anywhere, and no URL scheme in its source.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.evaluation.scoring import CHECKS, STAGES, failed_checks
from assistant.evaluation.summary import ARTICLE_METRICS, METRICS
from assistant.evaluation.thresholds import Thresholds

__all__ = ["html_report", "markdown_report", "problems_of"]

_EXCERPT = 1200
_GOOD, _BAD, _NEUTRAL, _SECOND = "#2f7d32", "#c62828", "#1f5f99", "#e08a1e"


def _fmt(value: Any, unit: str = "ratio") -> str:
    if value is None:
        return "–"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "usd":
        return f"${value:,.4f}"
    return f"{value:.3f}"


def _bound(metric: str, thresholds: Thresholds) -> str:
    if metric in thresholds.minimum:
        return f"≥ {thresholds.minimum[metric]:g}"
    if metric in thresholds.maximum:
        return f"≤ {thresholds.maximum[metric]:g}"
    return ""


def _status(metric: str, value: Any, thresholds: Thresholds) -> str:
    if metric not in thresholds.minimum and metric not in thresholds.maximum:
        return ""
    if value is None:
        return "skipped"
    violations, _ = thresholds.check({metric: value})
    return "FAIL" if violations else "ok"


def problems_of(record: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """For a failing question: (check, expected, got) for each failed check."""
    scores = record.get("scores") or {}
    rows: list[tuple[str, str, str]] = []
    if record.get("error"):
        rows.append(("error", "an answer", str(record["error"])))
    expected = record.get("expected_article")
    for check in failed_checks(record.get("checks") or {}):
        if check == "retrieval":
            rank = (scores.get("retrieval") or {}).get("rank")
            rows.append((check, f"{expected} ranked first",
                         f"ranking {record.get('ranking') or []} ({'rank ' + str(rank) if rank else 'absent'})"))
        elif check == "citations":
            citations = scores.get("citations") or {}
            outside = citations.get("outside_retrieved") or []
            rows.append((check, f"cites {expected}" if expected else "no citation (out of scope)",
                         f"cited {citations.get('cited') or []}" + (f"; not retrieved: {outside}" if outside else "")))
        elif check == "scope":
            scope = scores.get("scope") or {}
            rows.append((check, "in scope" if scope.get("expected_in_scope") else "out of scope (refusal)",
                         "in scope" if scope.get("predicted_in_scope") else "out of scope"))
        elif check == "diagnoses":
            for row in (scores.get("diagnoses") or {}).get("rows", []):
                if not row["match"]:
                    rows.append((check, f"{row['action']}: {json.dumps(row['expected'])}",
                                 json.dumps(row["got"]) if row["got"] else "no diagnosis of this action"))
        elif check == "policies":
            policies = scores.get("policies") or {}
            rows.append((check, "every policy valid, every fix verified, none over-permissive",
                         f"all valid: {policies.get('all_valid')}; fixes verified "
                         f"{policies.get('fixes_verified')}/{policies.get('fixes')}; over-permissive: "
                         f"{policies.get('over_permissive') or 'none'}"))
        elif check == "key_facts":
            facts = scores.get("key_facts") or {}
            rows.append((check, f"all of {record.get('key_facts')}", f"missing {facts.get('missing')}"))
        elif check == "language":
            language = scores.get("language") or {}
            rows.append((check, f"answer in {language.get('expected')}",
                         f"reads as {language.get('detected') or 'nothing'} (declared {language.get('declared')})"))
    return rows


def _metric_rows(summary: Mapping[str, Any]) -> list[str]:
    return [m for m in METRICS if summary["metrics"].get(m) is not None or not m.startswith(("judge.", "latency."))]


def _header(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    run = summary["run"]
    git = run.get("git") or {}
    commit = (git.get("commit") or "unknown")[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
    thresholds = summary["thresholds"]
    gate = "no thresholds" if not thresholds.get("source") else (
        "all thresholds hold" if thresholds["ok"] else f"{len(thresholds['violations'])} threshold(s) failed")
    return [("mode", str(run.get("mode"))), ("dataset", f"{run.get('dataset')} (sha256 {run['dataset_sha256'][:12]})"),
            ("git", commit), ("started", str(run.get("started_at"))), ("finished", str(run.get("finished_at"))),
            ("questions", f"{summary['questions']} ({summary['passed']} passed every check, "
                          f"{summary['errors']} errors)"),
            ("gate", gate + (f" ({thresholds['source']})" if thresholds.get("source") else ""))]


# --- Markdown ---------------------------------------------------------------------------------------


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_report(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]], thresholds: Thresholds) -> str:
    """The run's report in Markdown."""
    lines = [f"# Evaluation run `{summary['run']['path']}`", ""]
    lines += [f"- **{key}**: {_md(value)}" for key, value in _header(summary)] + [""]
    lines += ["## Metrics", "", "| metric | value | n | threshold | status |", "|---|---:|---:|---|---|"]
    for metric in _metric_rows(summary):
        info = METRICS[metric]
        value = summary["metrics"][metric]
        lines.append(f"| {metric} ({info.label}) | {_fmt(value, info.unit)} | {summary['counts'][metric]} | "
                     f"{_bound(metric, thresholds)} | {_status(metric, value, thresholds)} |")
    langs = list(summary["by_lang"])
    lines += ["", "## Per language", "", "| metric | " + " | ".join(f"{lang} (n={summary['by_lang'][lang]['n']})"
                                                                    for lang in langs) + " |",
              "|---|" + "---:|" * len(langs)]
    for metric in _metric_rows(summary):
        info = METRICS[metric]
        lines.append(f"| {metric} | " + " | ".join(_fmt(summary["by_lang"][lang]["metrics"][metric], info.unit)
                                                 for lang in langs) + " |")
    lines += ["", "## Per article", "", "| article | n | passed | " + " | ".join(ARTICLE_METRICS) + " |",
              "|---|---:|---:|" + "---:|" * len(ARTICLE_METRICS)]
    for article, row in summary["by_article"].items():
        lines.append(f"| {_md(article)} | {row['n']} | {row['passed']} | "
                     + " | ".join(_fmt(row["metrics"][m]) for m in ARTICLE_METRICS) + " |")
    lines += ["", "## Checks", "", "| check | passed | failed |", "|---|---:|---:|"]
    lines += [f"| {name} | {summary['checks'][name]['passed']} | {summary['checks'][name]['failed']} |"
              for name in CHECKS]
    failing = [r for r in records if r.get("error") or failed_checks(r.get("checks") or {})]
    lines += ["", f"## Failing questions ({len(failing)})", ""]
    for record in failing:
        lines += [f"### {record['id']} ({record.get('lang')}, expected article: {record.get('expected_article')})", "",
                  "> " + _md(record.get("question", ""))[:_EXCERPT], "",
                  "| check | expected | got |", "|---|---|---|"]
        lines += [f"| {_md(c)} | {_md(e)} | {_md(g)} |" for c, e, g in problems_of(record)]
        answer = (record.get("answer") or {}).get("answer")
        if answer:
            excerpt = answer[:_EXCERPT] + ("…" if len(answer) > _EXCERPT else "")
            lines += ["", "<details><summary>answer</summary>", "", "```text", excerpt.replace("```", "ˋˋˋ"),
                      "```", "", "</details>"]
        lines.append("")
    return "\n".join(lines) + "\n"


# --- HTML -------------------------------------------------------------------------------------------


def _h(text: Any) -> str:
    """Escaped text; '://' is written as entities so the page source names no URL."""
    return html.escape(str(text)).replace("://", "&#58;&#47;&#47;")


def _bars(rows: Sequence[tuple[str, float | None, float | None, str]], maximum: float, unit: str,
          title: str) -> str:
    """A horizontal bar chart: (label, value, threshold marker, colour) per row."""
    label_w, bar_w, row_h, top = 300, 420, 22, 28
    height = top + row_h * len(rows) + 10
    parts = [f'<svg role="img" aria-label="{_h(title)}" width="{label_w + bar_w + 110}" height="{height}" '
             f'viewBox="0 0 {label_w + bar_w + 110} {height}">',
             f'<text x="0" y="16" class="t">{_h(title)}</text>']
    scale = bar_w / maximum if maximum > 0 else 0
    for index, (label, value, marker, colour) in enumerate(rows):
        y = top + index * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">{_h(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{bar_w}" height="{row_h - 6}" fill="#eee"/>')
        if value is not None:
            parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{max(0.0, min(value, maximum)) * scale:.1f}" '
                         f'height="{row_h - 6}" fill="{colour}"/>')
        if marker is not None:
            x = label_w + min(marker, maximum) * scale
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + row_h - 2}" stroke="#000" '
                         'stroke-width="2"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 14}">{_h(_fmt(value, unit))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _grouped(labels: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str) -> str:
    """Grouped horizontal bars (0..1): one group per label, one bar per series."""
    palette = [_NEUTRAL, _SECOND, "#6a1b9a", "#00838f"]
    label_w, bar_w, bar_h, top = 300, 420, 12, 44
    group_h = bar_h * len(series) + 8
    height = top + group_h * len(labels) + 10
    parts = [f'<svg role="img" aria-label="{_h(title)}" width="{label_w + bar_w + 110}" height="{height}" '
             f'viewBox="0 0 {label_w + bar_w + 110} {height}">',
             f'<text x="0" y="16" class="t">{_h(title)}</text>']
    x = label_w
    for number, name in enumerate(series):
        parts.append(f'<rect x="{x}" y="24" width="12" height="12" fill="{palette[number % len(palette)]}"/>'
                     f'<text x="{x + 16}" y="34">{_h(name)}</text>')
        x += 16 + 7 * len(name) + 20  # about 7 px per character at 12 px
    for index, label in enumerate(labels):
        y = top + index * group_h
        parts.append(f'<text x="{label_w - 8}" y="{y + group_h / 2 + 3:.0f}" text-anchor="end">{_h(label)}</text>')
        for number, values in enumerate(series.values()):
            value = values[index]
            by = y + number * bar_h
            parts.append(f'<rect x="{label_w}" y="{by}" width="{bar_w}" height="{bar_h - 2}" fill="#eee"/>')
            if value is not None:
                parts.append(f'<rect x="{label_w}" y="{by}" width="{max(0.0, min(value, 1.0)) * bar_w:.1f}" '
                             f'height="{bar_h - 2}" fill="{palette[number % len(palette)]}"/>')
                parts.append(f'<text x="{label_w + bar_w + 6}" y="{by + 9}" class="s">{value:.3f}</text>')
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;margin:2em;color:#222;
max-width:1200px}
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top;
font-size:.9em}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.FAIL{color:#c62828;font-weight:bold}.ok{color:#2f7d32}.skipped{color:#888}
svg{display:block;margin:1em 0;font-size:12px}svg .t{font-weight:bold;font-size:13px}svg .s{font-size:10px}
pre{white-space:pre-wrap;background:#f7f7f7;padding:.5em;max-height:30em;overflow:auto}
details{margin:.3em 0 1em}
"""


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] | None = None) -> str:
    numeric = numeric or [False] * len(head)
    out = ["<table><tr>" + "".join(f"<th>{_h(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="n">{cell}</td>' if numeric[i] else f"<td>{cell}</td>"
                                    for i, cell in enumerate(row)) + "</tr>")
    return "".join(out) + "</table>"


def html_report(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]], thresholds: Thresholds) -> str:
    """The run's report as one HTML page with inline SVG charts and no external resources."""
    metrics = summary["metrics"]
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evaluation "
           f"{_h(summary['run']['path'])}</title><style>{_CSS}</style></head><body>",
           f"<h1>Evaluation run {_h(summary['run']['path'])}</h1>",
           _table(["", ""], [[_h(k), _h(v)] for k, v in _header(summary)])]
    ratio = [m for m in _metric_rows(summary) if METRICS[m].unit == "ratio"]
    rows = []
    for metric in ratio:
        status = _status(metric, metrics[metric], thresholds)
        colour = _BAD if status == "FAIL" else _GOOD if status == "ok" else _NEUTRAL
        marker = thresholds.minimum.get(metric, thresholds.maximum.get(metric))
        rows.append((metric, metrics[metric], marker, colour))
    out += ["<h2>Metrics</h2>", _bars(rows, 1.0, "ratio", "every metric (black line: threshold)")]
    out.append(_table(["metric", "value", "n", "threshold", "status"],
                      [[f"{_h(m)} <small>({_h(METRICS[m].label)})</small>", _h(_fmt(metrics[m], METRICS[m].unit)),
                        str(summary["counts"][m]), _h(_bound(m, thresholds)),
                        f'<span class="{_status(m, metrics[m], thresholds)}">{_status(m, metrics[m], thresholds)}'
                        "</span>"] for m in _metric_rows(summary)], [False, True, True, False, False]))
    latency = [(f"{stage} {q}", metrics.get(f"latency.{stage}.{q}_ms"),
                thresholds.maximum.get(f"latency.{stage}.{q}_ms"), _NEUTRAL if q == "p50" else _SECOND)
               for stage in (*STAGES, "total") for q in ("p50", "p95")]
    measured = [v for _, v, _, _ in latency if v is not None]
    if measured:
        top = max(measured + [m for _, _, m, _ in latency if m is not None])
        out += ["<h2>Latency</h2>", _bars(latency, top * 1.05 or 1.0, "ms", "per stage, p50 and p95")]
    langs = list(summary["by_lang"])
    out += ["<h2>Per language</h2>",
            _grouped(ratio, {f"{lang} (n={summary['by_lang'][lang]['n']})":
                             [summary["by_lang"][lang]["metrics"][m] for m in ratio] for lang in langs},
                     "every metric per language")]
    articles = summary["by_article"]
    out += ["<h2>Per article</h2>",
            _bars([(a, row["passed"] / row["n"] if row["n"] else None, None,
                    _GOOD if row["passed"] == row["n"] else _BAD if row["passed"] == 0 else _SECOND)
                   for a, row in articles.items()], 1.0, "ratio", "share of questions passing every check"),
            _grouped(list(articles), {m: [row["metrics"][m] for row in articles.values()]
                                      for m in ("retrieval.hit_at_1", "key_facts.recall")},
                     "hit@1 and key facts per article"),
            _table(["article", "n", "passed", *ARTICLE_METRICS],
                   [[_h(a), str(row["n"]), str(row["passed"]), *(_h(_fmt(row["metrics"][m])) for m in ARTICLE_METRICS)]
                    for a, row in articles.items()], [False] + [True] * (2 + len(ARTICLE_METRICS)))]
    out += ["<h2>Checks</h2>", _table(["check", "passed", "failed"],
                                      [[name, str(summary["checks"][name]["passed"]),
                                        str(summary["checks"][name]["failed"])] for name in CHECKS],
                                      [False, True, True])]
    failing = [r for r in records if r.get("error") or failed_checks(r.get("checks") or {})]
    out.append(f"<h2>Failing questions ({len(failing)})</h2>")
    for record in failing:
        out.append(f"<h3 id=\"q-{_h(record['id'])}\">{_h(record['id'])} <small>({_h(record.get('lang'))}, "
                   f"expected article: {_h(record.get('expected_article'))})</small></h3>")
        out.append(f"<pre>{_h(str(record.get('question', ''))[:_EXCERPT])}</pre>")
        out.append(_table(["check", "expected", "got"], [[_h(c), _h(e), _h(g)] for c, e, g in problems_of(record)]))
        answer = (record.get("answer") or {}).get("answer")
        if answer:
            out.append(f"<details><summary>answer ({len(answer)} characters)</summary><pre>{_h(answer)}</pre>"
                       "</details>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
