"""The ``kb-assistant`` command line: thin commands over the pipeline and the engine.

Every ``--json`` command prints exactly one JSON document on stdout; logs and progress go to
stderr. Exit status: 0 success, 1 the thing checked failed, 2 bad usage or unreadable input.
Project errors are mapped to exit codes in one place, ``run``. Built on ``argparse`` and importing
each command's modules inside the command, so that ``check``, ``simulate`` and ``explain-error``
start in a fraction of a second (Chroma, the embedding model, Sudachi and LangChain load only for
the commands that search).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from assistant.config import Settings
from assistant.errors import AssistantError

__all__ = ["default_lang", "main", "run"]

Command = Callable[[argparse.Namespace], int]


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """Bad usage is one line on stderr and exit 2, like every other usage error of the program."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (hint: {self.prog} --help)", file=sys.stderr)
        raise _Exit(2)


def _one_of(what: str, values: Sequence[str]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in values:
            raise argparse.ArgumentTypeError(f"unknown {what} '{value}'; use one of: {', '.join(values)}")
        return value

    parse.__name__ = what  # argparse names the converter in its messages
    return parse


def _fail(message: str, code: int = 2) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise _Exit(code)


def _echo(text: str, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout)


def _emit(document: Any) -> None:
    """One JSON document as UTF-8 bytes, whatever the locale; text that is no valid Unicode goes escaped."""
    text = json.dumps(document, ensure_ascii=False) + "\n"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (input read with surrogateescape) cannot be UTF-8
        text = json.dumps(document) + "\n"
        data = text.encode("ascii")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (redirected in process)
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()


def _stdin() -> str:
    """Standard input as UTF-8 text; bytes that are not UTF-8 are a usage error (exit 2), as for files."""
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(f"cannot read stdin: it is not UTF-8 (byte {exc.start})")


def _read_text(source: str) -> str:
    """The text of FILE, or stdin for ``-``; unreadable input is a usage error."""
    if source == "-":
        return _stdin()
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(f"file not found: '{source}'")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read '{source}': {exc}")


def _settings() -> Settings:
    return Settings.from_env()


def default_lang(env: Mapping[str, str]) -> str:
    """``ja`` when the locale (LC_ALL, else LC_MESSAGES, else LANG) is Japanese, else ``en``."""
    locale = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "ja" if locale.lower().startswith("ja") else "en"


def _lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=("ja", "en"), default=None,
                        help="language of the text output (default: from the locale, LANG=ja_JP… gives ja)")


def _lang(args: argparse.Namespace) -> str:
    return args.lang or default_lang(os.environ)


def _json_option(parser: argparse.ArgumentParser, what: str = "the document") -> None:
    parser.add_argument("--json", dest="as_json", action="store_true", help=f"print {what} as JSON on stdout")


# --- policy engine commands ---------------------------------------------------------------------

_POLICY_TYPES = ("identity", "resource", "trust", "scp", "rcp", "session")
_QUOTAS = ("managed", "user-inline", "group-inline", "role-inline", "trust", "scp", "rcp")


def _catalog() -> Any:
    from assistant.adapters.iam_catalog import IamDataCatalog

    return IamDataCatalog()


def _findings_text(findings: list[dict[str, Any]], source: str, lang: str) -> list[str]:
    lines = []
    for item in findings:
        where = f"{source}:{item['line']}:{item['column']}" if item["line"] else source
        hint = f" ({item['hint']})" if item.get("hint") else ""
        message = item["message_ja"] if lang == "ja" and item.get("message_ja") else item["message"]
        lines.append(f"{where}: {item['severity']} {item['code']} {message}{hint}")
    return lines


_REPAIRED = {"en": "repaired candidate (not the policy as written; check it before use):",
             "ja": "修復した候補 (書かれたポリシーそのものではありません。使う前に確認してください):"}
_VALIDITY = {"en": ("valid", "invalid"), "ja": ("有効", "無効")}


def _cmd_check(args: argparse.Namespace) -> int:
    from assistant.engine.checker import check_text
    from assistant.engine.model import PolicyType
    from assistant.engine.validator import SizeQuota
    from assistant.wire import check_document

    kind = PolicyType(args.policy_type)
    document = check_document(check_text(_read_text(args.source), kind, _catalog(),
                                         SizeQuota(args.quota) if args.quota else None), kind)
    if args.as_json:
        _emit(document)
        return 0 if document["valid"] else 1
    lang = _lang(args)
    source = "<stdin>" if args.source == "-" else args.source
    for line in _findings_text(document["findings"], source, lang):
        _echo(line)
    for checked in document.get("policies") or [document]:
        repaired = checked.get("repaired")
        if repaired:
            _echo(_REPAIRED[lang])
            _echo(json.dumps(repaired["json"], indent=2, ensure_ascii=False))
            for line in _findings_text(repaired["findings"], "repaired", lang):
                _echo(line)
    valid, invalid = _VALIDITY[lang]
    _echo(valid if document["valid"] else invalid, err=not document["valid"])
    return 0 if document["valid"] else 1


def _policy_file(path: str, option: str) -> Any:
    """The first policy in a file given to an option, as a JSON value; unreadable is a usage error."""
    from assistant.engine.reader import read_policies

    documents = read_policies(_read_text(path))
    if not documents:
        _fail(f"{option} '{path}': no policy JSON found")
    document = documents[0]
    if document.value is None:
        problem = document.findings[0]
        _fail(f"{option} '{path}': line {problem.line}, column {problem.column}: {problem.message} "
              f"(hint: run 'kb-assistant check {path}')")
    return document.value


def _context(pairs: list[str]) -> dict[str, list[str]]:
    context: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(f"--context '{pair}' is not KEY=VALUE")
        context.setdefault(key, []).append(value)
    return context


def _simulate_cases(path: str, as_json: bool) -> int:
    from assistant.wire import case_line

    failed = 0
    for number, raw in enumerate(_read_text(path).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = case_line(json.loads(raw), f"line {number}: ")
        except json.JSONDecodeError as exc:
            line = {"id": None, "error": f"line {number}: not JSON: {exc.msg} at column {exc.colno}"}
        except (ValueError, RecursionError) as exc:  # a >4,300-digit number, a nesting too deep to read
            line = {"id": None, "error": f"line {number}: cannot be read: {type(exc).__name__}"}
        failed += "error" in line
        if as_json:
            _emit(line)
        else:
            _echo(f"{line['id']}: {line.get('decision') or 'error: ' + line['error']}")
    return 1 if failed else 0


def _principal_ok(principal: str) -> bool:
    if principal in ("*", "anonymous"):
        return True
    if principal.startswith("arn:"):
        parts = principal.split(":", 5)
        return len(parts) == 6 and all(parts[i] for i in (1, 2, 5))
    return principal.endswith(".amazonaws.com") and " " not in principal  # a service principal


def _cmd_simulate(args: argparse.Namespace) -> int:
    if args.cases is not None:
        return _simulate_cases(args.cases, args.as_json)
    if not args.principal or not args.action:
        _fail("give --cases FILE, or --principal and --action (and usually --resource)")
    if not _principal_ok(args.principal):
        _fail(f"--principal '{args.principal}' is not a principal: give an ARN (arn:aws:iam::123456789012:user/alice), "
              "a service principal (lambda.amazonaws.com), or anonymous")
    from assistant.engine.cases import CaseError, parse_case
    from assistant.engine.evaluator import evaluate
    from assistant.engine.explain import explain
    from assistant.engine.principals import derive_context
    from assistant.wire import evaluation_line

    derived = {k: list(v) for k, v in derive_context(args.principal).items()}
    derived.update({k.lower(): v for k, v in _context(args.context).items()})
    service, _, name = args.action.partition(":")
    info = (_catalog().actions(service) or {}).get(name.lower())

    def levels(specs: list[str], option: str) -> list[dict[str, Any]]:
        return [{"org_identifier": f"level-{i}", "policies": [_policy_file(f, option) for f in spec.split(",") if f]}
                for i, spec in enumerate(specs)]

    case = {
        "identity_policies": [_policy_file(f, "--policy") for f in args.policy],
        "permission_boundaries": [_policy_file(f, "--boundary") for f in args.boundary] or None,
        "session_policy": _policy_file(args.session_policy, "--session-policy") if args.session_policy else None,
        "resource_policy": _policy_file(args.resource_policy, "--resource-policy") if args.resource_policy else None,
        "scps": levels(args.scp_level, "--scp-level") or None,
        "rcps": levels(args.rcp_level, "--rcp-level") or None,
        "request": {"principal": args.principal, "action": args.action, "resource": args.resource,
                    "resource_account": args.resource_account, "context": derived,
                    "wildcard_only_action": info is not None and not info.resource_types},
    }
    try:
        evaluation = evaluate(*parse_case(case))
    except CaseError as exc:
        _fail(str(exc))
    line = evaluation_line(None, evaluation)
    line.pop("id")
    line["explanation"] = explain(evaluation, "en")
    if evaluation.warnings:
        line["warnings"] = list(evaluation.warnings)
    if args.as_json:
        _emit(line)
    else:
        _echo(line["decision"])
        if line["message"]:
            _echo(line["message"])
        _echo(explain(evaluation, _lang(args)))
        for warning in evaluation.warnings:
            _echo(f"warning: {warning}", err=True)
    return 0


_EXPLAIN_TEXT = {
    "en": {"on": "{action} on {resource}: {decision}", "verified": "verified fix:", "unverified": "no verified fix:",
           "no_policy": "to reproduce the decision and get a verified fix, add the policies attached to the "
                        "principal: --policy FILE (repeatable)"},
    "ja": {"on": "{action} (リソース {resource}): {decision}", "verified": "検証済みの修正:",
           "unverified": "検証済みの修正はありません:",
           "no_policy": "判定を再現して検証済みの修正を得るには、プリンシパルにアタッチされたポリシーを "
                        "--policy FILE で指定してください (複数可)"},
}


def _cmd_explain_error(args: argparse.Namespace) -> int:
    from assistant.engine.cases import policy_of
    from assistant.pipeline.diagnosis import diagnose
    from assistant.pipeline.render import proposal_lines
    from assistant.wire import explain_error_document

    message_text = _stdin() if args.text == "-" else args.text
    documents = [_policy_file(f, "--policy") for f in args.policy]
    catalog = _catalog()
    report = diagnose(message_text, documents, [policy_of(d, "--policy") for d in documents], catalog,
                      names=[Path(f).stem for f in args.policy])
    document = explain_error_document(report, documents, catalog)
    if args.as_json:
        _emit(document)
        return 0
    lang = _lang(args)
    words = _EXPLAIN_TEXT[lang]
    for item in document["diagnoses"]:
        _echo(words["on"].format(action=item["action"], resource=item["resource"] or "*", decision=item["decision"]))
        explanation = item.get("explanation_ja") if lang == "ja" else item["explanation"]
        if explanation:
            _echo(f"  {explanation}")
    if not documents:
        _echo(words["no_policy"], err=True)
    fix = document["fix"]
    if fix:
        _echo(words["verified"] if fix["verified"] else words["unverified"])
        for change in proposal_lines(report.proposal, lang) if report.proposal else []:
            _echo(f"  - {change}")
        if fix["verified"]:
            _echo(json.dumps(fix["json"][0], indent=2, ensure_ascii=False))
    return 0


def _cmd_kb_lint(args: argparse.Namespace) -> int:
    from assistant.kb_lint import lint_kb

    count, problems = lint_kb(_settings().kb_dir, _catalog())
    if args.as_json:
        _emit({"ok": not problems, "files": count,
               "problems": [{"file": p.path, "line": p.line, "problem": p.problem} for p in problems]})
    else:
        for problem in problems:
            _echo(str(problem))
        _echo(f"{count} files, {len(problems)} problems", err=True)
    return 1 if problems else 0


def _cmd_kb_vectors(args: argparse.Namespace) -> int:
    from assistant.retrieval.progress import StderrProgress
    from assistant.retrieval.shipped import write_shipped_vectors

    report = write_shipped_vectors(_settings(), StderrProgress("embedding"))
    _echo(f"{report.chunks} chunks ({report.embedded} embedded now) in "
          + ", ".join(str(f) for f in report.files) + f": {report.bytes / 1024:.0f} KiB", err=True)
    return 0


# --- HTTP API -----------------------------------------------------------------------------------


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.api import log_config

    if args.workers < 1:
        _fail(f"--workers must be at least 1, got {args.workers}")
    uvicorn.run("assistant.api:create_app_from_env", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_config=log_config(args.log_level), access_log=False,
                timeout_graceful_shutdown=10)
    return 0


# --- evaluation ---------------------------------------------------------------------------------


def _eval_progress() -> Any:
    """One progress bar on stderr for the index build and the evaluation phases: yields the callbacks
    ``index(done, total)`` and ``phase(name, done, total)``."""
    from contextlib import contextmanager
    from types import SimpleNamespace

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    @contextmanager
    def bar() -> Any:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("starting", total=None)

            def phase(name: str, done: int, total: int) -> None:
                progress.update(task, description=name, completed=done, total=total)

            yield SimpleNamespace(index=lambda done, total: phase("building the index (chunks)", done, total),
                                  phase=phase)

    return bar()


def _cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation.report import answered
    from assistant.evaluation.session import evaluate_from_settings, new_run_dir
    from assistant.evaluation.summary import METRICS

    out = args.out or new_run_dir(args.mode)
    try:
        with _eval_progress() as bar:
            result = evaluate_from_settings(_settings(), os.environ, dataset=args.dataset, out=out,
                                            mode=args.mode, concurrency=args.concurrency, thresholds=args.thresholds,
                                            limit=args.limit, judge=args.judge, judge_repeats=args.judge_repeats,
                                            progress=bar.phase, index_progress=bar.index)
    except KeyboardInterrupt:
        _echo(f"eval: interrupted; every finished question is stored in {out} (hint: run the same command "
              f"with --out {out} to resume)", err=True)
        return 130
    summary = result.summary
    if args.as_json:
        _emit(summary)
    else:
        _echo(f"run: {result.path} ({answered(summary)} questions, {summary['passed']} passed every "
              f"check, {summary['errors']} errors)")
        for metric, value in summary["metrics"].items():
            if value is not None:
                unit = METRICS[metric].unit
                shown = f"{value:,.0f} ms" if unit == "ms" else f"${value:.4f}" if unit == "usd" else f"{value:.3f}"
                _echo(f"  {metric:<36} {shown:>10}  n={summary['counts'][metric]}")
        _echo(f"report: {result.path / 'report.html'}")
        for violation in summary["thresholds"]["violations"]:
            _echo(f"gate failed: {violation['message']}", err=True)
        if summary["thresholds"]["skipped"]:
            _echo("not measured: " + ", ".join(summary["thresholds"]["skipped"]), err=True)
    if summary.get("outage"):
        _echo(f"eval: run failed: {summary['outage']}", err=True)
    return 0 if result.ok else 1


def _cmd_eval_compare(args: argparse.Namespace) -> int:
    from assistant.evaluation import compare_runs, load_thresholds
    from assistant.evaluation.report import compare_html
    from assistant.evaluation.session import RUNS_DIR, default_thresholds

    path = args.thresholds if args.thresholds is not None else default_thresholds()
    comparison = compare_runs(args.run_a, args.run_b, load_thresholds(path) if path else None, RUNS_DIR)
    page = Path(args.html) if args.html else Path(comparison.run_b) / "compare.html"
    try:
        page.write_text(compare_html(comparison), encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write '{page}': {exc.strerror or exc}")
    for warning in comparison.warnings:
        _echo(f"warning: {warning}", err=True)
    if args.as_json:
        _emit(comparison.to_json())
        return 0 if comparison.ok else 1
    for d in comparison.deltas:
        worse, better = (" REGRESSED", " improved") if d.gated else (" worse", " better")
        flag = worse if d.regressed else better if d.improved else ""
        gate = f" (gated, tolerance {d.tolerance:g})" if d.gated and d.tolerance is not None else ""
        a, b = ("–" if v is None else f"{v:.4g}" for v in (d.a, d.b))
        delta = "" if d.delta is None else f"{d.delta:+.4g}"
        interval = d.interval("b")
        ci = f" 95% CI [{interval[0]:.3f}, {interval[1]:.3f}] n={d.n_b}" if interval else ""
        _echo(f"{d.metric:<36} {a:>10} → {b:<10} {delta:>9}{ci}{gate}{flag}")
    for label, changes in (("regressed", comparison.regressed), ("improved", comparison.improved)):
        _echo(f"{len(changes)} questions {label}")
        for change in changes:
            _echo(f"  {change.id}: " + ", ".join([f"-{c}" for c in change.lost] + [f"+{c}" for c in change.gained]))
    _echo(f"report: {page}")
    if not comparison.ok:
        _echo("gate failed: " + ", ".join(d.metric for d in comparison.gate_failures), err=True)
    return 0 if comparison.ok else 1


def _cmd_eval_list(args: argparse.Namespace) -> int:
    from assistant.evaluation.session import RUNS_DIR, known_runs

    runs = known_runs()
    if not runs and not args.as_json:
        _echo(f"no evaluation runs under {RUNS_DIR} yet (hint: kb-assistant eval --mode deterministic)", err=True)
    for info in runs:
        if args.as_json:
            _emit(info.to_json())
        else:
            state = "complete" if info.complete else f"partial {info.answered}/{info.questions}"
            _echo(f"{info.path}  {info.mode}  {state}  passed {info.passed}  {info.dataset}")
    return 0


# --- chat front end and its feedback ------------------------------------------------------------

_UI_APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"


def _cmd_ui(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        _fail(f"--port must be 1-65535, got {args.port}")
    if not _UI_APP.is_file():
        _fail(f"the UI is not installed: '{_UI_APP}' is missing (hint: install from the checkout: pip install -e .)")
    command = [sys.executable, "-m", "streamlit", "run", str(_UI_APP), "--server.headless", "true",
               "--server.address", args.host, "--server.port", str(args.port), "--browser.gatherUsageStats",
               "false", "--server.fileWatcherType", "none", "--global.developmentMode", "false",
               "--client.toolbarMode", "minimal"]
    _echo(f"kb-assistant ui: http://{args.host}:{args.port}", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)  # the server replaces this process: signals reach it directly


def _cmd_feedback_export(args: argparse.Namespace) -> int:
    from assistant.feedback import FeedbackStore

    store = FeedbackStore.from_settings(_settings())
    lines = [e.to_json() for e in store.entries()] if args.raw else store.dataset()
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    if args.out is None:
        sys.stdout.write(text)
    else:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write '{args.out}': {exc.strerror or exc}")
    _echo(f"{len(lines)} {'rows' if args.raw else 'questions'} exported from {store.path}", err=True)
    return 0


# --- retrieval commands -------------------------------------------------------------------------


def _cmd_ingest(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from assistant.retrieval import Retriever

    try:
        with Retriever(_settings()) as retriever:
            if args.break_lock:
                holder = retriever.store.break_lock()
                if holder:
                    _echo(f"removed the ingest lock of pid {holder.get('pid')} on '{holder.get('host')}' "
                          f"(since {holder.get('since')})", err=True)
            report = retriever.ingest(rebuild=args.rebuild)
    except KeyboardInterrupt:
        _echo("interrupted: the previous index is unchanged", err=True)
        return 130
    if args.as_json:
        _emit(asdict(report))
    else:
        _echo(f"{report.article_ids} articles ({report.articles} files): "
              f"{len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
              f"{report.unchanged} unchanged; {report.chunks} chunks, {report.embedded_chunks} embedded by the "
              f"model in {report.seconds:.1f} s" + ("" if report.published else " (index already up to date)"),
              err=True)
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from assistant.retrieval import Retriever, search_document

    if (args.query is None) == (args.batch is None):
        _fail("give either QUERY or --batch FILE.jsonl")
    if args.k < 1:
        _fail(f"-k must be at least 1, got {args.k}")
    lines = _read_text(args.batch).splitlines() if args.batch is not None else []
    failed = 0
    with Retriever(_settings()) as retriever:
        retriever.generation()
        if args.query is not None:
            result = retriever.search(args.query, args.k)
            if args.as_json:
                _emit(search_document(result))
                return 0
            if not result.in_scope:
                _echo("(out of scope: no article answers this question; nearest articles below)")
            for rank, hit in enumerate(result.hits, start=1):
                _echo(f"{rank}. {hit.id} [{hit.lang}] {hit.title} — {hit.section} ({hit.score:.3f})")
            return 0
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                _emit({"id": None, "error": f"line {number}: not JSON: {exc}"})
                failed += 1
                continue
            if not isinstance(item, dict) or not isinstance(item.get("query"), str):
                _emit({"id": item.get("id") if isinstance(item, dict) else None,
                       "error": f"line {number}: expected {{\"id\": …, \"query\": \"…\"}}"})
                failed += 1
                continue
            _emit(search_document(retriever.search(item["query"], args.k), id=item.get("id")))
            sys.stdout.flush()
    return 1 if failed else 0


def _cmd_ask(args: argparse.Namespace) -> int:
    from assistant.pipeline.answer import Assistant

    text = _stdin() if args.question == "-" else args.question
    answer = Assistant.from_settings(_settings()).ask(text, mode=args.mode)
    if args.as_json:
        _emit(answer.to_json())
    else:
        _echo(answer.plain or answer.answer)  # the deterministic answer as plain text; a model's as written
        for notice in answer.notices:
            _echo(f"note: {notice}", err=True)
    return 0


# --- the parser ---------------------------------------------------------------------------------


def _command(subparsers: Any, name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=handler)
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kb-assistant", description="Support assistant for AWS access problems: policy checker, "
                     "simulator, knowledge-base search and grounded answers (ja/en). Exit status: 0 success, 1 the "
                     "thing checked failed, 2 bad usage or unreadable input.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    check = _command(commands, "check", _cmd_check, "Validate a policy document; exit 1 when it has an ERROR finding.")
    check.add_argument("source", metavar="FILE|-", help="policy file, or - for stdin (JSON, text or Markdown)")
    check.add_argument("--type", dest="policy_type", type=_one_of("policy type", _POLICY_TYPES), default="identity",
                       metavar="|".join(_POLICY_TYPES), help="policy type (default identity)")
    check.add_argument("--quota", type=_one_of("quota", _QUOTAS), metavar="|".join(_QUOTAS),
                       help="size quota (default from --type)")
    _json_option(check, "the check document")
    _lang_option(check)

    sim = _command(commands, "simulate", _cmd_simulate, "Evaluate requests with AWS's policy evaluation logic.")
    sim.add_argument("--cases", metavar="FILE.jsonl", help="case file (JSON Lines, docs/interfaces.md)")
    sim.add_argument("--principal", metavar="ARN")
    sim.add_argument("--action", metavar="SERVICE:ACTION")
    sim.add_argument("--resource", metavar="ARN", default="")
    sim.add_argument("--policy", metavar="FILE", action="append", default=[],
                     help="identity-based policy file (repeatable)")
    sim.add_argument("--boundary", metavar="FILE", action="append", default=[],
                     help="permissions boundary file (repeatable)")
    sim.add_argument("--session-policy", metavar="FILE")
    sim.add_argument("--resource-policy", metavar="FILE")
    sim.add_argument("--resource-account", metavar="ID")
    sim.add_argument("--scp-level", metavar="F[,F...]", action="append", default=[],
                     help="SCP files of one level, comma-separated; root first (repeatable)")
    sim.add_argument("--rcp-level", metavar="F[,F...]", action="append", default=[],
                     help="RCP files of one level, comma-separated (repeatable)")
    sim.add_argument("--context", metavar="KEY=VALUE", action="append", default=[],
                     help="request context; repeat a key for a multivalued key")
    _json_option(sim, "one JSON line per case")
    _lang_option(sim)

    explain = _command(commands, "explain-error", _cmd_explain_error,
                       "Read access-denied messages; with policies, reproduce them and propose a verified fix.")
    explain.add_argument("text", metavar="TEXT", help="the error message text, or - for stdin")
    explain.add_argument("--policy", metavar="FILE", action="append", default=[],
                         help="identity-based policy file attached to the principal (repeatable)")
    _json_option(explain)
    _lang_option(explain)

    kb = commands.add_parser("kb", help="Knowledge-base maintenance.", description="Knowledge-base maintenance.")
    kb_commands = kb.add_subparsers(title="commands", metavar="COMMAND")
    lint = _command(kb_commands, "lint", _cmd_kb_lint, "Check every article in kb/: format, links, policies and "
                    "scenarios.")
    _json_option(lint, "the lint report")
    _command(kb_commands, "vectors", _cmd_kb_vectors, "Write the shipped vectors of kb/ (vectors/; make vectors), "
             "so that a fresh install indexes without running the model.")

    ingest = _command(commands, "ingest", _cmd_ingest, "Index kb/ into the vector store (incremental unless "
                      "--rebuild).")
    ingest.add_argument("--rebuild", action="store_true", help="re-embed everything (after a model change)")
    ingest.add_argument("--break-lock", action="store_true",
                        help="remove the ingest lock first (when no other ingest is running but the lock remains)")
    _json_option(ingest, "the ingest report")

    search = _command(commands, "search", _cmd_search, "Retrieval only: the articles that answer QUERY, best "
                      "first (or one JSON line per batch query).")
    search.add_argument("query", nargs="?", metavar="QUERY", help="what to look for (omit with --batch)")
    search.add_argument("-k", type=int, default=5, help="number of articles (default 5)")
    search.add_argument("--batch", metavar="FILE.jsonl", help='JSON Lines of {"id": …, "query": …}')
    _json_option(search, "the search document")

    ask = _command(commands, "ask", _cmd_ask, "Answer one question from the knowledge base and the policy checker.")
    ask.add_argument("question", metavar="QUESTION|-", help="the question, or - for stdin")
    ask.add_argument("--mode", metavar="auto|deterministic|llm", default="auto",
                     help="auto (the LLM when configured), deterministic or llm (default auto)")
    _json_option(ask, "the ask document")

    serve = _command(commands, "serve", _cmd_serve, "Serve the HTTP API (JSON logs on stderr; "
                     "KB_ASSISTANT_API_TOKEN turns on bearer auth).")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes; each loads its own models")
    serve.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")

    ui = _command(commands, "ui", _cmd_ui, "Streamlit chat front end (headless, no usage statistics).")
    ui.add_argument("--port", type=int, default=8501, help="TCP port (default 8501)")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")

    ev = _command(commands, "eval", _cmd_eval, "Evaluate answers on a dataset; exit 1 when a metric is below its "
                  "threshold. Subcommands compare and list.")
    ev.add_argument("--dataset", help="a .jsonl file, a directory of them or a glob (default "
                    "eval/datasets/public.jsonl when it exists, else eval/datasets/parts/)")
    ev.add_argument("--out", type=Path, help="run directory; an existing run there is resumed (default: a new "
                    "directory under eval/runs/)")
    ev.add_argument("--mode", metavar="auto|deterministic|llm|retrieval", default="auto",
                    help="retrieval: search only (default auto)")
    ev.add_argument("--concurrency", "-j", type=int, default=4, help="questions answered at once (threads; -j 1 "
                    "for latency figures free of contention)")
    ev.add_argument("--thresholds", type=Path, help="thresholds file (default eval/thresholds.toml)")
    ev.add_argument("--limit", type=int, help="only the first N questions")
    ev.add_argument("--judge", action=argparse.BooleanOptionalAction, default=None,
                    help="LLM judge (default: when KB_ASSISTANT_JUDGE_MODEL is set)")
    ev.add_argument("--judge-repeats", type=int, default=3, help="judge runs per question, averaged")
    _json_option(ev, "the run summary")
    eval_commands = ev.add_subparsers(title="commands", metavar="COMMAND")
    compare = _command(eval_commands, "compare", _cmd_eval_compare, "Per-metric deltas and changed questions; "
                       "exit 1 when a gated metric regressed beyond tolerance.")
    compare.add_argument("run_a", metavar="RUN_A", help="the baseline run directory (or its name under eval/runs/)")
    compare.add_argument("run_b", metavar="RUN_B", help="the new run directory")
    compare.add_argument("--thresholds", type=Path, help="gates and tolerances (default eval/thresholds.toml, "
                         "else those stored with RUN_B)")
    compare.add_argument("--html", metavar="FILE", help="the run-vs-run page (default RUN_B/compare.html)")
    _json_option(compare, "the comparison")
    runs = _command(eval_commands, "list", _cmd_eval_list, "The stored runs (eval/runs/, runs written elsewhere "
                    "with --out, eval/baseline), newest first.")
    _json_option(runs, "JSON Lines, one run per line")

    feedback = commands.add_parser("feedback", help="Feedback given in the chat UI.",
                                   description="Feedback given in the chat UI.")
    feedback_commands = feedback.add_subparsers(title="commands", metavar="COMMAND")
    export = _command(feedback_commands, "export", _cmd_feedback_export, "Thumbs-up answers as an evaluation "
                      "dataset (JSON Lines, eval/datasets/README.md).")
    export.add_argument("--out", metavar="FILE", help="write to this file instead of stdout")
    export.add_argument("--raw", action="store_true", help="every stored row (thumbs up and down, comments)")

    for sub in (parser, kb, feedback):
        sub.set_defaults(handler=None, usage_of=sub)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command line; returns the exit status (project errors become exit 2 with their hint)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.handler is None:
            args.usage_of.print_help(sys.stderr)
            return 2
        return args.handler(args)
    except SystemExit as exc:  # argparse's --help
        return int(exc.code or 0)
    except _Exit as exc:
        return exc.code
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def main() -> None:
    """Console-script entry point."""
    for stream in (sys.stdout, sys.stderr):  # a strict ASCII locale must not turn Japanese text into a traceback
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        code = run()
        sys.stdout.flush()
    except BrokenPipeError:  # `kb-assistant … | head`: the reader left; say nothing more (Python docs' recipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    sys.exit(code)
