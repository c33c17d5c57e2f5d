"""Every finding the reader and validator can report: stable code, severity and bilingual wording.

One table, so that codes stay unique and stable and every message exists in both languages.
Templates use ``str.format`` fields filled by the check that fires.
"""

from __future__ import annotations

from typing import Any

from assistant.engine.model import Finding, Severity

__all__ = ["CHECKS", "finding"]

E, S, W, G = Severity.ERROR, Severity.SECURITY_WARNING, Severity.WARNING, Severity.SUGGESTION

CHECKS: dict[str, tuple[Severity, str, str]] = {
    # reading the text
    "NO_POLICY_FOUND": (E, "No policy JSON was found in the text.", "テキストにポリシーの JSON が見つかりません。"),
    "INPUT_TOO_LARGE": (E, "The input is {size} characters; the checker reads at most {limit}.",
                        "入力が {size} 文字あります。チェックできるのは {limit} 文字までです。"),
    "TOO_MANY_POLICIES": (W, "The text holds more than {limit} policies (the most IAM attaches to one user or "
                          "role); only the first {limit} were checked.",
                          "テキストに {limit} 個を超えるポリシーがあります (IAM で 1 つのユーザーやロールに"
                          "アタッチできる上限)。最初の {limit} 個だけをチェックしました。"),
    "NESTING_TOO_DEEP": (E, "The JSON is nested more than {limit} levels deep.",
                         "JSON の入れ子が {limit} 段を超えています。"),
    "INVALID_JSON": (E, "Not valid JSON: {detail}.", "JSON として正しくありません: {detail_ja}。"),
    "JSON_ANNOTATION": (E, "An annotation ({text!r}) is written inside the JSON; remove it.",
                        "JSON の中に注記 ({text!r}) が書かれています。削除してください。"),
    "JSON_COMMENT": (E, "JSON does not allow comments ({text!r}).", "JSON にはコメント ({text!r}) を書けません。"),
    "TRAILING_COMMA": (E, "A comma before '{closer}' is not allowed in JSON.",
                       "JSON では '{closer}' の直前にカンマを置けません。"),
    "SMART_QUOTES": (E, "Typographic quotes ({text}) are used instead of straight double quotes (\").",
                     "ダブルクォートの代わりに全角・装飾引用符 ({text}) が使われています。"),
    "FULLWIDTH_CHARACTER": (E, "A full-width character ({text!r}) is used where JSON needs ASCII.",
                            "JSON で ASCII が必要な箇所に全角文字 ({text!r}) があります。"),
    "DUPLICATE_KEY": (W, "The key '{key}' appears more than once in the same object; only one is used.",
                      "同じオブジェクトにキー '{key}' が複数あります。有効になるのは 1 つだけです。"),
    # document shape
    "POLICY_NOT_OBJECT": (E, "A policy must be a JSON object.", "ポリシーは JSON オブジェクトである必要があります。"),
    "MISSING_VERSION": (W, "The Version element is missing; policy variables are then literal text. "
                        "Add \"Version\": \"2012-10-17\".",
                        "Version がありません。この場合ポリシー変数は文字列のまま扱われます。"
                        "\"Version\": \"2012-10-17\" を追加してください。"),
    "INVALID_VERSION": (E, "Version '{value}' is not valid; use \"2012-10-17\".",
                        "Version '{value}' は無効です。\"2012-10-17\" を指定してください。"),
    "OLD_VERSION_WITH_VARIABLES": (W, "Policy variables such as '{variable}' are literal text under Version "
                                   "{version}; use \"2012-10-17\".",
                                   "Version が {version} のため '{variable}' などのポリシー変数は文字列のまま"
                                   "扱われます。\"2012-10-17\" を指定してください。"),
    "UNKNOWN_POLICY_ELEMENT": (E, "Unknown top-level element '{element}'.",
                               "トップレベルの要素 '{element}' は使えません。"),
    "MISSING_STATEMENT": (E, "The policy has no Statement.", "ポリシーに Statement がありません。"),
    "EMPTY_STATEMENT": (E, "The Statement list is empty.", "Statement が空です。"),
    "STATEMENT_NOT_OBJECT": (E, "A statement must be a JSON object.",
                             "ステートメントは JSON オブジェクトである必要があります。"),
    "UNKNOWN_STATEMENT_ELEMENT": (E, "Unknown statement element '{element}'.",
                                  "ステートメントの要素 '{element}' は使えません。"),
    "MISSING_EFFECT": (E, "The statement has no Effect.", "ステートメントに Effect がありません。"),
    "INVALID_EFFECT": (E, "Effect must be \"Allow\" or \"Deny\", not '{value}'.",
                       "Effect は \"Allow\" か \"Deny\" です ('{value}' は使えません)。"),
    "MISSING_ACTION": (E, "The statement has neither Action nor NotAction.",
                       "ステートメントに Action も NotAction もありません。"),
    "ACTION_AND_NOT_ACTION": (E, "A statement cannot have both Action and NotAction.",
                              "Action と NotAction を同じステートメントに書くことはできません。"),
    "MISSING_RESOURCE": (E, "The statement has neither Resource nor NotResource.",
                         "ステートメントに Resource も NotResource もありません。"),
    "RESOURCE_AND_NOT_RESOURCE": (E, "A statement cannot have both Resource and NotResource.",
                                  "Resource と NotResource を同じステートメントに書くことはできません。"),
    "RESOURCE_IN_TRUST_POLICY": (E, "A role trust policy must not contain {element}.",
                                 "ロールの信頼ポリシーに {element} は書けません。"),
    "PRINCIPAL_NOT_ALLOWED": (E, "{element} is not allowed in {policy_type} policies.",
                              "{policy_type} ポリシーには {element} を書けません。"),
    "MISSING_PRINCIPAL": (E, "A {policy_type} policy statement needs a Principal.",
                          "{policy_type} ポリシーのステートメントには Principal が必要です。"),
    "PRINCIPAL_AND_NOT_PRINCIPAL": (E, "A statement cannot have both Principal and NotPrincipal.",
                                    "Principal と NotPrincipal を同じステートメントに書くことはできません。"),
    "INVALID_PRINCIPAL": (E, "Principal value '{value}' is not valid: {detail}.",
                          "Principal の値 '{value}' は無効です: {detail_ja}。"),
    "INVALID_VALUE_TYPE": (E, "{element} must be a string or a list of strings.",
                           "{element} は文字列か文字列のリストである必要があります。"),
    "EMPTY_VALUE": (E, "{element} is empty.", "{element} が空です。"),
    "INVALID_SID": (E, "Sid '{value}' may contain only ASCII letters and digits in this policy type.",
                    "Sid '{value}' には英数字 (ASCII) しか使えません。"),
    "DUPLICATE_SID": (E, "Sid '{value}' is used by more than one statement.",
                      "Sid '{value}' が複数のステートメントで使われています。"),
    "POLICY_SIZE_EXCEEDED": (E, "The policy has {size} characters (whitespace excluded); the quota for {kind} is "
                             "{limit}.", "ポリシーは空白を除いて {size} 文字あり、{kind} の上限 {limit} 文字を超えて"
                             "います。"),
    "POLICY_TOO_LARGE_TO_CHECK": (E, "The policy has {size} characters (whitespace excluded), more than any AWS "
                                  "policy may have ({limit}); only its structure was checked.",
                                  "ポリシーは空白を除いて {size} 文字あり、AWS のどのポリシーの上限 ({limit} 文字) "
                                  "も超えているため、構造だけをチェックしました。"),
    # actions and resources
    "INVALID_ACTION_FORMAT": (E, "Action '{value}' is not of the form 'service:Action'.",
                              "アクション '{value}' は 'service:Action' の形式になっていません。"),
    "UNKNOWN_SERVICE": (E, "Service prefix '{service}' does not exist.",
                        "サービスプレフィックス '{service}' は存在しません。"),
    "UNKNOWN_ACTION": (E, "Action '{value}' does not exist in service '{service}'.",
                       "アクション '{value}' はサービス '{service}' に存在しません。"),
    "ACTION_MATCHES_NOTHING": (E, "Action pattern '{value}' matches no action of '{service}'.",
                               "アクションのパターン '{value}' に一致する '{service}' のアクションがありません。"),
    "VARIABLE_NOT_ALLOWED": (E, "Policy variables are not allowed in {element} ('{value}').",
                             "{element} ではポリシー変数を使えません ('{value}')。"),
    "INVALID_ARN": (E, "'{value}' is not a valid ARN: {detail}.",
                    "'{value}' は正しい ARN ではありません: {detail_ja}。"),
    "RESOURCE_TYPE_MISMATCH": (E, "{action} applies to {types}, and no resource in the statement matches those "
                               "ARNs (e.g. {example}).",
                               "{action} の対象は {types} ですが、ステートメントのリソースにはその形式の ARN "
                               "(例: {example}) がありません。"),
    "WILDCARD_ONLY_ACTION": (E, "{action} does not support resource-level permissions; it needs \"Resource\": "
                             "\"*\".", "{action} はリソースレベルのアクセス許可に対応していないため、\"Resource\": "
                             "\"*\" が必要です。"),
    "UNKNOWN_POLICY_VARIABLE": (W, "Policy variable '{value}' is not a known context key.",
                                "ポリシー変数 '{value}' は既知のコンテキストキーではありません。"),
    # conditions
    "INVALID_CONDITION_SHAPE": (E, "Condition must map operators to objects of keys and values.",
                                "Condition は「演算子 → {{キー: 値}}」の形で書く必要があります。"),
    "UNKNOWN_CONDITION_OPERATOR": (E, "Condition operator '{value}' does not exist.",
                                   "条件演算子 '{value}' は存在しません。"),
    "UNKNOWN_CONDITION_KEY": (E, "Condition key '{value}' does not exist.", "条件キー '{value}' は存在しません。"),
    "CONDITION_VALUE_TYPE": (E, "Value '{value}' is not a valid {family} value for {operator}.",
                             "値 '{value}' は {operator} に使える {family} の値ではありません。"),
    "OPERATOR_KEY_TYPE_MISMATCH": (W, "{operator} compares {family} values but '{key}' is of type {key_type}.",
                                   "{operator} は {family} 型の比較ですが、'{key}' は {key_type} 型です。"),
    "SINGLE_VALUE_OPERATOR_ON_MULTIVALUED_KEY": (W, "'{key}' is multivalued; use ForAllValues: or ForAnyValue: "
                                                 "with {operator}.", "'{key}' は複数値のキーです。{operator} には "
                                                 "ForAllValues: か ForAnyValue: を付けてください。"),
    "SET_OPERATOR_ON_SINGLE_VALUED_KEY": (W, "'{key}' is single-valued; {set_op}: is meant for multivalued keys.",
                                          "'{key}' は単一値のキーです。{set_op}: は複数値のキー用です。"),
    "FORALLVALUES_WITH_ALLOW": (S, "ForAllValues with Allow also matches when '{key}' is missing or empty, "
                                "which can allow more than intended.",
                                "Allow で ForAllValues を使うと、'{key}' がない・空のリクエストにも一致し、"
                                "意図より広く許可する場合があります。"),
    "DENY_BOOL_MISSING_KEY": (S, "This Deny uses Bool on '{key}', which is absent for requests signed with "
                              "long-term access keys, so those requests are not denied; use BoolIfExists.",
                              "この Deny は '{key}' に Bool を使っていますが、長期アクセスキーのリクエストには"
                              "このキーがないため拒否されません。BoolIfExists を使ってください。"),
    "ALLOW_IFEXISTS_MFA": (S, "BoolIfExists with Allow on '{key}' also allows requests without the key "
                           "(long-term access keys).",
                           "Allow で '{key}' に BoolIfExists を使うと、キーのないリクエスト "
                           "(長期アクセスキー) も許可されます。"),
    # security and redundancy
    "ALLOW_ALL": (S, "This statement allows every action on every resource.",
                  "このステートメントはすべてのリソースに対するすべてのアクションを許可しています。"),
    "PASS_ROLE_WITH_STAR": (S, "iam:PassRole is allowed on every role (\"Resource\": \"*\"); name the roles.",
                            "すべてのロールに対して iam:PassRole を許可しています。対象のロールを指定してください。"),
    "ALLOW_WITH_NOT_ACTION": (S, "Allow with NotAction allows every action not listed, including future ones.",
                              "Allow と NotAction の組み合わせは、列挙していない (今後追加されるものを含む) "
                              "すべてのアクションを許可します。"),
    "ALLOW_WITH_NOT_RESOURCE": (S, "Allow with NotResource allows every resource not listed.",
                                "Allow と NotResource の組み合わせは、列挙していないすべてのリソースを許可します。"),
    "ALLOW_WITH_NOT_PRINCIPAL": (S, "Allow with NotPrincipal allows every principal not listed, including "
                                 "anonymous users.", "Allow と NotPrincipal の組み合わせは、匿名ユーザーを含む"
                                 "列挙していないすべてのプリンシパルを許可します。"),
    "PUBLIC_PRINCIPAL": (S, "Principal \"*\" with Allow and no condition grants access to anyone.",
                         "条件なしで Principal \"*\" に Allow すると、誰にでもアクセスを許可します。"),
    "RCP_ALLOW": (E, "Resource control policies can only deny; Allow is reserved for RCPFullAWSAccess.",
                  "RCP では Deny しか書けません (Allow は RCPFullAWSAccess 専用です)。"),
    "RCP_PRINCIPAL": (E, "A resource control policy statement needs \"Principal\": \"*\".",
                      "RCP のステートメントには \"Principal\": \"*\" が必要です。"),
    "RCP_UNSUPPORTED_SERVICE": (E, "Service '{service}' does not support resource control policies.",
                                "サービス '{service}' は RCP に対応していません。"),
    "TRUST_POLICY_ACTION": (W, "A role trust policy normally allows sts: actions only, not '{value}'.",
                            "ロールの信頼ポリシーで許可するのは通常 sts: のアクションだけです ('{value}')。"),
    "REDUNDANT_ACTION": (G, "'{value}' is already covered by '{by}' in the same statement.",
                         "'{value}' は同じステートメントの '{by}' に含まれています。"),
    "REDUNDANT_RESOURCE": (G, "'{value}' is already covered by '{by}' in the same statement.",
                           "'{value}' は同じステートメントの '{by}' に含まれています。"),
    "REDUNDANT_STATEMENT": (G, "Statement {index} repeats statement {other}.",
                            "ステートメント {index} はステートメント {other} と同じ内容です。"),
}


def finding(code: str, path: str = "", hint: str | None = None, **fields: Any) -> Finding:
    """Build the finding ``code`` with its message fields; position is added by the reader."""
    severity, english, japanese = CHECKS[code]
    return Finding(code, severity, english.format(**fields), japanese.format(**fields), path, hint=hint)
