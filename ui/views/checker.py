"""The policy-checker page: paste a policy (and optionally error messages or a request) and get the
findings, the simulation of each request and a verified fix, without asking a question.
"""

from __future__ import annotations

import streamlit as st
from kbui.logic import CheckerReport, MfaContext, request_message, run_checker
from kbui.render import render_diagnoses, render_findings, render_fix, render_policy
from kbui.resources import get_assistant
from kbui.texts import text

from assistant.engine.model import PolicyType
from assistant.wire import finding_json

REPORT = "checker_report"

lang: str = st.session_state.get("lang", "ja")
assistant = get_assistant()

st.caption(text("checker_intro", lang))
with st.form("checker", border=False):
    policy_text = st.text_area(text("policy_text", lang), height=260, key="checker_policy")
    kind, mfa = st.columns(2)
    with kind:
        policy_type = st.selectbox(text("policy_type", lang), [t.value for t in PolicyType], key="checker_type")
    with mfa:
        mfa_context = st.selectbox(text("mfa_context", lang), MfaContext.ALL, key="checker_mfa",
                                   format_func=lambda value: text(f"mfa_{value}", lang))
    errors_text = st.text_area(text("errors_text", lang), height=120, key="checker_errors")
    with st.expander(text("request", lang)):
        principal = st.text_input(text("principal", lang), key="checker_principal",
                                  placeholder="arn:aws:iam::123456789012:user/alice")
        action = st.text_input(text("action", lang), key="checker_action", placeholder="s3:GetObject")
        resource = st.text_input(text("resource", lang), key="checker_resource",
                                 placeholder="arn:aws:s3:::bucket/key")
    submitted = st.form_submit_button(text("check", lang), type="primary", key="checker_submit")

if submitted:
    messages = errors_text or ""
    if principal.strip() or action.strip():
        if not (principal.strip() and action.strip()):
            st.warning(text("bad_request", lang))
        else:
            messages = (messages + "\n" + request_message(principal, action, resource)).strip()
    if not policy_text.strip():
        st.session_state.pop(REPORT, None)
        st.warning(text("need_policy", lang))
    else:
        st.session_state[REPORT] = run_checker(policy_text, PolicyType(str(policy_type)), messages,
                                               assistant.catalog, str(mfa_context))
        st.session_state[REPORT + "_errors"] = bool(messages.strip())

report: CheckerReport | None = st.session_state.get(REPORT)
if report is not None:
    st.markdown(f"### {text('check_result', lang)}")
    if report.check["valid"]:
        st.success(text("valid_policy", lang), icon=":material/check_circle:")
    else:
        st.error(text("invalid_policy", lang), icon=":material/error:")
    for number, checked in enumerate(report.checked, start=1):
        if checked.value is None and checked.repaired_value is None and len(report.checked) == 1:
            render_findings([finding_json(f) for f in checked.findings], lang)
            continue
        entry = {"source": "question", "json": checked.value, "valid": checked.valid, "verified": False,
                 "findings": [finding_json(f) for f in checked.findings]}
        if checked.repaired_value is not None:
            entry["repaired_json"] = checked.repaired_value
        render_policy(entry, text("source_question", lang, number=number), lang, base=None, key=f"checker_{number}")

    if st.session_state.get(REPORT + "_errors"):
        st.markdown(f"### {text('simulation', lang)}")
        if not report.diagnoses:
            st.warning(text("no_denials", lang))
        elif not report.simulated:
            st.warning(text("no_usable_policy", lang))
        if report.repaired and report.simulated:
            st.caption(text("repaired_note", lang))
        render_diagnoses(report.diagnoses, lang, "checker")
        if report.simulated and report.diagnoses:
            st.markdown(f"### {text('fix', lang)}")
            fix = report.fix
            if fix is None:
                st.info(text("nothing_to_fix", lang))
            elif fix["verified"] and fix["json"]:
                st.badge(text("badge_verified", lang), icon=":material/verified:", color="green")
                if fix["resolves"]:
                    st.markdown(f"{text('resolves', lang)}: " + ", ".join(f"`{r}`" for r in fix["resolves"]))
                for index, candidate in enumerate(fix["json"]):
                    original = report.originals[index] if index < len(report.originals) else None
                    if candidate != original:
                        render_fix(candidate, original, lang, changes=fix["changes"],
                                   newly_granted=fix["newly_granted"], key=f"checker_{index}")
                if fix["findings"]:
                    render_findings(fix["findings"], lang)
            else:
                st.warning(text("no_fix", lang))
                for note in fix["notes"]:
                    st.text(note)
