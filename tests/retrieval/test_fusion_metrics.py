"""Fusion, grouping, the in-scope rule and the metrics."""

from __future__ import annotations

import math

import pytest

from assistant.retrieval.fusion import best_chunk, by_article, convex, rrf
from assistant.retrieval.metrics import hit_at, mrr, ndcg_at, percentile, score_rankings, score_scope
from assistant.retrieval.scope import ScopeRule, ScopeSignals, foreign_platform, named_services, unanswered_service


def test_rrf_is_normalized_to_one_for_a_unanimous_first() -> None:
    fused = rrf([[(3, 0.9), (1, 0.5)], [(3, 12.0), (2, 1.0)]], [1.0, 1.0])
    assert fused[3] == pytest.approx(1.0)
    assert fused[1] < fused[3] and fused[2] < fused[3]


def test_convex_scales_each_ranking() -> None:
    fused = convex([[(1, 0.9), (2, 0.8)], [(2, 10.0), (1, 0.0)]], [1.0, 1.0])
    assert fused[1] == pytest.approx(0.5) and fused[2] == pytest.approx(0.5)


def test_grouping_by_article_and_choosing_the_chunk_in_the_query_language() -> None:
    articles = ["a", "a", "b", "b"]
    langs = ["en", "ja", "en", "ja"]
    assert by_article([(0, 0.9), (2, 0.7), (1, 0.85), (3, 0.6)], articles) == [("a", 0.9), ("b", 0.7)]
    scores = {0: 0.9, 1: 0.85, 2: 0.5}
    assert best_chunk([0, 1], scores, langs, "ja") == 1
    assert best_chunk([0, 1], scores, langs, "en") == 0
    assert best_chunk([2], scores, langs, "ja") == 2  # no Japanese candidate: the other language


def test_scope_rule() -> None:
    rule = ScopeRule(dense_high=0.9, dense_low=0.8, min_coverage=0.5)
    assert rule.in_scope(ScopeSignals(0.95, 0.0))
    assert rule.in_scope(ScopeSignals(0.85, 0.6))
    assert not rule.in_scope(ScopeSignals(0.85, 0.4))
    assert not rule.in_scope(ScopeSignals(0.7, 1.0))
    assert not rule.in_scope(ScopeSignals(0.99, 1.0, foreign=True))
    assert not rule.in_scope(ScopeSignals(0.99, 1.0, unanswered_service=True))


def test_named_services() -> None:
    terms = ["step", "function", "glue", "job", "dynamodb", "dynamo", "db", "role"]
    assert named_services(terms) == [("dynamodb",), ("glue",), ("step", "function")]
    assert named_services(["function", "role"]) == []


# a knowledge base of ten articles: S3 everywhere, CDK in one, Lake Formation (which mentions Glue) in one
_KB = [{"s3", "iam", "bucket"}] * 7 + [{"s3", "cdk", "bootstrap"}, {"lake", "formation", "glue", "s3"},
                                       {"lambda", "dynamodb", "role"}]


@pytest.mark.parametrize(("terms", "top", "unanswered"), [
    (["cognito", "s3", "accessdenied"], [0, 1, 2], True),  # S3 is everywhere: it anchors nothing
    (["redshift", "getclustercredentials"], [0, 8, 9], True),
    (["step", "function", "glue"], [0, 1, 2], True),
    (["step", "function", "glue"], [8, 0, 1], False),  # Glue, rare and the best article's, anchors it
    (["cdk", "codebuild", "deploy"], [7, 0, 1], False),  # CDK is rare and the best article's: it anchors
    (["cdk", "codebuild", "deploy"], [0, 7, 1], True),  # ... only in the best article
    (["lambda", "dynamodb", "putitem"], [9, 0, 1], False),
    (["s3", "bucket", "policy"], [0, 1, 2], False),
    (["bucket", "policy"], [0, 1, 2], False),  # no service named
])
def test_unanswered_service(terms: list[str], top: list[int], unanswered: bool) -> None:
    assert unanswered_service(terms, [_KB[i] for i in top], _KB) is unanswered


@pytest.mark.parametrize(("terms", "foreign"), [
    (["azure", "rbac"], True),
    (["google", "cloud", "iam"], True),
    (["gcp", "storage"], True),
    (["azure", "entra", "saml", "aws"], False),  # Entra ID as an IdP for AWS
    (["entra", "sts:assumerolewithsaml"], False),
    (["google", "web", "identity"], False),  # Google as a web identity provider for AWS
    (["iam", "role"], False),
])
def test_foreign_platform(terms: list[str], foreign: bool) -> None:
    assert foreign_platform(terms) is foreign


def test_metrics() -> None:
    ranking = ["x", "y", "z"]
    assert hit_at(ranking, "y", 1) == 0 and hit_at(ranking, "y", 3) == 1
    assert mrr(ranking, "z") == pytest.approx(1 / 3) and mrr(ranking, "q") == 0
    assert ndcg_at(ranking, "y") == pytest.approx(1 / math.log2(3))
    scores = score_rankings([ranking, ranking], ["x", "z"])
    assert (scores.hit1, scores.hit3) == (0.5, 1.0)
    assert scores.mrr == pytest.approx((1 + 1 / 3) / 2)
    scope = score_scope([True, False, False, True], [True, False, True, False])
    assert (scope.precision, scope.recall) == (0.5, 0.5)
    assert (scope.answered_out_of_scope, scope.rejected_in_scope) == (1, 1)
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([], 95) == 0.0
