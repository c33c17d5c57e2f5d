"""The evaluation-runs page: every stored run of ``kb-assistant eval`` (eval/runs/, runs written elsewhere
with --out, the committed baseline), one run's verdict (outage, failed gates, gates not measured), its
failures per check and its metrics with their n, and the comparison of two runs (metric deltas with 95%
intervals, questions that regressed or improved), read through the public API of ``assistant.evaluation``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from kbui.texts import text

from assistant.errors import AssistantError
from assistant.evaluation import METRICS, compare_runs, load_summary, load_thresholds
from assistant.evaluation import session as eval_session

lang: str = st.session_state.get("lang", "ja")


def _value(metric: str, value: Any) -> str:
    if value is None:
        return "–"
    unit = METRICS[metric].unit if metric in METRICS else "ratio"
    return f"{value:,.0f} ms" if unit == "ms" else f"${value:.4f}" if unit == "usd" else f"{value:.3f}"


runs = eval_session.known_runs()
if not runs:
    st.info(text("eval_none", lang))
    st.stop()

# A run under eval/runs/ is named by its directory; one elsewhere by its path.
paths = {(r.name if r.path.parent == eval_session.RUNS_DIR else str(r.path)): r for r in runs}
labels = {key: f"{key} · {r.mode} · {r.answered}/{r.questions} · passed {r.passed}" for key, r in paths.items()}
chosen = st.selectbox(text("eval_run", lang), list(paths), key="eval_run", format_func=lambda k: labels[k])
other = st.selectbox(text("eval_compare", lang), ["", *paths], key="eval_other",
                     format_func=lambda k: labels.get(k, "—"))
try:
    summary = load_summary(paths[str(chosen)].path)
    if summary.get("outage"):
        st.error(str(summary["outage"]))
    gates = summary.get("thresholds") or {}
    for violation in gates.get("violations") or []:
        st.error(violation.get("message") or f"{violation.get('metric')}: {violation.get('value')}")
    if gates.get("skipped"):
        st.info("not measured: " + ", ".join(gates["skipped"]))
    checks = summary.get("checks") or {}
    st.dataframe([{"check": name, "failed": row.get("failed", 0), "passed": row.get("passed", 0)}
                  for name, row in checks.items() if row.get("failed")], hide_index=True, width="stretch")
    counts = summary.get("counts") or {}
    rows = [{"metric": m, "label": METRICS[m].label if m in METRICS else m, "value": _value(m, v),
             "n": counts.get(m)} for m, v in (summary.get("metrics") or {}).items() if v is not None]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(str(paths[str(chosen)].path / "report.html"))
    if other and other != chosen:
        thresholds_path = eval_session.default_thresholds()
        comparison = compare_runs(paths[str(other)].path, paths[str(chosen)].path,
                                  load_thresholds(thresholds_path) if thresholds_path else None)
        for warning in comparison.warnings:
            st.warning(warning)
        if comparison.ok:
            st.success(f"{other} → {chosen}: OK")
        else:
            st.error(f"{other} → {chosen}: " + ", ".join(d.metric for d in comparison.gate_failures))
        st.dataframe([{"metric": d.metric, "a": _value(d.metric, d.a), "b": _value(d.metric, d.b),
                       "delta": "" if d.delta is None else f"{d.delta:+.4g}",
                       "95% CI (b)": "" if (ci := d.interval("b")) is None else f"{ci[0]:.3f}–{ci[1]:.3f}",
                       "n (b)": d.n_b, "": "REGRESSED" if d.regressed else "improved" if d.improved else ""}
                      for d in comparison.deltas], hide_index=True, width="stretch")
        for title, changes in (("regressed", comparison.regressed), ("improved", comparison.improved)):
            with st.expander(f"{len(changes)} {title}"):
                for change in changes:
                    st.text(f"{change.id}: " + ", ".join([f"-{c}" for c in change.lost] +
                                                         [f"+{c}" for c in change.gained]))
except AssistantError as exc:
    st.warning(str(exc))
