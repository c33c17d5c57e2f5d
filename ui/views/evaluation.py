"""The evaluation-runs page: the stored runs of ``kb-assistant eval``, one run's metrics, and the
comparison of two runs (metric deltas, questions that regressed or improved), read through the
public API of ``assistant.evaluation``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from kbui.texts import text

from assistant.errors import AssistantError
from assistant.evaluation import METRICS, compare_runs, list_runs, load_summary, load_thresholds
from assistant.evaluation.session import RUNS_DIR, default_thresholds

lang: str = st.session_state.get("lang", "ja")


def _value(metric: str, value: Any) -> str:
    if value is None:
        return "–"
    unit = METRICS[metric].unit if metric in METRICS else "ratio"
    return f"{value:,.0f} ms" if unit == "ms" else f"${value:.4f}" if unit == "usd" else f"{value:.3f}"


runs = list_runs(RUNS_DIR)
if not runs:
    st.info(text("eval_none", lang))
    st.stop()

names = [r.name for r in runs]
labels = {r.name: f"{r.name} · {r.mode} · {r.answered}/{r.questions} · passed {r.passed}" for r in runs}
chosen = st.selectbox(text("eval_run", lang), names, key="eval_run", format_func=lambda n: labels[n])
other = st.selectbox(text("eval_compare", lang), ["", *names], key="eval_other",
                     format_func=lambda n: labels.get(n, "—"))
try:
    summary = load_summary(str(chosen), RUNS_DIR)
    rows = [{"metric": m, "label": METRICS[m].label if m in METRICS else m, "value": _value(m, v)}
            for m, v in (summary.get("metrics") or {}).items() if v is not None]
    st.dataframe(rows, hide_index=True, width="stretch")
    if other and other != chosen:
        thresholds_path = default_thresholds()
        comparison = compare_runs(str(other), str(chosen), load_thresholds(thresholds_path)
                                  if thresholds_path else None, RUNS_DIR)
        if comparison.ok:
            st.success(f"{other} → {chosen}: OK")
        else:
            st.error(f"{other} → {chosen}: " + ", ".join(d.metric for d in comparison.gate_failures))
        st.dataframe([{"metric": d.metric, "a": _value(d.metric, d.a), "b": _value(d.metric, d.b),
                       "delta": "" if d.delta is None else f"{d.delta:+.4g}",
                       "": "REGRESSED" if d.regressed else "improved" if d.improved else ""}
                      for d in comparison.deltas], hide_index=True, width="stretch")
        for title, changes in (("regressed", comparison.regressed), ("improved", comparison.improved)):
            with st.expander(f"{len(changes)} {title}"):
                for change in changes:
                    st.text(f"{change.id}: " + ", ".join([f"-{c}" for c in change.lost] +
                                                         [f"+{c}" for c in change.gained]))
except AssistantError as exc:
    st.warning(str(exc))
