"""Every deterministic metric on hand-made answers; the expected numbers are worked out by hand."""

from __future__ import annotations

import math

import pytest
from evalfix import answer, observe, question, record

from assistant.evaluation.dataset import ExpectedDiagnosis
from assistant.evaluation.reader_checks import prose_language
from assistant.evaluation.redteam import fact_present
from assistant.evaluation.scoring import score_question
from assistant.evaluation.summary import aggregate, metric_values

# --- retrieval ----------------------------------------------------------------------------------


def test_retrieval_of_one_question_is_scored_on_the_search_ranking() -> None:
    # The search found the article at rank 2; the answer cited another one: a selection failure only.
    scored = score_question(question(article="a"), observe(answer(cited=["b"], retrieved=["b", "a", "c"])))
    retrieval = scored["scores"]["retrieval"]
    assert retrieval["rank"] == 2
    assert retrieval["hit_at_1"] == 0.0
    assert retrieval["hit_at_3"] == 1.0
    assert retrieval["mrr"] == 0.5
    assert retrieval["ndcg_at_10"] == pytest.approx(1 / math.log2(3))  # rank 2: 1 / log2(2 + 1)
    assert scored["checks"]["retrieval"] is True  # found in the top 3
    assert scored["checks"]["selection"] is False  # but not cited


@pytest.mark.parametrize(("retrieved", "cited", "retrieval", "selection"), [
    (["x", "y", "z", "a"], ["a"], False, True),  # cited right although the search ranked it 4th
    (["a", "x"], ["a"], True, True),
    (["x", "a"], ["x"], True, False),
])
def test_retrieval_and_selection_are_separate_checks(retrieved: list[str], cited: list[str], retrieval: bool,
                                                     selection: bool) -> None:
    scored = score_question(question(article="a"), observe(answer(cited=cited, retrieved=retrieved)))
    assert (scored["checks"]["retrieval"], scored["checks"]["selection"]) == (retrieval, selection)


def test_an_answer_without_a_search_ranking_measures_no_retrieval() -> None:
    document = answer(cited=["a"])
    del document["retrieved"]
    scored = score_question(question(article="a"), observe(document))
    assert scored["scores"]["retrieval"] is None and scored["checks"]["retrieval"] is None  # never the citations


def test_retrieval_means_over_in_scope_questions_only() -> None:
    records = [
        record(question("q1", article="a"), observe(answer(cited=["a"]))),  # rank 1
        record(question("q2", article="a"), observe(answer(cited=["b", "a"]))),  # rank 2
        record(question("q3", article="a"), observe(answer(cited=["b", "c", "d"]))),  # absent
        record(question("q4", article=None), observe(answer(cited=[], in_scope=False))),  # out of scope: no rank
    ]
    values, counts = metric_values(records)
    assert counts["retrieval.hit_at_1"] == 3
    assert values["retrieval.hit_at_1"] == pytest.approx(1 / 3)
    assert values["retrieval.hit_at_3"] == pytest.approx(2 / 3)
    assert values["retrieval.mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert values["retrieval.ndcg_at_10"] == pytest.approx((1 + 1 / math.log2(3) + 0) / 3)


def test_retrieval_mode_uses_the_search_ranking() -> None:
    observation = observe(None, ranking=["x", "y", "z", "a"], retrieved=["x", "y", "z", "a"], in_scope=True)
    scored = score_question(question(article="a"), observation)
    assert scored["scores"]["retrieval"]["mrr"] == 0.25
    assert scored["scores"]["retrieval"]["hit_at_3"] == 0.0
    assert scored["scores"]["citations"] is None and scored["checks"]["key_facts"] is None


# --- citations ----------------------------------------------------------------------------------


def test_citation_precision_recall_and_the_retrieved_set() -> None:
    records = [
        # expected a; cites a and b, both retrieved: 1 right of 2 cited
        record(question("q1", article="a"), observe(answer(cited=["a", "b"]), retrieved=["a", "b"])),
        # expected a; cites nothing; retrieved set unknown
        record(question("q2", article="a"), observe(answer(cited=[]))),
        # out of scope; cites c, which was not retrieved
        record(question("q3", article=None), observe(answer(cited=["c"], in_scope=False), retrieved=["d"])),
        # out of scope; cites nothing
        record(question("q4", article=None), observe(answer(cited=[], in_scope=False), retrieved=[])),
    ]
    values, counts = metric_values(records)
    assert values["citations.precision"] == pytest.approx(1 / 3)  # 1 right of 3 citations
    assert values["citations.recall"] == pytest.approx(1 / 2)  # 1 of the 2 in-scope questions' articles cited
    assert counts["citations.recall"] == 2
    assert values["citations.within_retrieved"] == pytest.approx(2 / 3)  # q1 and q4 of the 3 known sets
    assert counts["citations.within_retrieved"] == 3
    assert [r["checks"]["selection"] for r in records] == [True, False, False, True]
    assert records[2]["scores"]["citations"]["outside_retrieved"] == ["c"]


def test_a_repeated_citation_counts_once() -> None:
    scored = score_question(question(article="a"), observe(answer(cited=["a", "a", "b"])))
    assert scored["scores"]["citations"]["cited"] == ["a", "b"]
    assert scored["scores"]["citations"]["precision"] == 0.5


# --- scope ----------------------------------------------------------------------------------------


def test_scope_precision_and_recall_of_refusals() -> None:
    cases = [("q1", "a", True), ("q2", "a", False), ("q3", "a", False),  # two in-scope questions refused
             ("q4", None, False), ("q5", None, False), ("q6", None, True)]  # two refusals right, one answered
    records = [record(question(qid, article=article), observe(answer(in_scope=predicted)))
               for qid, article, predicted in cases]
    values, counts = metric_values(records)
    assert values["scope.precision"] == pytest.approx(2 / 4)  # 2 right of 4 refusals
    assert values["scope.recall"] == pytest.approx(2 / 3)  # 2 of 3 out-of-scope questions refused
    assert (counts["scope.precision"], counts["scope.recall"]) == (4, 3)
    assert [r["checks"]["scope"] for r in records] == [True, False, False, True, True, False]


def test_scope_with_nothing_to_measure_is_not_measured() -> None:
    # Every question in scope and none refused: no refusal to be right or wrong about.
    records = [record(question(f"q{i}", article="a"), observe(answer(in_scope=True))) for i in range(3)]
    values, counts = metric_values(records)
    assert values["scope.precision"] is None and values["scope.recall"] is None
    assert counts["scope.precision"] == counts["scope.recall"] == 0


# --- diagnoses ----------------------------------------------------------------------------------

_LIST = ExpectedDiagnosis("iam:ListVirtualMFADevices", "ExplicitlyDenied", "identity", "0987654321")
_CREATE = ExpectedDiagnosis("iam:CreateVirtualMFADevice", "ImplicitlyDenied", "identity", None)
_GET = ExpectedDiagnosis("s3:GetObject", "ExplicitlyDenied", "identity", "DenyOutsideOfficeIp")


def test_diagnoses_match_field_by_field() -> None:
    got = [{"action": "iam:listvirtualmfadevices", "decision": "ExplicitlyDenied", "policy_type": "identity",
            "statement_sid": "0987654321"},
           {"action": "iam:CreateVirtualMFADevice", "decision": "ImplicitlyDenied", "policy_type": None,
            "statement_sid": None}]
    first = record(question("q1", diagnoses=[_LIST, _CREATE]), observe(answer(diagnoses=got)))
    second = record(question("q2", diagnoses=[_GET]), observe(answer(diagnoses=[])))  # not diagnosed at all
    third = record(question("q3"), observe(answer()))  # nothing expected: not counted
    values, counts = metric_values([first, second, third])
    assert counts["diagnoses.match"] == 3
    assert values["diagnoses.match"] == pytest.approx(1 / 3)  # only ListVirtualMFADevices matches fully
    assert values["diagnoses.decision"] == pytest.approx(2 / 3)
    assert values["diagnoses.policy_type"] == pytest.approx(1 / 3)  # None is not "identity"
    assert values["diagnoses.statement_sid"] == pytest.approx(2 / 3)
    assert [r["checks"]["diagnoses"] for r in (first, second, third)] == [False, False, None]
    assert first["scores"]["diagnoses"]["rows"][1]["got"]["policy_type"] is None


# --- policies -----------------------------------------------------------------------------------

_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def _policy(source: str, *, valid: bool = True, verified: bool = False, codes: tuple[str, ...] = (),
            severity: str = "SECURITY_WARNING") -> dict[str, object]:
    return {"source": source, "json": _POLICY if valid else None, "valid": valid, "verified": verified,
            "resolves": [], "findings": [{"code": c, "severity": severity, "message": c} for c in codes]}


def test_policy_validity_verification_and_over_permissive_suggestions() -> None:
    answers = [
        # the user's own broken policy does not count; the suggested fix is valid and verified
        [_policy("question", valid=False), _policy("suggested", verified=True)],
        # an over-permissive policy in the answer, and an unverified fix
        [_policy("answer", codes=("ALLOW_ALL",)), _policy("suggested", verified=False)],
        # a policy in the answer that is not even JSON; a SECURITY_WARNING of another kind is fine
        [_policy("answer", valid=False), _policy("answer", codes=("MISSING_VERSION",))],
        # only the user's policy: nothing shown to judge
        [_policy("question")],
        # PASS_ROLE_WITH_STAR as a mere WARNING is not the security finding
        [_policy("suggested", verified=True, codes=("PASS_ROLE_WITH_STAR",), severity="WARNING")],
    ]
    records = [record(question(f"q{i}"), observe(answer(policies=p))) for i, p in enumerate(answers)]
    values, counts = metric_values(records)
    assert counts["policies.valid"] == 4
    assert values["policies.valid"] == pytest.approx(3 / 4)  # the third answer has an invalid one
    assert counts["policies.fixes_verified"] == 3
    assert values["policies.fixes_verified"] == pytest.approx(2 / 3)
    assert values["policies.not_over_permissive"] == pytest.approx(3 / 4)
    assert [r["checks"]["policies"] for r in records] == [True, False, False, None, True]
    assert records[1]["scores"]["policies"]["over_permissive"] == ["ALLOW_ALL"]


# --- key facts ----------------------------------------------------------------------------------


def test_fact_matching_rules() -> None:
    assert fact_present("ListVirtualMFADevices", "allow iam:listvirtualmfadevices first")  # case-insensitive
    assert fact_present("10,240", "上限は １０，２４０ バイトです")  # full-width digits (NFKC)
    assert fact_present("-Encoding ascii", "use -Encoding\n  ascii when saving")  # whitespace collapsed
    assert fact_present("re:(split|Split)", "Split the policy")
    assert not fact_present("re:(split|Split)", "SPLIT the policy")  # a pattern is taken as written
    assert fact_present(r"re:arn:aws:iam::\*:mfa/\*", "Resource: arn:aws:iam::*:mfa/*")
    assert not fact_present("信頼ポリシー", "アイデンティティベースのポリシー")
    assert not fact_present("ARN", "a warning about the policy")  # whole words: not inside "warning"
    assert fact_present("ARN", "the role's ARN, then")
    assert not fact_present("iam:PassRole", "iam:PassRoleToService")
    assert fact_present("PassRole", "iam:PassRole on the role")  # ':' is a word boundary
    assert fact_present("ポリシー", "信頼ポリシーを直す")  # Japanese has no word boundaries


def test_key_fact_recall_and_completeness() -> None:
    facts = ["Principal", "sts:AssumeRole", "re:trust polic(y|ies)", "信頼ポリシー"]
    records = [
        record(question("q1", facts=facts), observe(answer("Remove the principal; use sts:AssumeRole in the trust "
                                                           "policy."))),  # 3 of 4
        record(question("q2", facts=["6,144", "get-account-summary"]), observe(answer("The limit is 6,144."))),
        record(question("q3", facts=[]), observe(answer("anything"))),  # no facts: not counted
        record(question("q4", facts=["AIDA"]), observe(answer("The AIDA… id is the deleted user's."))),
    ]
    values, counts = metric_values(records)
    assert counts["key_facts.recall"] == 3
    assert values["key_facts.recall"] == pytest.approx((3 / 4 + 1 / 2 + 1) / 3)
    assert values["key_facts.complete"] == pytest.approx(1 / 3)
    assert records[0]["scores"]["key_facts"]["missing"] == ["信頼ポリシー"]
    assert [r["checks"]["key_facts"] for r in records] == [False, False, None, True]


# --- language -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("ポリシーを確認してください。", "ja"),
    ("Check the policy attached to the user.", "en"),
    ("ARN を確認", "ja"),
    ("Check the policy (例).", "en"),  # one kanji is few
    ("Check the policy attached to the user.\n\nSee 「MFA デバイスの登録が拒否される」.\n\nThen sign in again "
     "and retry.", "en"),  # one Japanese title line does not make an English answer Japanese
    ("Use this policy:\n```json\n{\"Sid\": \"日本語のSid\"}\n```\nThen retry.", "en"),  # code set aside
    ("次のポリシーにしてください。\n```json\n" + '{"Action": "iam:ListVirtualMFADevices"}\n' * 30 + "```", "ja"),
    ("```json\n{}\n```", None),  # no prose
    ("", None),
])
def test_answer_language(text: str, expected: str | None) -> None:
    assert prose_language(text) == expected


def test_language_match_share() -> None:
    records = [record(question("q1", lang="ja"), observe(answer("ポリシーを直してください。", lang="ja"))),
               record(question("q2", lang="ja"), observe(answer("Fix the policy.", lang="ja"))),  # English text
               record(question("q3", lang="en"), observe(answer("Fix the policy."))),
               record(question("q4", lang="en"), observe(answer("")))]  # no answer is in no language
    values, _ = metric_values(records)
    assert values["language.match"] == pytest.approx(2 / 4)
    assert records[1]["scores"]["language"]["declared"] == "ja"


# --- latency ------------------------------------------------------------------------------------


def test_latency_percentiles_per_stage() -> None:
    records = [record(question(f"q{i}"), observe(answer(timings={"analysis": a, "retrieval": 1.0})), total_ms=t)
               for i, (a, t) in enumerate([(10.0, 100.0), (20.0, 200.0), (30.0, 300.0), (40.0, 400.0)])]
    values, counts = metric_values(records)
    # linear interpolation: p50 sits halfway between the 2nd and 3rd value, p95 at 2.85 of the 0..3 positions
    assert values["latency.analysis.p50_ms"] == 25.0
    assert values["latency.analysis.p95_ms"] == 38.5
    assert values["latency.total.p50_ms"] == 250.0
    assert values["latency.total.p95_ms"] == 385.0
    assert values["latency.retrieval.p95_ms"] == 1.0
    assert values["latency.guard.p50_ms"] is None and counts["latency.guard.p50_ms"] == 0  # never reported


# --- per question, per language, per article ----------------------------------------------------


def test_summary_per_language_per_article_and_failing_questions() -> None:
    records = [
        record(question("ja-1", lang="ja", article="a", facts=["MFA"]),
               observe(answer("MFA を登録してください。", cited=["a"], lang="ja"))),  # passes
        record(question("ja-2", lang="ja", article="b", facts=["SCP"]),
               observe(answer("MFA を登録してください。", cited=["a"], lang="ja"))),  # wrong article, no fact
        record(question("en-1", lang="en", article="a", facts=["MFA"]), observe(answer("Register MFA.",
                                                                                       cited=["a"]))),
        record(question("en-2", lang="en", article=None), observe(answer("Not covered.", in_scope=False))),
        record(question("en-3", lang="en", article="b"), observe(answer("", cited=[])), error="boom"),
    ]
    summary = aggregate(records)
    assert summary["questions"] == 5 and summary["passed"] == 3 and summary["errors"] == 1
    assert summary["metrics"]["questions.passed"] == pytest.approx(3 / 5)
    assert summary["metrics"]["run.error_rate"] == pytest.approx(1 / 5)
    assert summary["by_lang"]["ja"]["n"] == 2
    assert summary["by_lang"]["ja"]["metrics"]["retrieval.hit_at_1"] == 0.5
    assert summary["by_lang"]["en"]["metrics"]["retrieval.hit_at_1"] == 0.5  # en-1 right, en-3 nothing
    assert summary["by_article"]["a"] == {"n": 2, "passed": 2, "metrics": {
        "retrieval.hit_at_3": 1.0, "citations.recall": 1.0, "key_facts.recall": 1.0,
        "language.match": 1.0, "questions.passed": 1.0}}
    assert summary["by_article"]["b"]["passed"] == 0
    assert summary["by_article"]["(out of scope)"]["passed"] == 1
    assert summary["failing"] == [
        {"id": "ja-2", "lang": "ja", "expected_article": "b", "failed": ["retrieval", "selection", "key_facts"]},
        {"id": "en-3", "lang": "en", "expected_article": "b",
         "failed": ["error", "retrieval", "selection", "language"]},
    ]
    assert summary["checks"]["key_facts"] == {"passed": 2, "failed": 1}
