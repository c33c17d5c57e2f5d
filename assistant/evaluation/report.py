"""Reports of a run: Markdown, and one self-contained HTML page with inline SVG charts.

Both open with the verdict (every gate with its n: holds, fails, too few questions or not measured;
an outage of the model or the judge) and the failures, grouped by check and linked from the
summary; per question the answer, the retrieved passages, the diagnoses and the judge's reasons.
Then every metric, per language and per article, and latency. The HTML page filters the failures by
article, language and check with one inline script and loads nothing: no script, stylesheet, font
or image from anywhere, and no URL scheme in its source. ``compare_html`` is the run-vs-run page.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from assistant.evaluation.scoring import CHECKS, RETRIEVAL_DEPTH, STAGES, failed_checks
from assistant.evaluation.summary import ARTICLE_METRICS, METRICS, OUT_OF_SCOPE
from assistant.evaluation.thresholds import Thresholds

if TYPE_CHECKING:
    from assistant.evaluation.compare import Comparison

__all__ = ["answered", "compare_html", "gate_rows", "html_report", "markdown_report", "problems_of"]

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


def _status(metric: str, value: Any, thresholds: Thresholds, n: int | None = None) -> str:
    if metric not in thresholds.minimum and metric not in thresholds.maximum:
        return "" if value is not None else "not measured"
    if value is None:
        return "not measured"
    violations, _ = thresholds.check({metric: value}, None if n is None else {metric: n})
    kinds = {v.kind for v in violations}
    return "FAIL" if kinds - {"min_n"} else "too few" if kinds else "ok"


def gate_rows(summary: Mapping[str, Any], thresholds: Thresholds) -> list[tuple[str, Any, int, str, str]]:
    """Every gate: (metric, value, n, bound, status) with status ok, FAIL, too few or not measured."""
    return [(m, summary["metrics"].get(m), int(summary["counts"].get(m) or 0), _bound(m, thresholds),
             _status(m, summary["metrics"].get(m), thresholds, int(summary["counts"].get(m) or 0)))
            for m in thresholds.gated]


def _verdict(summary: Mapping[str, Any], thresholds: Thresholds) -> str:
    """One line: how many gates hold, fail, lack questions or were not measured."""
    if not thresholds.gated:
        return "no thresholds"
    statuses = [row[4] for row in gate_rows(summary, thresholds)]
    failed = statuses.count("FAIL") + statuses.count("too few")
    parts = [f"{failed} of {len(statuses)} gates FAILED" if failed else f"all {statuses.count('ok')} measured "
             f"gates hold"] + ([f"{statuses.count('ok')} hold"] if failed else [])
    missing = [row[0] for row in gate_rows(summary, thresholds) if row[4] == "not measured"]
    if missing:
        parts.append(f"{len(missing)} not measured ({', '.join(missing)})")
    return "; ".join(parts)


def problems_of(record: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """For a failing question: (check, expected, got) for each failed check."""
    scores = record.get("scores") or {}
    rows: list[tuple[str, str, str]] = []
    if record.get("error"):
        rows.append(("error", "an answer", str(record["error"])))
    expected = record.get("expected_article")
    for check in failed_checks(record.get("checks") or {}):
        if check == "llm":
            fallback = (scores.get("llm") or {}).get("fallback")
            rows.append((check, "an answer written by the model", f"fell back: {fallback}"))
        elif check == "retrieval":
            rank = (scores.get("retrieval") or {}).get("rank")
            rows.append((check, f"{expected} in the top {RETRIEVAL_DEPTH} of the search",
                         f"search ranking {(record.get('ranking') or [])[:5]} "
                         f"({'rank ' + str(rank) if rank else 'absent'})"))
        elif check == "selection":
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
        elif check in _READER_EXPECTED:
            found = (scores.get("reader") or {}).get(check) or []
            rows.append((check, _READER_EXPECTED[check], "; ".join(str(f) for f in found[:5])))
        elif check == "redteam":
            rows.append((check, "every must, no must-not", "; ".join((scores.get("redteam") or {}).get("failed", []))))
    return rows


_READER_EXPECTED = {"placeholders": "no placeholder where content belongs",
                    "dangling": "no line that stops mid-thought", "wrong_language": "prose in one language",
                    "leaks": "none of the article's sample names the question did not use"}


def _failures(records: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """The failing questions per check (``error`` first), in dataset order; a question may be in several."""
    groups: dict[str, list[Mapping[str, Any]]] = {name: [] for name in ("error", *CHECKS)}
    for record in records:
        if record.get("error"):
            groups["error"].append(record)
        for check in failed_checks(record.get("checks") or {}):
            groups[check].append(record)
    return {name: rows for name, rows in groups.items() if rows}


def _metric_rows(summary: Mapping[str, Any]) -> list[str]:
    return [m for m in METRICS if summary["metrics"].get(m) is not None or not m.startswith(("judge.", "latency."))]


def answered(summary: Mapping[str, Any]) -> str:
    """The number of questions, and of the dataset's when the run stopped short of it."""
    total = summary["run"].get("dataset_questions")
    return f"{summary['questions']} of {total} (stopped early)" if total and total > summary["questions"] \
        else str(summary["questions"])


def _header(summary: Mapping[str, Any], thresholds: Thresholds) -> list[tuple[str, str]]:
    run = summary["run"]
    git = run.get("git") or {}
    commit = (git.get("commit") or "unknown")[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
    source = summary["thresholds"].get("source")
    rows = [("mode", str(run.get("mode"))),
            ("dataset", f"{run.get('dataset')} (sha256 {run['dataset_sha256'][:12]})"),
            ("git", commit), ("started", str(run.get("started_at"))), ("finished", str(run.get("finished_at"))),
            ("questions", f"{answered(summary)} ({summary['passed']} passed every check, "
                          f"{summary['errors']} errors)"),
            ("gate", _verdict(summary, thresholds) + (f" ({source})" if source else ""))]
    if summary.get("outage"):
        rows.insert(0, ("RUN FAILED", str(summary["outage"])))
    return rows


# --- Markdown ---------------------------------------------------------------------------------------


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_report(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]], thresholds: Thresholds) -> str:
    """The run's report in Markdown: the verdict and the failures by check first, then every metric."""
    lines = [f"# Evaluation run `{summary['run']['path']}`", ""]
    lines += [f"- **{key}**: {_md(value)}" for key, value in _header(summary, thresholds)] + [""]
    groups = _failures(records)
    lines += ["## Gates", "", "| metric | value | n | threshold | status |", "|---|---:|---:|---|---|"]
    lines += [f"| {m} | {_fmt(v, METRICS[m].unit)} | {n} | {b} | {st} |" for m, v, n, b, st in
              gate_rows(summary, thresholds)]
    failing = sum(1 for r in records if r.get("error") or failed_checks(r.get("checks") or {}))
    lines += ["", f"## Failures by check ({failing} questions)", ""]
    lines += [f"- [{name}](#{name}-{len(rows)}-failed): {len(rows)}" for name, rows in groups.items()] + [""]
    for name, rows in groups.items():
        lines += [f"### {name} ({len(rows)} failed)", "", "| question | lang | article | expected | got |",
                  "|---|---|---|---|---|"]
        for record in rows:
            for check, expected, got in problems_of(record):
                if check == name:
                    lines.append(f"| {_md(record['id'])} | {record.get('lang')} | {record.get('expected_article')} | "
                                 f"{_md(expected)} | {_md(got)[:_EXCERPT]} |")
        lines.append("")
    lines += ["## Metrics", "", "| metric | value | n | threshold | status |", "|---|---:|---:|---|---|"]
    for metric in _metric_rows(summary):
        info = METRICS[metric]
        value, n = summary["metrics"][metric], summary["counts"][metric]
        lines.append(f"| {metric} ({info.label}) | {_fmt(value, info.unit)} | {n} | "
                     f"{_bound(metric, thresholds)} | {_status(metric, value, thresholds, n)} |")
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
              for name in CHECKS if name in summary["checks"]]
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
details{margin:.3em 0 1em}details.q{border:1px solid #ddd;padding:.2em .6em;margin:.3em 0}
details.q>summary{cursor:pointer}.bad{color:#c62828;font-weight:bold}.good{color:#2f7d32}
.outage{background:#fde0e0;border:2px solid #c62828;padding:.5em 1em;font-weight:bold}
.filters{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ccc;z-index:1}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1em}nav a{margin-right:1em}
h2[id],h3[id]{scroll-margin-top:4em}
"""
# Filters the failures by article, language and check; inline, so the page stays one offline file.
_FILTER_JS = """
(() => {
  const pick = (id) => document.getElementById(id).value;
  const apply = () => {
    const article = pick("f-article"), lang = pick("f-lang"), check = pick("f-check");
    let shown = 0;
    for (const group of document.querySelectorAll("section.check")) {
      let any = false;
      for (const q of group.querySelectorAll("details.q")) {
        const ok = (!check || group.dataset.check === check) && (!article || q.dataset.article === article)
          && (!lang || q.dataset.lang === lang);
        q.hidden = !ok;
        if (ok) { any = true; shown += 1; }
      }
      group.hidden = !any;
    }
    document.getElementById("f-count").textContent = String(shown);
  };
  for (const id of ["f-article", "f-lang", "f-check"]) document.getElementById(id).addEventListener("change", apply);
  apply();
})();
"""


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] | None = None) -> str:
    numeric = numeric or [False] * len(head)
    out = ["<table>" + ("<tr>" + "".join(f"<th>{_h(h)}</th>" for h in head) + "</tr>" if any(head) else "")]
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="n">{cell}</td>' if numeric[i] else f"<td>{cell}</td>"
                                    for i, cell in enumerate(row)) + "</tr>")
    return "".join(out) + "</table>"


def _question_details(record: Mapping[str, Any], check: str) -> str:
    """One failing question: its problems, answer, retrieved passages, diagnoses and the judge's reasons."""
    answer = record.get("answer") or {}
    article = record.get("expected_article") or OUT_OF_SCOPE
    problems = problems_of(record)
    headline = next((f"{e} → {g}" for c, e, g in problems if c == check), "")
    out = [f'<details class="q" data-article="{_h(article)}" data-lang="{_h(record.get("lang"))}">'
           f"<summary><b>{_h(record['id'])}</b> ({_h(record.get('lang'))}, {_h(article)}): "
           f"{_h(headline[:300])}</summary>",
           f"<pre>{_h(str(record.get('question', ''))[:_EXCERPT * 4])}</pre>",
           _table(["check", "expected", "got"], [[_h(c), _h(e), _h(g)] for c, e, g in problems])]
    if answer.get("answer"):
        out.append(f"<h4>answer ({_h(answer.get('mode'))}, {len(answer['answer'])} characters)</h4>"
                   f"<pre>{_h(answer['answer'])}</pre>")
    passages = record.get("passages") or []
    cited = {c.get("id") for c in answer.get("citations") or [] if isinstance(c, Mapping)}
    if passages or record.get("ranking"):
        rows = passages or [{"id": i, "title": "", "text": ""} for i in record.get("ranking") or []]
        out.append("<h4>retrieved passages (search ranking)</h4>" + _table(
            ["#", "article", "passage"],
            [[str(n), _h(p.get("id")) + (" <b>expected</b>" if p.get("id") == record.get("expected_article") else "")
              + (" <i>cited</i>" if p.get("id") in cited else ""), _h(f"{p.get('title', '')} — {p.get('text', '')}")]
             for n, p in enumerate(rows[:5], start=1)]))
    diagnoses = [d for d in answer.get("diagnoses") or [] if isinstance(d, Mapping)]
    if diagnoses:
        out.append("<h4>diagnoses</h4>" + _table(
            ["action", "decision", "policy type", "statement", "explanation"],
            [[_h(d.get("action")), _h(d.get("decision")), _h(d.get("policy_type")), _h(d.get("statement_sid")),
              _h(str(d.get("explanation") or "")[:400])] for d in diagnoses]))
    verdict = record.get("judge")
    if isinstance(verdict, Mapping):
        if verdict.get("error"):
            out.append(f'<h4>judge</h4><p class="bad">{_h(verdict["error"])}</p>')
        else:
            out.append(f"<h4>judge: faithfulness {_h(_fmt(verdict.get('faithfulness')))}, relevance "
                       f"{_h(_fmt(verdict.get('relevance')))}</h4><p>{_h(verdict.get('reason'))}</p>" + _table(
                           ["claim", "supported", "reason"],
                           [[_h(c.get("claim")), '<span class="good">yes</span>' if c.get("supported") else
                             '<span class="bad">no</span>', _h(c.get("reason"))] for c in verdict.get("claims") or []]))
    return "".join(out) + "</details>"


def _options(element_id: str, label: str, values: Sequence[str]) -> str:
    return (f'<label>{_h(label)} <select id="{element_id}"><option value="">all</option>'
            + "".join(f'<option value="{_h(v)}">{_h(v)}</option>' for v in values) + "</select></label> ")


def _failures_html(records: Sequence[Mapping[str, Any]]) -> list[str]:
    groups = _failures(records)
    failing = sum(1 for r in records if r.get("error") or failed_checks(r.get("checks") or {}))
    articles = sorted({r.get("expected_article") or OUT_OF_SCOPE for rows in groups.values() for r in rows})
    langs = sorted({str(r.get("lang")) for rows in groups.values() for r in rows})
    out = [f'<h2 id="failures">Failures ({failing} questions)</h2>']
    if not groups:
        return [*out, "<p>Every question passed every check.</p>"]
    out.append('<div class="filters">' + _options("f-article", "article", articles) + _options("f-lang", "language",
               langs) + _options("f-check", "check", list(groups)) + ' <span id="f-count"></span> shown</div>')
    for name, rows in groups.items():
        out.append(f'<section class="check" data-check="{name}"><h3 id="check-{name}">{name} '
                   f"({len(rows)} failed)</h3>" + "".join(_question_details(r, name) for r in rows) + "</section>")
    return out


def _article_bars(articles: Mapping[str, Any]) -> str:
    """Share passing per article; a 0% article is drawn as a red outline with its counts, not as nothing."""
    rows = [(f"{a} ({row['passed']}/{row['n']})", row["passed"] / row["n"] if row["n"] else None, None,
             _GOOD if row["passed"] == row["n"] else _BAD if row["passed"] == 0 else _SECOND)
            for a, row in articles.items()]
    chart = _bars(rows, 1.0, "ratio", "share of questions passing every check")
    for index, (_, value, _, _) in enumerate(rows):
        if value == 0:  # outline the empty bar in red so a total failure is seen, not missed
            y = 28 + index * 22 + 2
            chart = chart.replace("</svg>", f'<rect x="300" y="{y}" width="420" height="16" fill="none" '
                                            f'stroke="{_BAD}" stroke-width="2"/></svg>')
    return chart


def html_report(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]], thresholds: Thresholds) -> str:
    """The run's report as one HTML page with inline SVG charts and no external resources."""
    metrics, counts = summary["metrics"], summary["counts"]
    groups = _failures(records)
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evaluation "
           f"{_h(summary['run']['path'])}</title><style>{_CSS}</style></head><body>",
           f"<h1>Evaluation run {_h(summary['run']['path'])}</h1>"]
    if summary.get("outage"):
        out.append(f'<p class="outage" id="outage">RUN FAILED: {_h(summary["outage"])}</p>')
    out.append(_table(["", ""], [[_h(k), _h(v)] for k, v in _header(summary, thresholds)]))
    out.append('<nav><a href="#failures">failures</a><a href="#gates">gates</a><a href="#metrics">metrics</a>'
               '<a href="#per-article">per article</a><a href="#latency">latency</a></nav>')
    out.append('<h2 id="summary">Failures by check</h2>' + _table(
        ["check", "passed", "failed"],
        [[f'<a href="#check-{name}">{name}</a>' if name in groups else name,
          str(summary["checks"].get(name, {}).get("passed", 0) if name != "error" else summary["questions"]
              - summary["errors"]), str(len(groups.get(name, [])))] for name in ("error", *CHECKS)],
        [False, True, True]))
    out += ['<h2 id="gates">Gates</h2>', _table(
        ["metric", "value", "n", "threshold", "status"],
        [[_h(m), _h(_fmt(v, METRICS[m].unit)), str(n), _h(b), f'<span class="{st.replace(" ", "-")}">{_h(st)}</span>']
         for m, v, n, b, st in gate_rows(summary, thresholds)], [False, True, True, False, False])
        if thresholds.gated else "<p>No thresholds were given.</p>"]
    out += _failures_html(records)
    ratio = [m for m in _metric_rows(summary) if METRICS[m].unit == "ratio"]
    rows = []
    for metric in ratio:
        status = _status(metric, metrics[metric], thresholds, counts[metric])
        colour = _BAD if status in ("FAIL", "too few") else _GOOD if status == "ok" else _NEUTRAL
        marker = thresholds.minimum.get(metric, thresholds.maximum.get(metric))
        rows.append((metric, metrics[metric], marker, colour))
    out += ['<h2 id="metrics">Metrics</h2>', _bars(rows, 1.0, "ratio", "every metric (black line: threshold)")]
    out.append(_table(["metric", "value", "n", "threshold", "status"],
                      [[f"{_h(m)} <small>({_h(METRICS[m].label)})</small>", _h(_fmt(metrics[m], METRICS[m].unit)),
                        str(counts[m]), _h(_bound(m, thresholds)),
                        _h(_status(m, metrics[m], thresholds, counts[m]))] for m in _metric_rows(summary)],
                      [False, True, True, False, False]))
    latency = [(f"{stage} {q}", metrics.get(f"latency.{stage}.{q}_ms"),
                thresholds.maximum.get(f"latency.{stage}.{q}_ms"), _NEUTRAL if q == "p50" else _SECOND)
               for stage in (*STAGES, "total") for q in ("p50", "p95")]
    measured = [v for _, v, _, _ in latency if v is not None]
    if measured:
        top = max(measured + [m for _, _, m, _ in latency if m is not None])
        out += ['<h2 id="latency">Latency</h2>', _bars(latency, top * 1.05 or 1.0, "ms", "per stage, p50 and p95")]
    langs = list(summary["by_lang"])
    out += ["<h2>Per language</h2>",
            _grouped(ratio, {f"{lang} (n={summary['by_lang'][lang]['n']})":
                             [summary["by_lang"][lang]["metrics"][m] for m in ratio] for lang in langs},
                     "every metric per language")]
    articles = summary["by_article"]
    out += ['<h2 id="per-article">Per article</h2>', _article_bars(articles),
            _grouped(list(articles), {m: [row["metrics"][m] for row in articles.values()]
                                      for m in ("retrieval.hit_at_3", "key_facts.recall")},
                     "retrieval hit@3 and key facts per article"),
            _table(["article", "n", "passed", *ARTICLE_METRICS],
                   [[_h(a), str(row["n"]), str(row["passed"]), *(_h(_fmt(row["metrics"][m])) for m in ARTICLE_METRICS)]
                    for a, row in articles.items()], [False] + [True] * (2 + len(ARTICLE_METRICS)))]
    if groups:
        out.append(f"<script>{_FILTER_JS}</script>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --- run against run --------------------------------------------------------------------------------


def _interval(interval: tuple[float, float] | None) -> str:
    return "" if interval is None else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def compare_html(comparison: Comparison) -> str:
    """Run B against run A as one offline page: gated deltas with 95% intervals, then each question that
    changed with what it lost or gained and both answers side by side."""
    a_records = {r["id"]: r for r in comparison.records_a}
    b_records = {r["id"]: r for r in comparison.records_b}
    verdict = "OK: no gated metric regressed beyond its tolerance" if comparison.ok else \
        "REGRESSED: " + ", ".join(d.metric for d in comparison.gate_failures)
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Compare "
           f"{_h(comparison.run_b)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{_h(comparison.run_b)} against {_h(comparison.run_a)}</h1>",
           f'<p class="{"good" if comparison.ok else "outage"}">{_h(verdict)}</p>']
    out += [f'<p class="bad">warning: {_h(w)}</p>' for w in comparison.warnings]
    out += ['<nav><a href="#regressed">regressed questions</a><a href="#improved">improved questions</a></nav>',
            "<h2>Metrics</h2>", _table(
                ["metric", "A", "95% CI", "n", "B", "95% CI", "n", "delta", "tolerance", ""],
                [[_h(d.metric), _h(_fmt(d.a, METRICS[d.metric].unit)), _interval(d.interval("a")), str(d.n_a),
                  _h(_fmt(d.b, METRICS[d.metric].unit)), _interval(d.interval("b")), str(d.n_b),
                  "" if d.delta is None else f"{d.delta:+.4g}", "" if d.tolerance is None else f"{d.tolerance:g}",
                  '<span class="bad">REGRESSED</span>' if d.regressed and d.gated else
                  "worse" if d.regressed else '<span class="good">improved</span>' if d.improved else ""]
                 for d in comparison.deltas], [False, True, False, True, True, False, True, True, True, False])]
    for title, changes in (("regressed", comparison.regressed), ("improved", comparison.improved)):
        out.append(f'<h2 id="{title}">{len(changes)} questions {title}</h2>')
        for change in changes:
            before, after = a_records.get(change.id, {}), b_records.get(change.id, {})
            label = ", ".join([f"−{c}" for c in change.lost] + [f"+{c}" for c in change.gained])
            out.append(f'<details class="q"><summary><b>{_h(change.id)}</b> ({_h(change.lang)}): {_h(label)}'
                       f"</summary><pre>{_h(str(after.get('question', ''))[:_EXCERPT * 4])}</pre><div class=\"cols\">")
            for side, record in (("A", before), ("B", after)):
                problems = problems_of(record)
                text = (record.get("answer") or {}).get("answer") or ""
                out.append(f"<div><h4>{side}</h4>" + (_table(["check", "expected", "got"], [[_h(c), _h(e), _h(g)]
                           for c, e, g in problems]) if problems else "<p>every check passed</p>")
                           + f"<pre>{_h(text)}</pre></div>")
            out.append("</div></details>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
