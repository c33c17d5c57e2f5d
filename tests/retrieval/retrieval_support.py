"""Helpers of the retrieval tests: a small bilingual knowledge base and embedding wrappers that count
or remember calls. (A named module, not conftest, so that test modules import it unambiguously.)
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.adapters.embeddings import E5Embeddings

_MFA_POLICY = """\
{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow",
     "Action": ["iam:CreateVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/${aws:username}"},
    {"Sid": "BlockMostAccessUnlessSignedInWithMFA", "Effect": "Deny",
     "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices"],
     "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}"""

_PASSROLE_POLICY = """\
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/app-role",
     "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}
  ]
}"""

_BUCKET_POLICY = """\
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*"}
  ]
}"""

ARTICLES: dict[tuple[str, str], dict[str, Any]] = {
    ("mfa-device-registration-denied", "ja"): {
        "title": "IAM ユーザーで仮想 MFA デバイスを登録しようとするとエラーになる",
        "summary": "古い自己管理ポリシーが iam:ListVirtualMFADevices を拒否しているため、"
                   "MFA デバイスを登録できません。",
        "errors": ["User: arn:aws:iam::123456789012:user/IAM-MFA is not authorized to perform: "
                   "iam:ListVirtualMFADevices on resource: arn:aws:iam::123456789012:mfa/ with an explicit "
                   "deny in an identity-based policy"],
        "sections": [
            ("困っていること", "新しい IAM ユーザーでコンソールにサインインし、"
                               "仮想 MFA デバイスを登録しようとするとエラーになります。"),
            ("原因", "ポリシーの Deny ステートメントが NotAction と BoolIfExists 条件で、"
                     "MFA なしのリクエストを拒否しています。\n\n"
                     f"```json name=before\n{_MFA_POLICY}\n```"),
            ("どう対応すればいいの?", "AWS ドキュメントの最新のポリシー例に置き換え、"
                                    "NotAction に iam:ListVirtualMFADevices を追加してください。"),
        ],
    },
    ("mfa-device-registration-denied", "en"): {
        "title": "Registering a virtual MFA device fails for an IAM user",
        "summary": "An old self-manage policy denies iam:ListVirtualMFADevices, so the user cannot register MFA.",
        "errors": ["User: arn:aws:iam::123456789012:user/IAM-MFA is not authorized to perform: "
                   "iam:ListVirtualMFADevices on resource: arn:aws:iam::123456789012:mfa/ with an explicit "
                   "deny in an identity-based policy"],
        "sections": [
            ("Problem", "A new IAM user signs in to the console and cannot register a virtual MFA device."),
            ("Why", "The Deny statement uses NotAction with a BoolIfExists condition on "
                    f"aws:MultiFactorAuthPresent.\n\n```json name=before\n{_MFA_POLICY}\n```"),
            ("Resolution", "Replace the policy with the current example from the AWS documentation and add "
                           "iam:ListVirtualMFADevices to the NotAction list."),
        ],
    },
    ("iam-passrole-not-authorized", "ja"): {
        "title": "EC2 インスタンスにロールを渡すと iam:PassRole で拒否される",
        "summary": "インスタンスプロファイルのロールを渡す権限 iam:PassRole がないため、EC2 の起動に失敗します。",
        "errors": ["is not authorized to perform: iam:PassRole"],
        "sections": [
            ("困っていること", "EC2 インスタンスを起動するときに IAM ロールを指定すると、"
                               "権限がないというエラーで失敗します。"),
            ("どう対応すればいいの?", "起動する人のポリシーで、渡すロールに対する iam:PassRole を許可します。\n\n"
                                   f"```json name=after\n{_PASSROLE_POLICY}\n```"),
        ],
    },
    ("iam-passrole-not-authorized", "en"): {
        "title": "Launching an EC2 instance with a role fails on iam:PassRole",
        "summary": "The user lacks iam:PassRole for the instance profile role, so the EC2 launch fails.",
        "errors": ["is not authorized to perform: iam:PassRole"],
        "sections": [
            ("Problem", "Launching an EC2 instance with an IAM role fails with a not authorized error."),
            ("Resolution", "Allow iam:PassRole on the role being passed, limited with iam:PassedToService.\n\n"
                           f"```json name=after\n{_PASSROLE_POLICY}\n```"),
        ],
    },
    ("s3-cross-account-bucket-policy", "ja"): {
        "title": "別アカウントの S3 バケットのオブジェクトを読めない",
        "summary": "クロスアカウントでは、バケットポリシーと呼び出し側の IAM ポリシーの両方で"
                   " s3:GetObject の許可が必要です。",
        "errors": ["AccessDenied"],
        "sections": [
            ("困っていること", "別の AWS アカウントの S3 バケットからファイルをダウンロードしようとすると"
                               " AccessDenied になります。"),
            ("どう対応すればいいの?", "バケット所有者がバケットポリシーで相手のアカウントを許可します。\n\n"
                                   f"```json name=after type=resource\n{_BUCKET_POLICY}\n```"),
        ],
    },
    ("s3-cross-account-bucket-policy", "en"): {
        "title": "Cannot read objects in another account's S3 bucket",
        "summary": "Cross-account reads need s3:GetObject allowed by both the bucket policy and the caller's policy.",
        "errors": ["AccessDenied"],
        "sections": [
            ("Problem", "Downloading a file from an S3 bucket owned by another AWS account returns AccessDenied."),
            ("Resolution", "The bucket owner grants the other account in the bucket policy.\n\n"
                           f"```json name=after type=resource\n{_BUCKET_POLICY}\n```"),
        ],
    },
}


def article_text(article_id: str, lang: str, spec: dict[str, Any]) -> str:
    """One article file in the kb/ format."""
    errors = "".join(f"\n  - {e!r}" for e in spec["errors"]).replace("'", '"')
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in spec["sections"])
    return (f"---\nid: {article_id}\nlang: {lang}\ntitle: {spec['title']}\nsummary: {spec['summary']}\n"
            f"tags:\n  - test\nerrors:{errors}\nrelated: []\nreferences:\n"
            f"  - https://docs.aws.amazon.com/IAM/latest/UserGuide/introduction.html\nupdated: 2026-11-28\n"
            f"---\n\n{body}\n")


def write_kb(kb_dir: Path, articles: dict[tuple[str, str], dict[str, Any]] | None = None) -> Path:
    """Write the fixture articles under ``kb_dir`` (``kb/<lang>/<id>.md``)."""
    for (article_id, lang), spec in (articles or ARTICLES).items():
        path = kb_dir / lang / f"{article_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article_text(article_id, lang, spec), encoding="utf-8")
    return kb_dir


class MemoEmbeddings(Embeddings):
    """The real model with a cache, so that tests that re-ingest the same texts stay fast."""

    def __init__(self, inner: E5Embeddings) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self._documents: dict[str, list[float]] = {}
        self._queries: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._documents]
        for text, vector in zip(missing, self.inner.embed_documents(missing), strict=True):
            self._documents[text] = vector
        return [self._documents[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        if text not in self._queries:
            self._queries[text] = self.inner.embed_query(text)
        return self._queries[text]


class CountingEmbeddings(Embeddings):
    """Wraps a model and counts what it is asked to embed; ``fail_after`` simulates a crash."""

    def __init__(self, inner: Any, fail_after: int | None = None, model_name: str | None = None,
                 dimension: int | None = None) -> None:
        self.inner = inner
        self.model_name = model_name or inner.model_name
        self.dimension = dimension or inner.dimension
        self.document_calls = 0
        self.documents: list[str] = []
        self.fail_after = fail_after

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.fail_after is not None and self.document_calls >= self.fail_after:
            raise KeyboardInterrupt("simulated Ctrl-C in the middle of an ingest")
        self.document_calls += 1
        self.documents.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def dedent(text: str) -> str:
    """``textwrap.dedent`` minus the leading newline."""
    return textwrap.dedent(text).lstrip("\n")
