"""AWS access-denied messages, both ways: render one for a decision, and parse them out of text.

One phrase table serves both directions, so what the engine writes is exactly what it reads. The
parser tolerates what people paste: SDK prefixes, line breaks, missing spaces (``perform:iam:…``),
a resource glued to the reason (``mfa/with an explicit deny``), ``arn:aws:iam123456789012:`` with
its colons lost, policy ARN suffixes, and EC2's encoded authorization failure messages. It also
reads the output of ``aws sts decode-authorization-message`` (the CLI's ``{"DecodedMessage": "…"}``
or the decoded JSON): principal, action, resource, decision and every condition key of the context.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from assistant.engine.model import Decision, PolicyKind, Request

__all__ = ["PHRASES", "Denial", "parse_denials", "render_message", "same_denial"]

# kind -> (noun, article)
PHRASES: dict[PolicyKind, tuple[str, str]] = {
    PolicyKind.IDENTITY: ("identity-based policy", "an"),
    PolicyKind.RESOURCE: ("resource-based policy", "a"),
    PolicyKind.BOUNDARY: ("permissions boundary", "a"),
    PolicyKind.SESSION: ("session policy", "a"),
    PolicyKind.SCP: ("service control policy", "a"),
    PolicyKind.RCP: ("resource control policy", "a"),
    PolicyKind.VPCE: ("VPC endpoint policy", "a"),
}
# A role's trust policy is its resource-based policy; AWS names it so and omits the resource.
_TRUST = ("role trust policy", "the")
_KIND_BY_NOUN = {noun.lower(): kind for kind, (noun, _) in PHRASES.items()} | {_TRUST[0]: PolicyKind.RESOURCE}


# AWS names the denying policy's ARN for these kinds; a resource-based or endpoint policy is named by type only
_NAMED_KINDS = frozenset({PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.SESSION, PolicyKind.SCP,
                          PolicyKind.RCP})


def render_message(request: Request, decision: Decision, kind: PolicyKind, policy_arn: str | None = None) -> str:
    """The access-denied message AWS returns for this request, decision and blocking policy kind.

    Today's format: an explicit deny ends with the denying policy's ARN when it is known (AWS adds it
    within the same account or organization), and S3 quotes the resource ARN.
    """
    trust = kind is PolicyKind.RESOURCE and request.action.lower().startswith("sts:assumerole")
    noun, article = _TRUST if trust else PHRASES[kind]
    if decision is Decision.EXPLICIT_DENY:
        named = policy_arn if policy_arn and kind in _NAMED_KINDS else None
        reason = f"with an explicit deny in {article} {noun}" + (f": {named}" if named else "")
    else:
        reason = f"because no {noun} allows the {request.action} action"
    # AWS names no resource for actions that take none (the request's resource is "*"), and IAM names a
    # user resource as "user <name>"
    resource = request.resource
    user = _IAM_USER.match(resource) if request.action.lower().startswith("iam:") else None
    if user:
        resource = f"user {user.group(1)}"
    elif request.action.lower().startswith("s3:") and resource.startswith("arn:"):
        resource = f'"{resource}"'
    where = f" on resource: {resource}" if resource not in ("", "*") and not trust else ""
    return f"User: {request.principal} is not authorized to perform: {request.action}{where} {reason}"


@dataclass(frozen=True)
class Denial:
    """One access-denied message found in a text, with what could be read from it."""

    text: str
    principal: str
    action: str
    resource: str | None
    decision: Decision | None  # None when the message does not say why
    kind: PolicyKind | None
    policy_arn: str | None = None
    operation: str | None = None
    error_code: str | None = None
    encoded_message: str | None = None
    notes: tuple[str, ...] = ()
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()  # condition keys of a decoded message

    @property
    def request_key(self) -> str:
        """``action on resource``, as used to name what a fix resolves."""
        return f"{self.action} on {self.resource}" if self.resource else self.action


# The principal is a bounded run that stops at the next "User:" (principal ARNs are far shorter than
# 1,024 characters): with "\S+?" a text of many "User:" without spaces costs quadratic time.
_NOUNS = "|".join(sorted((re.escape(n) for n in _KIND_BY_NOUN), key=len, reverse=True))
_MESSAGE = re.compile(
    r"User:\s*(?P<principal>(?:(?!User:)\S){1,1024}?)\s*is\s+not\s+authorized\s+to\s+perform:\s*(?P<action>[\w-]+:[\w*?-]+)"
    r"(?:\s*on\s+resource:\s*(?P<resource>.+?))?"
    r"(?:\s*(?:(?P<because>because\s+no\s+(?P<implicit>" + _NOUNS + r")\s+allows\s+the\s+\S+?\s+action)"
    r"|(?P<with>with\s+an\s+explicit\s+deny(?:\s+in\s+(?:an?\s+|the\s+)?(?P<explicit>" + _NOUNS + r"))?))"
    r"(?::\s*(?P<policy_arn>arn:[^\s,;]+))?"
    r"|(?=\s*(?:$|\n|Encoded|User:|An error occurred)))",
    re.IGNORECASE,
)
_SDK = re.compile(r"An error occurred \((?P<code>[\w.]+)\) when calling the (?P<op>\w+) operation", re.IGNORECASE)
_ENCODED = re.compile(r"Encoded authorization failure message:\s*(?P<blob>[\w\-+/=]+)", re.IGNORECASE)
_IAM_USER = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:user/(?:[^/]+/)*([^/]+)$")
_USER_WORDS = re.compile(r"^user\s+(\S+)$")
_GLUED_ACCOUNT = re.compile(r"^arn:(aws[\w-]*):(\w[\w-]*?)(\d{12}):")


def _clean_resource(resource: str, principal: str, notes: list[str]) -> str:
    resource = resource.strip().rstrip(".,;").strip('"')
    words = _USER_WORDS.match(resource)
    account = principal.split(":")[4] if principal.count(":") >= 5 else None
    if words and account:
        arn = f"arn:aws:iam::{account}:user/{words.group(1)}"
        notes.append(f"resource '{resource}' read as '{arn}' (IAM names users this way)")
        return arn
    glued = _GLUED_ACCOUNT.match(resource)
    if glued:
        fixed = f"arn:{glued.group(1)}:{glued.group(2)}::{glued.group(3)}:" + resource[glued.end():]
        notes.append(f"resource ARN '{resource}' read as '{fixed}' (the '::' before the account was missing)")
        resource = fixed
    return resource


def _one_line(text: str) -> str:
    """Line breaks and the blanks around them as one space, in one pass (a regex rescans runs of blanks)."""
    lines = text.split("\n")
    last = len(lines) - 1
    for index, line in enumerate(lines):
        if index < last:
            line = line.removesuffix("\r").rstrip(" \t")
        lines[index] = line.lstrip(" \t") if index else line
    return " ".join(lines)


def _items(value: Any) -> list[Any]:
    """The list in a decoded message's ``{"items": [...]}`` wrapper (or a plain list)."""
    if isinstance(value, dict):
        value = value.get("items")
    return value if isinstance(value, list) else []


def _decoded_document(text: str) -> dict[str, Any] | None:
    """The decoded authorization message in ``text``: the JSON itself or the CLI's DecodedMessage wrapper."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        document, _ = json.JSONDecoder().raw_decode(text, start)
        if isinstance(document, dict) and isinstance(document.get("DecodedMessage"), str):
            document = json.loads(document["DecodedMessage"])
    except (ValueError, RecursionError):
        return None
    if isinstance(document, dict) and isinstance(document.get("context"), dict) and "allowed" in document:
        return document
    return None


def _decoded_denial(document: dict[str, Any]) -> Denial | None:
    context = document["context"]
    principal = context.get("principal")
    arn = principal.get("arn") if isinstance(principal, dict) else principal
    action = context.get("action")
    if not isinstance(arn, str) or not isinstance(action, str):
        return None
    keys = []
    for condition in _items(context.get("conditions")):
        if isinstance(condition, dict) and isinstance(condition.get("key"), str):
            values = tuple(str(v.get("value") if isinstance(v, dict) else v) for v in _items(condition.get("values")))
            keys.append((condition["key"], values))
    resource = context.get("resource")
    decision = None if document.get("allowed") is True else (
        Decision.EXPLICIT_DENY if document.get("explicitDeny") is True else Decision.IMPLICIT_DENY)
    return Denial(text=json.dumps(document, ensure_ascii=False), principal=arn, action=action,
                  resource=resource if isinstance(resource, str) else None, decision=decision, kind=None,
                  notes=("read from the output of aws sts decode-authorization-message",), context=tuple(keys))


def parse_denials(text: str) -> tuple[Denial, ...]:
    """Every access-denied message in ``text``, in order (or the one decoded authorization message)."""
    document = _decoded_document(text) if "explicitDeny" in text or "DecodedMessage" in text else None
    if document is not None:
        denial = _decoded_denial(document)
        return (denial,) if denial is not None else ()
    flat = _one_line(text)
    denials = []
    sdk_matches = list(_SDK.finditer(flat))
    for match in _MESSAGE.finditer(flat):
        notes: list[str] = []
        sdk = next((s for s in reversed(sdk_matches) if s.start() < match.start()), None)
        following = flat[match.end(): match.end() + 2000]
        next_user = following.find("User:")
        encoded = _ENCODED.search(following[: next_user if next_user >= 0 else None])
        resource = match.group("resource")
        decision, kind = None, None
        if match.group("because"):
            decision, kind = Decision.IMPLICIT_DENY, _KIND_BY_NOUN[match.group("implicit").lower()]
        elif match.group("with"):
            decision = Decision.EXPLICIT_DENY
            explicit = match.group("explicit")
            kind = _KIND_BY_NOUN[explicit.lower()] if explicit else None
        if match.group("principal").endswith(":") or " " in match.group("principal"):
            notes.append("principal ARN looks truncated")
        denials.append(Denial(
            text=match.group(0).strip(),
            principal=match.group("principal"),
            action=match.group("action"),
            resource=_clean_resource(resource, match.group("principal"), notes) if resource else None,
            decision=decision,
            kind=kind,
            policy_arn=match.group("policy_arn").rstrip(".") if match.group("policy_arn") else None,
            operation=sdk.group("op") if sdk else None,
            error_code=sdk.group("code") if sdk else None,
            encoded_message=encoded.group("blob") if encoded else None,
            notes=tuple(notes),
        ))
    return tuple(denials)


def same_denial(written: str, rendered: str | None) -> bool:
    """Whether two messages say the same thing: equal, or the same denial in the older or current format.

    AWS has printed both (S3 quotes the resource ARN today, explicit denies may end with the policy's
    ARN), so a message quoted in either format matches the engine's rendering when principal, action,
    resource, decision, policy kind and (when written) the policy ARN agree.
    """
    if rendered is None or written == rendered:
        return written == rendered
    ours, theirs = parse_denials(rendered), parse_denials(written)
    if len(ours) != 1 or len(theirs) != 1:
        return False
    a, b = ours[0], theirs[0]
    return ((a.principal, a.action, a.resource, a.decision, a.kind) == (b.principal, b.action, b.resource,
                                                                         b.decision, b.kind)
            and (b.policy_arn is None or a.policy_arn == b.policy_arn))
