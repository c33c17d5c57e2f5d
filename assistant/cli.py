"""The ``kb-assistant`` command line: thin commands over the pipeline and the engine.

Every ``--json`` command prints exactly one JSON document on stdout; logs and progress go to
stderr. Exit status: 0 success, 1 the thing checked failed, 2 bad usage or unreadable input.
Project errors are mapped to exit codes in one place, ``_fail``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from assistant.config import Settings
from assistant.errors import AssistantError

__all__ = ["app", "main"]

_T = TypeVar("_T")

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n\n")[0])
kb_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Knowledge-base maintenance.")
app.add_typer(kb_app, name="kb")


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _emit(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")


def _read_text(source: str) -> str:
    """The text of FILE, or stdin for ``-``; unreadable input is a usage error."""
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(f"file not found: '{source}'")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read '{source}': {exc}")


def _guarded(run: Callable[[], int]) -> int:
    try:
        return run()
    except AssistantError as exc:
        _fail(str(exc))


def _guarded_value(run: Callable[[], _T]) -> _T:
    try:
        return run()
    except AssistantError as exc:
        _fail(str(exc))


def main() -> None:
    """Console-script entry point."""
    app()


def _settings() -> Settings:
    return Settings.from_env()


# --- policy engine commands ---------------------------------------------------------------------

PolicyTypeOption = typer.Option("identity", "--type", help="identity|resource|trust|scp|rcp|session")


def _catalog() -> Any:
    from assistant.adapters.iam_catalog import IamDataCatalog

    return IamDataCatalog()


def _policy_type(value: str) -> Any:
    from assistant.engine.model import PolicyType

    try:
        return PolicyType(value)
    except ValueError:
        _fail(f"unknown policy type '{value}'; use one of: {', '.join(t.value for t in PolicyType)}")


def _print_findings(findings: list[dict[str, Any]], source: str) -> None:
    for item in findings:
        where = f"{source}:{item['line']}:{item['column']}" if item["line"] else source
        hint = f" ({item['hint']})" if item.get("hint") else ""
        typer.echo(f"{where}: {item['severity']} {item['code']} {item['message']}{hint}")


@app.command()
def check(
    source: str = typer.Argument(..., metavar="FILE|-", help="Policy file, or - for stdin (JSON, text or Markdown)."),
    policy_type: str = PolicyTypeOption,
    quota: str | None = typer.Option(None, "--quota", help="Size quota: managed|user-inline|group-inline|"
                                     "role-inline|trust|scp|rcp (default from --type)."),
    as_json: bool = typer.Option(False, "--json", help="Print the check document as JSON."),
) -> None:
    """Validate a policy document; exit 1 when it has an ERROR finding."""
    from assistant.engine.checker import check_text
    from assistant.engine.validator import SizeQuota
    from assistant.wire import check_document

    kind = _policy_type(policy_type)
    try:
        size_quota = SizeQuota(quota) if quota else None
    except ValueError:
        _fail(f"unknown quota '{quota}'; use one of: {', '.join(q.value for q in SizeQuota)}")
    document = check_document(check_text(_read_text(source), kind, _catalog(), size_quota), kind)
    if as_json:
        _emit(document)
    else:
        _print_findings(document["findings"], "<stdin>" if source == "-" else source)
        typer.echo("valid" if document["valid"] else "invalid", err=not document["valid"])
    raise typer.Exit(0 if document["valid"] else 1)


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
        failed += "error" in line
        if as_json:
            _emit(line)
        else:
            typer.echo(f"{line['id']}: {line.get('decision') or 'error: ' + line['error']}")
    return 1 if failed else 0


def _principal_ok(principal: str) -> bool:
    if principal in ("*", "anonymous"):
        return True
    if principal.startswith("arn:"):
        parts = principal.split(":", 5)
        return len(parts) == 6 and all(parts[i] for i in (1, 2, 5))
    return principal.endswith(".amazonaws.com") and " " not in principal  # a service principal


@app.command()
def simulate(
    cases: str | None = typer.Option(None, "--cases", help="Case file (JSON Lines, docs/interfaces.md)."),
    principal: str | None = typer.Option(None, "--principal"),
    action: str | None = typer.Option(None, "--action"),
    resource: str = typer.Option("", "--resource"),
    policy: list[str] = typer.Option([], "--policy", help="Identity-based policy file (repeatable)."),
    boundary: list[str] = typer.Option([], "--boundary", help="Permissions boundary file (repeatable)."),
    session_policy: str | None = typer.Option(None, "--session-policy"),
    resource_policy: str | None = typer.Option(None, "--resource-policy"),
    resource_account: str | None = typer.Option(None, "--resource-account"),
    scp_level: list[str] = typer.Option([], "--scp-level", help="SCP files of one level, comma-separated; root first."),
    rcp_level: list[str] = typer.Option([], "--rcp-level", help="RCP files of one level, comma-separated."),
    context: list[str] = typer.Option([], "--context", help="KEY=VALUE; repeat a key for a multivalued key."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Evaluate requests with AWS's policy evaluation logic."""
    if cases is not None:
        raise typer.Exit(_simulate_cases(cases, as_json))
    if not principal or not action:
        _fail("give --cases FILE, or --principal and --action (and usually --resource)")
    if not _principal_ok(principal):
        _fail(f"--principal '{principal}' is not a principal: give an ARN (arn:aws:iam::123456789012:user/alice), "
              "a service principal (lambda.amazonaws.com), or anonymous")
    from assistant.engine.cases import CaseError, parse_case
    from assistant.engine.evaluator import evaluate
    from assistant.engine.explain import explain
    from assistant.engine.principals import derive_context
    from assistant.wire import evaluation_line

    derived = {k: list(v) for k, v in derive_context(principal).items()}
    given = _context(context)
    derived.update({k.lower(): v for k, v in given.items()})
    service, _, name = action.partition(":")
    info = (_catalog().actions(service) or {}).get(name.lower())

    def levels(specs: list[str], option: str) -> list[dict[str, Any]]:
        return [{"org_identifier": f"level-{i}", "policies": [_policy_file(f, option) for f in spec.split(",") if f]}
                for i, spec in enumerate(specs)]

    case = {
        "identity_policies": [_policy_file(f, "--policy") for f in policy],
        "permission_boundaries": [_policy_file(f, "--boundary") for f in boundary] or None,
        "session_policy": _policy_file(session_policy, "--session-policy") if session_policy else None,
        "resource_policy": _policy_file(resource_policy, "--resource-policy") if resource_policy else None,
        "scps": levels(scp_level, "--scp-level") or None,
        "rcps": levels(rcp_level, "--rcp-level") or None,
        "request": {"principal": principal, "action": action, "resource": resource,
                    "resource_account": resource_account, "context": derived,
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
    if as_json:
        _emit(line)
    else:
        typer.echo(line["decision"])
        if line["message"]:
            typer.echo(line["message"])
        typer.echo(line["explanation"])
        for warning in evaluation.warnings:
            typer.echo(f"warning: {warning}", err=True)


@app.command("explain-error")
def explain_error(
    text: str = typer.Argument(..., help="The error message text (or - for stdin)."),
    policy: list[str] = typer.Option([], "--policy", help="Identity-based policy file (repeatable)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Read access-denied messages; with policies, reproduce them and propose a verified fix."""
    from assistant.engine.cases import policy_of
    from assistant.pipeline.diagnosis import diagnose
    from assistant.wire import explain_error_document

    message_text = sys.stdin.read() if text == "-" else text
    documents = [_policy_file(f, "--policy") for f in policy]
    catalog = _catalog()
    report = diagnose(message_text, documents, [policy_of(d, "--policy") for d in documents], catalog,
                      names=[Path(f).stem for f in policy])
    document = _guarded_value(lambda: explain_error_document(report, documents, catalog))
    if as_json:
        _emit(document)
        return
    for item in document["diagnoses"]:
        typer.echo(f"{item['action']} on {item['resource'] or '*'}: {item['decision']}")
        if item["explanation"]:
            typer.echo(f"  {item['explanation']}")
    fix = document["fix"]
    if fix:
        typer.echo("verified fix:" if fix["verified"] else "no verified fix:")
        for change in fix["changes"] + fix["notes"]:
            typer.echo(f"  - {change}")
        if fix["verified"]:
            typer.echo(json.dumps(fix["json"][0], indent=2, ensure_ascii=False))


@kb_app.command("vectors")
def kb_vectors() -> None:
    """Write the shipped vectors of kb/ (vectors/; `make vectors`): a fresh install then indexes without the model."""
    from assistant.retrieval.progress import StderrProgress
    from assistant.retrieval.shipped import write_shipped_vectors

    def run() -> int:
        report = write_shipped_vectors(_settings(), StderrProgress("embedding"))
        typer.echo(f"{report.chunks} chunks ({report.embedded} embedded now) in "
                   + ", ".join(str(f) for f in report.files) + f": {report.bytes / 1024:.0f} KiB", err=True)
        return 0

    raise typer.Exit(_guarded(run))


@kb_app.command("lint")
def kb_lint(as_json: bool = typer.Option(False, "--json")) -> None:
    """Check every article in kb/: format, links, policies and scenarios."""
    from assistant.kb_lint import lint_kb

    settings = _settings()
    count, problems = lint_kb(settings.kb_dir, _catalog())
    if as_json:
        _emit({"ok": not problems, "files": count,
               "problems": [{"file": p.path, "line": p.line, "problem": p.problem} for p in problems]})
    else:
        for problem in problems:
            typer.echo(str(problem))
        typer.echo(f"{count} files, {len(problems)} problems", err=True)
    raise typer.Exit(1 if problems else 0)


# --- HTTP API -----------------------------------------------------------------------------------


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", help="Worker processes; each loads its own models."),
    log_level: str = typer.Option("info", "--log-level", help="debug|info|warning|error"),
) -> None:
    """Serve the HTTP API (JSON logs on stderr; KB_ASSISTANT_API_TOKEN turns on bearer auth)."""
    import uvicorn

    from assistant.api import log_config

    if workers < 1:
        _fail(f"--workers must be at least 1, got {workers}")
    if log_level not in ("debug", "info", "warning", "error"):
        _fail(f"unknown --log-level '{log_level}'; use debug, info, warning or error")
    uvicorn.run("assistant.api:create_app_from_env", factory=True, host=host, port=port, workers=workers,
                log_config=log_config(log_level), access_log=False, timeout_graceful_shutdown=10)


# --- evaluation ---------------------------------------------------------------------------------

eval_app = typer.Typer(add_completion=False, help="Evaluation harness: answer quality on a dataset; compare runs.")
app.add_typer(eval_app, name="eval")


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


@eval_app.callback(invoke_without_command=True)
def eval_command(
    ctx: typer.Context,
    dataset: str | None = typer.Option(None, "--dataset", help="A .jsonl file, a directory of them or a glob "
                                       "(default eval/datasets/public.jsonl, else eval/datasets/parts/)."),
    out: Path | None = typer.Option(None, "--out", help="Run directory; an existing run there is resumed "
                                    "(default: a new directory under eval/runs/)."),
    mode: str = typer.Option("auto", "--mode", help="auto|deterministic|llm|retrieval (retrieval: search only)."),
    concurrency: int = typer.Option(4, "--concurrency", "-j", help="Questions answered at once (threads; "
                                    "-j 1 for latency figures free of contention)."),
    thresholds: Path | None = typer.Option(None, "--thresholds", help="Thresholds file (default "
                                           "eval/thresholds.toml)."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N questions."),
    judge: bool | None = typer.Option(None, "--judge/--no-judge", help="LLM judge (default: when "
                                      "KB_ASSISTANT_JUDGE_MODEL is set)."),
    judge_repeats: int = typer.Option(3, "--judge-repeats", help="Judge runs per question, averaged."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Evaluate answers on a dataset; exit 1 when a metric is below its threshold."""
    if ctx.invoked_subcommand is not None:
        return
    import os

    from assistant.evaluation.session import evaluate_from_settings
    from assistant.evaluation.summary import METRICS

    def run() -> int:
        with _eval_progress() as bar:
            result = evaluate_from_settings(_settings(), os.environ, dataset=dataset, out=out, mode=mode,
                                            concurrency=concurrency, thresholds=thresholds, limit=limit,
                                            judge=judge, judge_repeats=judge_repeats, progress=bar.phase,
                                            index_progress=bar.index)
        summary = result.summary
        if as_json:
            _emit(summary)
        else:
            typer.echo(f"run: {result.path} ({summary['questions']} questions, {summary['passed']} passed every "
                       f"check, {summary['errors']} errors)")
            for metric, value in summary["metrics"].items():
                if value is not None:
                    unit = METRICS[metric].unit
                    shown = f"{value:,.0f} ms" if unit == "ms" else f"${value:.4f}" if unit == "usd" else f"{value:.3f}"
                    typer.echo(f"  {metric:<36} {shown}")
            typer.echo(f"report: {result.path / 'report.html'}")
            for violation in summary["thresholds"]["violations"]:
                typer.echo(f"below threshold: {violation['metric']} = {violation['value']:.4g} "
                           f"({violation['kind']} {violation['bound']:.4g})", err=True)
        return 0 if result.ok else 1

    raise typer.Exit(_guarded(run))


@eval_app.command("compare")
def eval_compare(
    run_a: str = typer.Argument(..., help="The baseline run directory (or its name under eval/runs/)."),
    run_b: str = typer.Argument(..., help="The new run directory."),
    thresholds: Path | None = typer.Option(None, "--thresholds", help="Gates and tolerances (default "
                                           "eval/thresholds.toml, else those stored with RUN_B)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Per-metric deltas and changed questions; exit 1 when a gated metric regressed beyond tolerance."""
    from assistant.evaluation import compare_runs, load_thresholds
    from assistant.evaluation.session import RUNS_DIR, default_thresholds

    def run() -> int:
        path = thresholds if thresholds is not None else default_thresholds()
        comparison = compare_runs(run_a, run_b, load_thresholds(path) if path else None, RUNS_DIR)
        if as_json:
            _emit(comparison.to_json())
        else:
            if not comparison.same_dataset:
                typer.echo("note: the runs used different datasets", err=True)
            for d in comparison.deltas:
                worse, better = (" REGRESSED", " improved") if d.gated else (" worse", " better")
                flag = worse if d.regressed else better if d.improved else ""
                gate = f" (gated, tolerance {d.tolerance:g})" if d.gated and d.tolerance is not None else ""
                a, b = ("–" if v is None else f"{v:.4g}" for v in (d.a, d.b))
                delta = "" if d.delta is None else f"{d.delta:+.4g}"
                typer.echo(f"{d.metric:<36} {a:>10} → {b:<10} {delta:>9}{gate}{flag}")
            for label, changes in (("regressed", comparison.regressed), ("improved", comparison.improved)):
                typer.echo(f"{len(changes)} questions {label}")
                for change in changes:
                    typer.echo(f"  {change.id}: " + ", ".join([f"-{c}" for c in change.lost] +
                                                             [f"+{c}" for c in change.gained]))
            if not comparison.ok:
                typer.echo("gate failed: " + ", ".join(d.metric for d in comparison.gate_failures), err=True)
        return 0 if comparison.ok else 1

    raise typer.Exit(_guarded(run))


@eval_app.command("list")
def eval_list(as_json: bool = typer.Option(False, "--json", help="JSON Lines, one run per line.")) -> None:
    """The stored runs under eval/runs/, newest first."""
    from assistant.evaluation import list_runs
    from assistant.evaluation.session import RUNS_DIR

    for info in list_runs(RUNS_DIR):
        if as_json:
            _emit(info.to_json())
        else:
            state = "complete" if info.complete else f"partial {info.answered}/{info.questions}"
            typer.echo(f"{info.name}  {info.mode}  {state}  passed {info.passed}  {info.dataset}")


# --- chat front end and its feedback ------------------------------------------------------------

_UI_APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"


@app.command("ui")
def ui_command(
    port: int = typer.Option(8501, "--port", help="TCP port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
) -> None:
    """Streamlit chat front end (headless, no usage statistics)."""
    import os

    if not 0 < port < 65536:
        _fail(f"--port must be 1-65535, got {port}")
    if not _UI_APP.is_file():
        _fail(f"the UI is not installed: '{_UI_APP}' is missing (hint: install from the checkout: pip install -e .)")
    command = [sys.executable, "-m", "streamlit", "run", str(_UI_APP), "--server.headless", "true",
               "--server.address", host, "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--global.developmentMode", "false",
               "--client.toolbarMode", "minimal"]
    typer.echo(f"kb-assistant ui: http://{host}:{port}", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)  # the server replaces this process: signals reach it directly


feedback_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Feedback given in the chat UI.")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of stdout."),
    raw: bool = typer.Option(False, "--raw", help="Every stored row (thumbs up and down, comments) as JSON Lines."),
) -> None:
    """Thumbs-up answers as an evaluation dataset (JSON Lines, eval/datasets/README.md)."""
    from assistant.feedback import FeedbackStore

    def run() -> int:
        store = FeedbackStore.from_settings(_settings())
        lines = [e.to_json() for e in store.entries()] if raw else store.dataset()
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        if out is None:
            sys.stdout.write(text)
        else:
            try:
                out.write_text(text, encoding="utf-8")
            except OSError as exc:
                _fail(f"cannot write '{out}': {exc.strerror or exc}")
        typer.echo(f"{len(lines)} {'rows' if raw else 'questions'} exported from {store.path}", err=True)
        return 0

    raise typer.Exit(_guarded(run))


# --- retrieval commands -------------------------------------------------------------------------


@app.command("ingest")
def ingest_command(
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-embed everything (after a model change)."),
    as_json: bool = typer.Option(False, "--json", help="Print the ingest report as JSON."),
) -> None:
    """Index kb/ into the vector store (incremental unless --rebuild)."""
    from dataclasses import asdict

    from assistant.retrieval import Retriever

    def run() -> int:
        try:
            with Retriever(_settings()) as retriever:
                report = retriever.ingest(rebuild=rebuild)
        except KeyboardInterrupt:
            typer.echo("interrupted: the previous index is unchanged", err=True)
            return 130
        if as_json:
            _emit(asdict(report))
        else:
            typer.echo(f"{report.articles} articles: {len(report.added)} added, "
                       f"{len(report.changed)} changed, {len(report.removed)} removed, "
                       f"{report.unchanged} unchanged; {report.embedded_chunks} of {report.chunks} chunks "
                       f"embedded in {report.seconds:.1f} s"
                       + ("" if report.published else " (index already up to date)"), err=True)
        return 0

    raise typer.Exit(_guarded(run))


_BATCH_OPTION = typer.Option(None, "--batch", help='JSON Lines of {"id": …, "query": …}.')


@app.command("search")
def search_command(
    query: str | None = typer.Argument(None, help="What to look for (omit with --batch)."),
    k: int = typer.Option(5, "-k", help="Number of articles."),
    batch: Path | None = _BATCH_OPTION,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Retrieval only: the articles that answer QUERY, best first (or one JSON line per batch query)."""
    from assistant.retrieval import Retriever, search_document

    if (query is None) == (batch is None):
        _fail("give either QUERY or --batch FILE.jsonl")
    if k < 1:
        _fail(f"-k must be at least 1, got {k}")
    lines = _read_text(str(batch)).splitlines() if batch is not None else []

    def run() -> int:
        failed = 0
        with Retriever(_settings()) as retriever:
            retriever.generation()
            if query is not None:
                result = retriever.search(query, k)
                if as_json:
                    _emit(search_document(result))
                    return 0
                if not result.in_scope:
                    typer.echo("(out of scope: no article answers this question; nearest articles below)")
                for rank, hit in enumerate(result.hits, start=1):
                    typer.echo(f"{rank}. {hit.id} [{hit.lang}] {hit.title} — {hit.section} ({hit.score:.3f})")
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
                _emit(search_document(retriever.search(item["query"], k), id=item.get("id")))
                sys.stdout.flush()
        return 1 if failed else 0

    raise typer.Exit(_guarded(run))


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, or - for stdin."),
    mode: str = typer.Option("auto", "--mode", help="auto|deterministic|llm"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Answer one question from the knowledge base and the policy checker."""
    from assistant.pipeline.answer import Assistant

    text = sys.stdin.read() if question == "-" else question

    def run() -> int:
        answer = Assistant.from_settings(_settings()).ask(text, mode=mode)
        if as_json:
            _emit(answer.to_json())
        else:
            typer.echo(answer.answer)
            for notice in answer.notices:
                typer.echo(f"note: {notice}", err=True)
        return 0

    raise typer.Exit(_guarded(run))
