"""The command line: ``tunelint check``, ``rules``, ``rule``, ``lsp``, ``submit`` and ``jobs``."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import glob
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tunelint import __version__
from tunelint.config import FORMATS, ConfigError, Settings, load_settings
from tunelint.problems import Diagnostic, Severity

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
PROGRESS_MIN_BYTES = 20 << 20
JSONL_SUFFIXES = (".jsonl", ".ndjson")


class UsageError(Exception):
    pass


class DiagnosticStream:
    """A checked file's diagnostics, produced again on each pass instead of held: a file with a
    problem on every line has millions. The severity counts are kept from the first full pass."""

    def __init__(self, produce: Callable[[], Iterator[Diagnostic]]) -> None:
        self._produce = produce
        self._counts: Counter[Severity] | None = None

    def __iter__(self) -> Iterator[Diagnostic]:
        counts: Counter[Severity] = Counter()
        for d in self._produce():
            counts[d.severity] += 1
            yield d
        self._counts = counts

    def counts(self) -> Counter[Severity]:
        if self._counts is None:
            for _ in self:
                pass
        assert self._counts is not None
        return self._counts


def severity_counts(diagnostics: Iterable[Diagnostic]) -> Counter[Severity]:
    if isinstance(diagnostics, DiagnosticStream):
        return diagnostics.counts()
    return Counter(d.severity for d in diagnostics)


@dataclass
class FileReport:
    path: str
    diagnostics: Iterable[Diagnostic]
    line_text: Callable[[int], str]
    summary: Any = None
    fixed: int = 0

    def drop_document(self) -> None:
        """Keep only the counts of findings already written (in place: a writer still holding
        the report must not keep its document alive)."""
        self.diagnostics = _Counted(severity_counts(self.diagnostics))
        self.line_text = _no_text


class _Counted(DiagnosticStream):
    """The severity counts of diagnostics already written."""

    def __init__(self, counts: Counter[Severity]) -> None:
        super().__init__(lambda: iter(()))
        self._counts = counts

    def __iter__(self) -> Iterator[Diagnostic]:
        raise RuntimeError("these diagnostics were written and dropped")


def _no_text(line: int) -> str:
    raise IndexError(line)


class Reports(Collection[FileReport]):
    """A check's reports, each made when the writer reaches it and dropped to its counts once
    written: checking many large files holds one file's columns at a time, not all of them.
    Iterated again, it gives the written reports."""

    def __init__(self, makers: Sequence[Callable[[], FileReport]]) -> None:
        self._makers = list(makers)
        self._written: list[FileReport] | None = None

    def __len__(self) -> int:
        return len(self._makers)

    def __contains__(self, item: object) -> bool:
        return any(r is item for r in self._written or ())

    def __iter__(self) -> Iterator[FileReport]:
        if self._written is not None:
            yield from self._written
            return
        written = []
        for make in self._makers:
            report = make()
            yield report
            report.drop_document()
            written.append(report)
        self._written = written


# -- reading ------------------------------------------------------------------------------


def read_text(path: str) -> tuple[str, int]:
    """The file's text (invalid UTF-8 bytes kept as surrogate escapes) and its size in bytes."""
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    try:
        return data.decode("utf-8"), len(data)
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), len(data)


def expand_paths(paths: Sequence[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if p == "-":
            out.append(p)
            continue
        if any(ch in p for ch in "*?["):
            matches = sorted(glob.glob(p, recursive=True))
            if not matches:
                raise UsageError(f"no files match {p!r}")
            out.extend(m for m in matches if os.path.isfile(m))
            continue
        path = Path(p)
        if path.is_dir():
            found = sorted(
                str(f) for f in path.rglob("*")
                if f.is_file() and f.suffix in JSONL_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(path).parts)
            )
            out.extend(found)
            continue
        if not path.exists():
            raise UsageError(f"{p}: no such file or directory")
        out.append(p)
    return out


# -- checking -----------------------------------------------------------------------------


def check_file(path: str, settings: Settings, args: argparse.Namespace,
               validation: str | None = None, checked: dict[str, Any] | None = None
               ) -> FileReport:
    """``checked``: the validation file's document, kept by the check that compared it with
    this file (``checked["counterpart"]``) for its own report, which would check it again."""
    from tunelint.batch import NeedsFullRead, check_path
    from tunelint.engine import Analyzer, Document
    from tunelint.fixes import fix_file
    from tunelint.lean import LeanDocument

    display = "<stdin>" if path == "-" else path
    source = path  # what is read: standard input is copied to a file first
    stdin = path == "-"
    doc = None
    fixed = 0

    def check(with_tokens: bool) -> LeanDocument:
        return check_path(source, settings, use_cache=not args.no_cache and not stdin,
                          with_tokens=with_tokens,
                          progress=None if stdin else _progress_bar(path), anonymous=stdin)

    # Checks stream the file (parallel, cached, without keeping its text), fixes too: a pass
    # at a time through the file.
    if stdin:
        source = spool_stdin()
    try:
        if args.fix and not stdin:
            fixed, doc = fix_file(path, lambda: check(False))
            if doc is not None and args.stats:
                doc = None  # the report counts tokens: checked once more below
        if doc is None:
            kept = checked.pop("counterpart", None) if checked is not None else None
            doc = kept if isinstance(kept, LeanDocument) and not args.stats else check(args.stats)
        if validation:
            doc.counterpart = check_path(validation, settings, use_cache=not args.no_cache)
            if checked is not None:
                checked["counterpart"] = doc.counterpart
    except NeedsFullRead:
        doc = None
    if doc is None:
        # A file with a lone CR as a line end: read whole, as an editor would.
        text, size = read_text(source)
        file_settings = settings.for_path(None if stdin else path)
        doc = Document(Analyzer(file_settings, None if stdin else path), text,
                       path=display, file_size=size)
        if validation:
            vtext = read_text(validation)[0]
            doc.counterpart = Document(Analyzer(file_settings, validation), vtext,
                                       path=validation)
        if args.fix and not stdin:
            fixed += apply_safe_fixes(doc, path)
    diags: Iterable[Diagnostic] = (DiagnosticStream(doc.iter_diagnostics)
                                   if isinstance(doc, LeanDocument) else doc.diagnostics())
    summary = doc.summary(with_tokens=args.stats, diagnostics=diags) if args.stats else None
    return FileReport(display, diags, doc.line_text, summary, fixed)


def spool_stdin() -> str:
    """Standard input copied to a temporary file, so a piped dataset takes the streamed path
    (its lines are read back while findings print); removed when the process exits."""
    from tunelint.batch import forget_reader

    fd, spooled = tempfile.mkstemp(prefix="tunelint-stdin-", suffix=".jsonl")
    with os.fdopen(fd, "wb") as f:
        shutil.copyfileobj(sys.stdin.buffer, f, 1 << 20)

    def remove() -> None:
        forget_reader(spooled)  # Windows cannot remove a file that is open
        with contextlib.suppress(OSError):
            os.unlink(spooled)

    atexit.register(remove)
    return spooled


def _progress_bar(path: str) -> Callable[[int, int], None] | None:
    """A one-line progress bar on a terminal, for files big enough to wait for."""
    if not sys.stderr.isatty() or os.path.getsize(path) < PROGRESS_MIN_BYTES:
        return None

    def draw(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{path}: [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done / 1e6:,.0f}/{total / 1e6:,.0f} MB{end}")
        sys.stderr.flush()

    return draw


def apply_safe_fixes(doc: Any, path: str, max_passes: int = 10) -> int:
    """Apply safe fixes until none is left; write the file atomically once. Returns the count."""
    from tunelint.fixes import FixError, apply_edits, resolve_fix

    total = 0
    for _ in range(max_passes):
        diags = [d for d in doc.diagnostics() if d.fix is not None and d.fix.safe]
        if not diags:
            break
        lines = [e.text for e in doc.entries]
        endings = [e.ending for e in doc.entries]
        edits = []
        used_lines: set[int] = set()
        for d in diags:
            assert d.fix is not None
            if d.line in used_lines or (d.fix.delete_line and (d.line + 1) in used_lines):
                continue  # one fix per line per pass: later passes see the new text
            try:
                through = d.fix.through_line
                resolved = resolve_fix(d.fix, d.line, lines[d.line], len(lines),
                                       lines[through] if through is not None else None)
            except FixError:
                continue
            touched = {ln for e in resolved for ln in range(e.line, e.end_line + 1)}
            if touched & used_lines:
                continue
            used_lines |= touched
            edits.extend(resolved)
        if not edits:
            break
        apply_edits(lines, endings, edits)
        total += len({e.line for e in edits})
        new_text = "".join(t + e for t, e in zip(lines, endings))
        doc.set_text(("\ufeff" if doc.bom else "") + new_text)
    if total:
        write_atomically(path, doc.text)
    return total


def write_atomically(path: str, text: str) -> None:
    target = Path(path).resolve()  # through a symbolic link: the file it points at is replaced
    mode = target.stat().st_mode if target.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- output -------------------------------------------------------------------------------

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m",
           Severity.HINT: "\033[36m"}


def _snippet(line: str, col: int, end: int, width: int = 120) -> tuple[str, int, int]:
    if len(line) <= width:
        return line, col, max(end, col + 1)
    start = max(0, col - width // 3)
    piece = line[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(line) else ""
    shift = len(prefix) - start
    return prefix + piece + suffix, col + shift, min(max(end, col + 1) + shift, len(prefix + piece))


def format_text(reports: Collection[FileReport], out: TextIO, color: bool) -> None:
    for rep in reports:
        for d in rep.diagnostics:
            sev = d.severity.label
            head = f"{rep.path}:{d.line + 1}:{d.column + 1}: {d.code} [{d.name}] {d.message}"
            if color:
                head = (f"\033[1m{rep.path}:{d.line + 1}:{d.column + 1}:\033[0m "
                        f"{_COLORS[d.severity]}{d.code}\033[0m [{d.name}] {d.message}")
            out.write(f"{head}" + ("" if sev == "error" else f" ({sev})") + "\n")
            try:
                src = rep.line_text(d.line).replace("\t", " ")
            except (IndexError, OSError):
                src = None
            if src is not None:
                end = d.end_column if d.end_line == d.line else len(src)
                shown, c, e = _snippet(src, d.column, end)
                out.write(f"  {shown}\n  {' ' * c}{'^' * max(1, min(e - c, 80))}\n")
    counts: Counter[Severity] = Counter()
    for rep in reports:
        counts.update(severity_counts(rep.diagnostics))
    n_err, n_warn = counts[Severity.ERROR], counts[Severity.WARNING]
    n_info = counts[Severity.INFO] + counts[Severity.HINT]
    fixed = sum(r.fixed for r in reports)
    tail = f"{len(reports)} file{'s' if len(reports) != 1 else ''} checked: "
    tail += f"{n_err} error{'s' if n_err != 1 else ''}, "
    tail += f"{n_warn} warning{'s' if n_warn != 1 else ''}"
    tail += f", {n_info} info" + (f"; fixed {fixed} line(s)" if fixed else "")
    out.write(tail + ".\n")


def diagnostic_json(path: str, d: Diagnostic) -> dict[str, Any]:
    return {
        "path": path,
        "line": d.line + 1,
        "column": d.column + 1,
        "end_line": d.end_line + 1,
        "end_column": d.end_column + 1,
        "code": d.code,
        "name": d.name,
        "severity": d.severity.label if d.severity != Severity.HINT else "info",
        "message": d.message,
        "fix": None if d.fix is None else {"title": d.fix.title, "safe": d.fix.safe},
        "related": [
            {"line": ln + 1, "column": c + 1, "end_column": e + 1, "message": m}
            for ln, c, e, m in d.related
        ],
    }


def format_json(reports: Collection[FileReport], out: TextIO) -> None:
    import orjson

    # Written an item at a time, as the diagnostics come (the same text as dumping the list).
    first = True
    for r in reports:
        for d in r.diagnostics:
            item = orjson.dumps(diagnostic_json(r.path, d), option=orjson.OPT_INDENT_2).decode()
            out.write(("[\n  " if first else ",\n  ") + item.replace("\n", "\n  "))
            first = False
    out.write("[]\n" if first else "\n]\n")


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def format_github(reports: Collection[FileReport], out: TextIO) -> None:
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning"}
    for r in reports:
        for d in r.diagnostics:
            kind = kinds.get(d.severity, "notice")
            out.write(
                f"::{kind} file={_gh_escape(r.path, True)},line={d.line + 1},"
                f"col={d.column + 1},endLine={d.end_line + 1},endColumn={d.end_column + 1},"
                f"title={_gh_escape(d.code + ' ' + d.name, True)}::{_gh_escape(d.message)}\n"
            )


def format_sarif(reports: Collection[FileReport], out: TextIO) -> None:
    from tunelint.rules import all_rules

    levels = {Severity.ERROR: "error", Severity.WARNING: "warning"}
    rules = [
        {"id": r.code, "name": r.name, "shortDescription": {"text": r.summary},
         "helpUri": rule_doc_url(r.name),
         "defaultConfiguration": {"level": levels.get(r.severity, "note")}}
        for r in all_rules()
    ]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "tunelint", "version": __version__,
                                      "informationUri": "https://github.com/tunelint/tunelint",
                                      "rules": rules}},
                  "results": []}],
    }
    # The results are written one at a time, as the diagnostics come, into the document.
    head, tail = json.dumps(sarif, indent=2).rsplit('"results": []', 1)
    out.write(head + '"results": [')
    first = True
    for rep in reports:
        for d in rep.diagnostics:
            result = {
                "ruleId": d.code,
                "level": levels.get(d.severity, "note"),
                "message": {"text": d.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": Path(rep.path).as_posix()},
                    "region": {"startLine": d.line + 1, "startColumn": d.column + 1,
                               "endLine": d.end_line + 1, "endColumn": d.end_column + 1},
                }}],
            }
            text = json.dumps(result, indent=2).replace("\n", "\n        ")
            out.write(("\n        " if first else ",\n        ") + text)
            first = False
    out.write(("]" if first else "\n      ]") + tail + "\n")


def rule_doc_url(name: str) -> str:
    return f"https://github.com/tunelint/tunelint/blob/main/docs/rules.md#{name}"


def format_summary(summary: Any, out: TextIO) -> None:
    s = summary
    out.write(f"\n== {s.path}: {s.examples} examples ({s.lines} lines), format "
              f"{s.dataset_format or 'unknown'}, model {s.model}, profile {s.profile}\n")
    out.write(f"   {s.errors} errors, {s.warnings} warnings, {s.infos} info\n")
    if s.messages_per_example:
        m = s.messages_per_example
        out.write(f"   messages per example: min {m['min']}, max {m['max']}, mean {m['mean']}, "
                  f"median {m['median']}\n")
    if s.images:
        out.write(f"   examples with images: {s.images}\n")
    t = s.tokens
    if t:
        dist = t["distribution"]
        out.write(f"   tokens ({t['encoding']}): total {t['total']:,}")
        if dist:
            out.write(f"; per example min {dist['min']}, median {dist['median']}, "
                      f"mean {dist['mean']}, max {dist['max']}")
            if "p5" in dist:
                out.write(f", p5 {dist['p5']}, p95 {dist['p95']}")
        out.write("\n")
        if t["limit"]:
            out.write(f"   over the {t['limit']:,}-token limit: {t['over_limit']} "
                      f"(truncated from the end in training)\n")
        out.write(f"   epochs: {t['epochs']} ({t['epochs_source']}); billable tokens: "
                  f"{t['billable']:,} ({t['billable_per_epoch']:,} per epoch)\n")
        hist = t.get("histogram") or []
        if hist:
            peak = max(c for _, _, c in hist) or 1
            out.write("   token-length histogram:\n")
            for lo, hi, c in hist:
                out.write(f"   {lo:>8}-{hi:<8} {'#' * round(40 * c / peak):<40} {c}\n")


# -- commands -----------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    try:
        paths = expand_paths(args.paths or ["."])
    except UsageError as e:
        print(f"tunelint: {e}", file=sys.stderr)
        return EXIT_USAGE
    if not paths:
        print("tunelint: no .jsonl files found", file=sys.stderr)
        return EXIT_USAGE
    if args.validation_file and not os.path.isfile(args.validation_file):
        print(f"tunelint: {args.validation_file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    makers: list[Callable[[], FileReport]] = []
    vargs = argparse.Namespace(**{**vars(args), "fix": False})
    for path in paths:
        # Shared by a file's check and its validation file's report (under the same settings).
        checked: dict[str, Any] = {}
        makers.append(functools.partial(_report, path, path, args, args.validation_file,
                                        checked))
        if args.validation_file:
            makers.append(functools.partial(_report, args.validation_file, path, vargs, None,
                                            checked))
    from tunelint.batch import shared_workers

    reports = Reports(makers)
    try:
        # Workers forked on the first large file, before any document is held, serve them all.
        with shared_workers():
            write_reports(reports, args)
        has_errors = any(severity_counts(r.diagnostics)[Severity.ERROR] for r in reports)
    except ConfigError as e:
        print(f"tunelint: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        raise
    except OSError as e:
        # Findings are placed as they are printed, reading lines back: a file removed since
        # it was checked ends the run here.
        print(f"\ntunelint: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_ERRORS if has_errors else EXIT_OK


def _report(path: str, settings_path: str, args: argparse.Namespace, validation: str | None,
            checked: dict[str, Any]) -> FileReport:
    """``path`` checked under the settings of ``settings_path``."""
    base = load_settings(Path(settings_path).resolve() if settings_path != "-" else None,
                         Path(args.config) if args.config else None)
    return check_file(path, apply_cli_overrides(base, args), args, validation, checked)


def write_reports(reports: Collection[FileReport], args: argparse.Namespace) -> None:
    out = sys.stdout
    fmt = args.output_format
    if fmt == "json":
        format_json(reports, out)
    elif fmt == "github":
        format_github(reports, out)
    elif fmt == "sarif":
        format_sarif(reports, out)
    else:
        color = args.color == "always" or (args.color == "auto" and out.isatty()
                                           and not os.environ.get("NO_COLOR"))
        format_text(reports, out, color)
    if args.stats:
        stream = sys.stderr if fmt != "text" else out
        for rep in reports:
            if rep.summary is not None:
                format_summary(rep.summary, stream)


def apply_cli_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    from tunelint.config import validate

    def codes(value: str | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        return tuple(c.strip() for c in value.split(",") if c.strip())

    schema: Any = args.schema
    if schema is not None:
        schema = str(Path(schema).resolve())
    updated = settings.with_overrides(
        model=args.model,
        profile=args.profile,
        format=args.format,
        select=codes(args.select),
        ignore=None if args.ignore is None else settings.ignore + (codes(args.ignore) or ()),
        extend_select=codes(args.extend_select),
        schema=schema,
        n_epochs=args.n_epochs,
    )
    validate(updated, "command line")
    return updated


def cmd_rules(args: argparse.Namespace) -> int:
    from tunelint.rules import all_rules

    rules = all_rules()
    if args.output_format == "json":
        json.dump([{"code": r.code, "name": r.name, "severity": r.severity.label,
                    "scope": r.scope, "fix": r.fix, "summary": r.summary,
                    "default_enabled": r.default_enabled} for r in rules], sys.stdout, indent=2)
        print()
        return EXIT_OK
    for r in rules:
        fix = {"safe": "fix", "unsafe": "fix (unsafe)", "sometimes": "fix (some)"}.get(r.fix, "")
        off = "" if r.default_enabled else " (opt-in)"
        print(f"{r.code}  {r.name:<32} {r.severity.label:<8} {fix:<13} {r.summary}{off}")
    return EXIT_OK


def cmd_rule(args: argparse.Namespace) -> int:
    from tunelint.docs import rule_markdown
    from tunelint.rules import get_rule

    r = get_rule(args.code)
    if r is None:
        print(f"tunelint: unknown rule {args.code!r}; see `tunelint rules`", file=sys.stderr)
        return EXIT_USAGE
    print(rule_markdown(r))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tunelint",
        description="Lint LLM fine-tuning datasets (JSONL) and submit fine-tuning jobs.",
    )
    parser.add_argument("--version", action="version", version=f"tunelint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="lint JSONL files")
    check.add_argument("paths", nargs="*", help="files, folders, globs, or - for stdin")
    check.add_argument("--output-format", choices=["text", "json", "github", "sarif"],
                       default="text")
    check.add_argument("--stats", action="store_true",
                       help="print the dataset summary with exact token counts")
    check.add_argument("--model", help="target model (token limit, encoding)")
    check.add_argument("--profile", help="target platform: openai, azure-openai, together, ...")
    check.add_argument("--format", choices=[f for f in FORMATS if f != "auto"] + ["auto"])
    check.add_argument("--schema", help="JSON Schema every line must satisfy")
    check.add_argument("--select", help="comma-separated rule codes/names/prefixes to enable")
    check.add_argument("--extend-select", help="enable these rules on top of the selection")
    check.add_argument("--ignore", help="comma-separated rule codes/names to disable")
    check.add_argument("--config", help="path to a tunelint.toml or pyproject.toml")
    check.add_argument("--validation-file", help="also check this file and the overlap")
    check.add_argument("--n-epochs", type=_epochs, help="epochs for the billing estimate")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    check.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    check.set_defaults(func=cmd_check)

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--output-format", choices=["text", "json"], default="text")
    rules.set_defaults(func=cmd_rules)

    rule = sub.add_parser("rule", help="show one rule's documentation")
    rule.add_argument("code", help="a rule code (TL101) or name (json-syntax)")
    rule.set_defaults(func=cmd_rule)

    _register_optional(sub)
    return parser


def _epochs(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be 'auto' or a whole number") from None
    if not 1 <= n <= 50:
        raise argparse.ArgumentTypeError("must be between 1 and 50")
    return n


def _register_optional(sub: Any) -> None:
    """Sub-commands that live in their own modules (language server, job submission)."""
    import importlib

    for module in ("tunelint.lsp.cli", "tunelint.submit.cli"):
        try:
            mod = importlib.import_module(module)
        except ImportError as e:
            if e.name and e.name.startswith("tunelint"):
                continue
            raise
        mod.register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("tunelint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
