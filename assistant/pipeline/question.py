"""Reading a question: its language, what is asked (the intent), the customer's own facts (account,
users, roles, ARNs, Region, buckets, services, actions, what they already tried), the access-denied
messages and policies in it, demands aimed at the checker, and what a follow-up refers to.

A follow-up without errors or policies of its own ("それでもダメでした", "what about for a role?")
borrows them from the earlier user turns, most recent first. Intent and facts are read with small
bilingual patterns: the answer plan needs to know which part of an article answers, not to parse prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from assistant.engine.catalog import Catalog
from assistant.engine.checker import CheckedPolicy, check_text, check_value
from assistant.engine.messages import Denial, parse_denials
from assistant.engine.model import PolicyType
from assistant.engine.reader import read_policies

__all__ = ["Demand", "Facts", "Intent", "Question", "Turn", "detect_language", "mentioned_services", "read_facts",
           "read_intent", "read_question"]

_KANA = re.compile(r"[\u3040-\u30ff]")
_KANJI = re.compile(r"[\u4e00-\u9fff]")
_CLI = re.compile(r"\b(cli|sdk|boto3|access key|aws configure|terraform)\b|アクセスキー|コマンドライン", re.IGNORECASE)
_WITH_MFA = re.compile(r"(signed|logged) in with mfa|mfa\s*(で|を使って)(サインイン|ログイン)", re.IGNORECASE)


class Intent(StrEnum):
    """What the customer asks for; it picks the article part that answers."""

    FIX = "fix"  # an error to get past: "how do I fix", "対処法"
    WHY = "why"
    WHAT = "what"  # what is / what does it mean
    DIFFERENCE = "difference"
    YES_NO = "yes_no"
    REVIEW = "review"  # is my policy right?
    HOW_TO = "how_to"  # how do I do X (no error)
    INSTRUCTION = "instruction"  # aimed at the assistant itself, not an access question


class Demand(StrEnum):
    """Requests to bend the checker's rules; answered in one line, never obeyed."""

    MARK_VERIFIED = "mark_verified"
    WIDEN = "widen"  # "just give me Action *", full admin


_INTENTS: tuple[tuple[Intent, re.Pattern[str]], ...] = tuple((intent, re.compile(pattern, re.IGNORECASE)) for
                                                             intent, pattern in (
    (Intent.INSTRUCTION, r"\b(ignore|disregard|forget) (all |any |your |the )*(previous |prior |above )?"
                         r"(instructions|prompts?|rules)|system prompt|you are now|pretend (to be|you)|"
                         r"(以前|前|上)の(指示|命令|プロンプト).{0,6}(無視|忘れ)|システムプロンプト|あなたは今から"),
    (Intent.DIFFERENCE, r"違い|違うの|どう違|使い分け|difference|\bvs\.?\b|versus|compared (to|with)|"
                        r"which (one|should)|どっち|どちら"),
    (Intent.WHY, r"なぜ|何故|どうして|理由|何が(悪|原因|いけない)|\bwhy\b|how come|what causes|what'?s wrong"),
    (Intent.REVIEW, r"(この|私の|今の)ポリシー.{0,20}(大丈夫|正しい|合って|問題|十分|ok)|"
                    r"\b(is|does) (this|my) (policy|statement)\b.{0,30}\b(right|correct|ok|okay|enough|work|safe)|"
                    r"review (this|my) policy|anything wrong with (this|my) policy"),
    (Intent.WHAT, r"とは[?？\s]*|って何|ってなに|どういう意味|意味(は|を)|どんな|どうなって|どうなる|何が|何を|"
                  r"\bwhat (is|are|does)\b.{0,40}"
                  r"\b(mean|means|for)?\b"),
    (Intent.FIX, r"対処|解決|直し|直す|修正|エラー|拒否され|できません|できない|失敗|通らない|効かない|"
                 r"\bfix\b|\bresolve\b|denied|not authorized|fails?\b|error|can'?t|cannot|doesn'?t work|"
                 r"not working|blocked"),
    (Intent.HOW_TO, r"方法|やり方|したい|させたい|には[?？]|どうやって|どうすれば|手順|\bhow (do|can|to|should)\b|"
                    r"\bi want to\b|\bi need to\b"),
    (Intent.YES_NO, r"(ますか|ですか|でしょうか|できる|いい|必要|動く|効く)([?？]|\s*$)|"
                    r"^\s*(is|are|can|does|do|should|will|must|could|would)\b|"
                    # a yes/no question after a first sentence that tells the situation
                    r"[.!]\s+(is|are|can|does|do|should|will|must|could|would)\b[^.?!\n]{0,200}\?|"
                    r"\bis (that|this|it) (expected|normal|possible|true)"),
))
_DEMANDS: tuple[tuple[Demand, re.Pattern[str]], ...] = (
    (Demand.MARK_VERIFIED, re.compile(r"mark (it|this|the policy|my policy)? ?(as )?verified|verified: ?true|"
                                      r"検証済み(に|と)(して|マーク|表示)", re.IGNORECASE)),
    (Demand.WIDEN, re.compile(r"\"?Action\"?\s*:?\s*\"?\*\"?(?!\w)|action \*|full (admin|access)|"
                              r"AdministratorAccess|全部(許可|の権限)|すべて(許可|の権限)|フルアクセス|管理者権限",
                              re.IGNORECASE)),
)
# Service names as customers write them -> the service prefix of the service authorization reference.
_SERVICES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((prefix, re.compile(pattern, re.IGNORECASE)) for
                                                           prefix, pattern in (
    ("s3", r"\bs3\b"), ("ec2", r"\bec2\b"), ("iam", r"\biam\b"), ("sts", r"\bsts\b|assumerole"),
    ("kms", r"\bkms\b"), ("lambda", r"\blambda\b"), ("eks", r"\beks\b|kubernetes|irsa"),
    ("ecs", r"\becs\b|fargate"), ("ecr", r"\becr\b"), ("cloudfront", r"cloudfront"),
    ("dynamodb", r"dynamodb"), ("sqs", r"\bsqs\b"), ("sns", r"\bsns\b"), ("secretsmanager", r"secrets ?manager"),
    ("ssm", r"\bssm\b|systems manager|parameter store|session manager"), ("cloudformation", r"cloudformation"),
    ("organizations", r"organizations|\bscp\b|\brcp\b"), ("athena", r"athena"), ("glue", r"\bglue\b"),
    ("rds", r"\brds\b|aurora"), ("redshift", r"redshift"), ("apigateway", r"api ?gateway"),
    ("states", r"step functions"), ("events", r"eventbridge"), ("logs", r"cloudwatch"),
    ("cognito-idp", r"cognito"), ("codebuild", r"codebuild"), ("codepipeline", r"codepipeline"),
    ("sso", r"identity center|\bsso\b"), ("github", r"github"),
))
_ACCOUNT = re.compile(r"(?<!\d)\d{12}(?!\d)")
_ARN_TEXT = re.compile(r"arn:aws[\w-]*:[^\s\"'`,()<>]+")
_REGION = re.compile(r"\b(?:us|eu|ap|sa|ca|me|af|il|mx)-(?:north|south|east|west|central|northeast|southeast|"
                     r"northwest|southwest)-\d\b")
_ACTION = re.compile(r"\b([a-z0-9-]{2,64}):([A-Z][A-Za-z0-9]+|\*)\b")  # bounded: no rescanning a long run
_BUCKET = re.compile(r"arn:aws[\w-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])|s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])|"
                     r"(?:bucket|バケット)\s*[「`\"']?([a-z0-9][a-z0-9]*[.\d-][a-z0-9.-]{0,60}[a-z0-9])")
_PRINCIPAL = re.compile(r"arn:aws[\w-]*:(?:iam|sts)::\d{12}:(user|role|assumed-role)/([\w+=,.@/-]+)")
# Words that say what the customer already tried; the sentence around each is cut out in one pass
# (a pattern that also matched the sentence took quadratic time on a long sentence).
_TRIED = re.compile(r"試し|追加した|追加しました|変更した|付けた|つけた|設定した|のに|けど|ですが|"
                    r"\btried\b|\balready\b|\bstill\b|\beven though\b|\bI added\b|\bI attached\b", re.IGNORECASE)
_SENTENCE_ENDS = "。.!?\n"


def _tried(prose: str) -> list[str]:
    """Each sentence that says what was already tried, with its closing punctuation."""
    sentences: list[str] = []
    end = 0
    for match in _TRIED.finditer(prose):
        if match.start() < end:
            continue  # in the sentence just taken
        start = max(prose.rfind(c, end, match.start()) for c in _SENTENCE_ENDS) + 1 or end
        stops = [i for i in (prose.find(c, match.end()) for c in _SENTENCE_ENDS) if i >= 0]
        end = min(stops, default=len(prose))
        end += end < len(prose) and prose[end] != "\n"
        sentences.append(prose[max(start, 0):end].strip())
    return sentences


@dataclass(frozen=True)
class Facts:
    """The customer's own values, as they wrote them (never an article's sample)."""

    accounts: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    arns: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    tried: tuple[str, ...] = ()

    def values(self, kind: str) -> tuple[str, ...]:
        """The values for a fix slot kind (account, user, role, bucket, region, arn, action)."""
        return {"account": self.accounts, "user": self.users, "role": self.roles, "bucket": self.buckets,
                "region": self.regions, "arn": self.arns, "action": self.actions}.get(kind, ())

    def to_json(self) -> dict[str, list[str]]:
        """Every non-empty kind of fact, for the model's brief."""
        return {k: list(v) for k, v in self.__dict__.items() if v}


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def mentioned_services(text: str) -> tuple[str, ...]:
    """The service prefixes a text names, by name ("CloudFront") or in an action ("lambda:InvokeFunction")."""
    return _unique([prefix for prefix, pattern in _SERVICES if pattern.search(text)]
                   + [m.group(1).lower() for m in _ACTION.finditer(text) if m.group(1).lower() != "aws"])


def read_intent(prose: str, has_errors: bool, has_policies: bool) -> Intent:
    """The intent of a question's prose (policies removed); pasted errors without a question mean "fix it"."""
    for intent, pattern in _INTENTS:
        if pattern.search(prose):
            if intent is Intent.REVIEW and not has_policies:
                continue
            if intent in (Intent.HOW_TO, Intent.YES_NO, Intent.WHAT) and has_errors:
                return Intent.FIX
            return intent
    return Intent.FIX if has_errors or has_policies else Intent.HOW_TO


def read_facts(prose: str) -> Facts:
    """The customer's values in the prose and pasted errors (the policies' own patterns are not facts)."""
    arns = _unique([a.rstrip(".。、") for a in _ARN_TEXT.findall(prose)])
    # a user or role path comes before the name; an assumed role's session name comes after it
    principals = [(kind, (path.split("/")[0] if kind == "assumed-role" else path.rsplit("/", 1)[-1]).rstrip("."))
                  for kind, path in _PRINCIPAL.findall(prose)]
    actions = [m for m in _ACTION.finditer(prose) if m.group(1).lower() != "aws"]  # aws:… are condition keys
    buckets = [next(g for g in groups if g) for groups in _BUCKET.findall(prose)]
    return Facts(
        accounts=_unique(_ACCOUNT.findall(prose)),
        users=_unique([name for kind, name in principals if kind == "user"]),
        roles=_unique([name for kind, name in principals if kind != "user"]),
        arns=arns,
        regions=_unique(_REGION.findall(prose)),
        buckets=_unique(buckets),
        services=mentioned_services(prose),
        actions=_unique([m.group(0) for m in actions if m.group(2) != "*"]),
        tried=_unique(_tried(prose))[:3],
    )


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: str
    content: str


@dataclass(frozen=True)
class Question:
    """What the pipeline reads from one question in its conversation."""

    text: str
    lang: str
    denials: tuple[Denial, ...]
    policies: tuple[CheckedPolicy, ...]
    search_text: str
    mfa_present: str | None  # "true" / "false" for a console session, None when the key is absent (CLI keys)
    intent: Intent = Intent.FIX
    facts: Facts = field(default_factory=Facts)
    demands: tuple[Demand, ...] = ()


# An access-denied message up to its reason, so that a resource name in it (a Japanese object key) does not
# decide the language, while the customer's own words after it on the same line still do.
_ERROR_MESSAGE = re.compile(
    r"User:\s*(?:(?!User:)\S){1,1024}\s*is not authorized to perform:"
    r"(?:(?!because no|with an explicit deny)[^\n]){0,2048}"
    r"(?:because no [A-Za-z -]{1,60} allows the \S{1,200} action"
    r"|with an explicit deny in (?:a|an|the) [A-Za-z -]{1,60}?polic(?:y|ies)(?::\s*arn:\S{1,2048})?)?")


def detect_language(text: str) -> str:
    """``ja`` when the text has kana or several kanji, else ``en``."""
    return "ja" if _KANA.search(text) or len(_KANJI.findall(text)) >= 2 else "en"


def _prose(text: str) -> str:
    """The text without its policy JSON, for language detection and retrieval."""
    for document in sorted(read_policies(text), key=lambda d: d.start, reverse=True):
        text = text[: document.start] + " " + text[document.start + len(document.text):]
    return re.sub(r"```\w*", " ", text)


def _pasted_policies(text: str, catalog: Catalog) -> tuple[CheckedPolicy, ...]:
    """Every policy in the text; a lone statement (``{"Effect": …}``) is read as a policy holding it."""
    found = []
    for checked in check_text(text, PolicyType.IDENTITY, catalog):
        if any(f.code == "NO_POLICY_FOUND" for f in checked.findings):
            continue
        value = checked.value
        if isinstance(value, dict) and "Effect" in value and "Statement" not in value:
            checked = check_value({"Version": "2012-10-17", "Statement": [value]}, PolicyType.IDENTITY, catalog)
        found.append(checked)
    return tuple(found)


def read_question(text: str, history: Sequence[Turn], catalog: Catalog) -> Question:
    """Read a question; errors and policies missing from a follow-up come from earlier user turns."""
    prose = _prose(text)
    without_errors = _ERROR_MESSAGE.sub(" ", prose)
    lang = detect_language(without_errors) if without_errors.strip() else detect_language(prose)
    denials = parse_denials(text)
    policies = _pasted_policies(text, catalog)
    intent = read_intent(prose, bool(denials), bool(policies))
    earlier = [t.content for t in reversed(history) if t.role == "user"]
    for previous in earlier:
        if not denials:
            denials = parse_denials(previous)
        if not policies:
            policies = _pasted_policies(previous, catalog)
    search_text = prose
    if earlier and len(prose.strip()) < 60:  # a short follow-up: search with what it follows
        search_text = _prose(earlier[0]) + "\n" + prose
    every_text = " ".join([text, *earlier])
    mfa: str | None = "false"
    if _CLI.search(every_text):
        mfa = None
    elif _WITH_MFA.search(every_text):
        mfa = "true"
    facts = read_facts("\n".join([_prose(t) for t in reversed(earlier)] + [prose]))
    demands = tuple(d for d, pattern in _DEMANDS if pattern.search(prose))
    return Question(text, lang, denials, policies, search_text.strip(), mfa, intent, facts, demands)
