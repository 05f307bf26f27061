"""The document engine: per-line analysis cached by content, and dataset indexes kept per line.

A line's analysis (parse, format, problems, duplicate keys, token facts) is a pure function of the
line's text and the run's settings, so it is cached by text: changing one line re-analyses only
that line. Dataset-level results (duplicates, counts, format majority) are indexes that a changed
line updates by removing its old facts and adding its new ones; they are never rebuilt from
scratch on an edit.
"""

from __future__ import annotations

import bisect
import logging
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
import xxhash

from tunelint import formats as fm
from tunelint.config import Settings, load_schema
from tunelint.context import ExampleContext, LineContext, RunContext
from tunelint.fastpath import PlainChatPath
from tunelint.jsonscan import ScanError, find_syntax_error, locate, orjson_input
from tunelint.models import get_model, get_profile
from tunelint.problems import Diagnostic, Problem, Severity
from tunelint.rules import DATASET_INDEXES, Rule, all_rules
from tunelint.shapepath import ShapePath, ToolChatPath
from tunelint.tokens import DeferredCounter, TokenCounter, TokensDeferred, has_compiled_counter

if TYPE_CHECKING:
    from tunelint.lean import LeanDocument

log = logging.getLogger(__name__)

BLANK, INVALID, NON_OBJECT, OBJECT = 0, 1, 2, 3
MAX_PENDING_SHIFTS = 64
BOM_BYTES = "\ufeff".encode()
_SORT_KEY = operator.attrgetter("line", "column", "code")
_LINE = operator.attrgetter("line")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# The duplicate keys of a line (of its canonical JSON, normalised form, prompt and target), here
# for the engine and the fast path alike: 64-bit digests. The chance that two different lines of
# a 1M-line file share one is about 3e-8 per kind of key, and a key costs half the memory of a
# 128-bit one.
KEY_BYTES = 8
line_key: Callable[[bytes], bytes] = xxhash.xxh3_64_digest


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """Split on \\n, \\r\\n and lone \\r (what LSP counts as line ends); keep each ending.

    The last segment (after the final line end, often empty) is always present, so line numbers
    match an editor's.
    """
    if "\r" not in text:
        lines = text.split("\n")
        endings = ["\n"] * (len(lines) - 1) + [""]
        return lines, endings
    lines, endings = [], []
    pos = 0
    for m in _LINE_BREAK.finditer(text):
        lines.append(text[pos : m.start()])
        endings.append(m.group())
        pos = m.end()
    lines.append(text[pos:])
    endings.append("")
    return lines, endings


_RAW_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def split_raw_lines(data: bytes) -> tuple[list[bytes], list[str]]:
    """``split_lines`` of UTF-8 bytes (line ends are ASCII: the same cuts, no decoding)."""
    if b"\r" not in data:
        lines = data.split(b"\n")
        return lines, ["\n"] * (len(lines) - 1) + [""]
    lines, endings = [], []
    pos = 0
    for m in _RAW_LINE_BREAK.finditer(data):
        lines.append(data[pos : m.start()])
        endings.append(m.group().decode("ascii"))
        pos = m.end()
    lines.append(data[pos:])
    endings.append("")
    return lines, endings


def utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


@dataclass(slots=True)
class LineResult:
    """Everything known about one line's text under one set of settings."""

    kind: int
    problems: tuple[Problem, ...] = ()
    format: str | None = None
    exact_key: bytes | None = None
    norm_key: bytes | None = None
    prompt_key: bytes | None = None
    target_key: bytes | None = None
    n_messages: int = 0
    n_images: int = 0
    size: int = 0
    tokens: int | None = None
    # The problems placed in the line (columns resolved), computed once per distinct text.
    placed: tuple[Diagnostic, ...] | None = None
    # Analysed by a worker that does not count tokens, and this line needed them.
    deferred: bool = False


@dataclass(slots=True)
class ActiveRule:
    rule: Rule
    severity: Severity
    options: Mapping[str, Any]


class RuleSet:
    """The rules selected for a run, with severities and options resolved."""

    def __init__(self, settings: Settings) -> None:
        profile = get_profile(settings.profile)
        self.line: list[ActiveRule] = []
        self.example: dict[str, list[ActiveRule]] = {f: [] for f in fm.FORMATS}
        self.dataset: list[ActiveRule] = []
        self.by_code: dict[str, ActiveRule] = {}
        for r in all_rules():
            if not _selected(r, settings, profile.disable):
                continue
            sev_name = (
                settings.severity.get(r.code)
                or settings.severity.get(r.name)
                or profile.severity.get(r.name)
            )
            severity = Severity.parse(sev_name) if sev_name else r.severity
            options = {**r.options, **profile.options.get(r.name, {})}
            options.update(settings.rules.get(r.name, {}))
            options.update(settings.rules.get(r.code, {}))
            active = ActiveRule(r, severity, options)
            self.by_code[r.code] = active
            if r.scope == "line":
                self.line.append(active)
            elif r.scope == "example":
                if settings.format == "none":
                    continue
                for f in r.formats:
                    if f in self.example:
                        self.example[f].append(active)
            elif settings.format != "none" or "none" in r.formats:
                self.dataset.append(active)


_Call = tuple[Callable[..., Iterable[Problem]], Mapping[str, Any], Severity,
              Callable[[Any], bool] | None]


def _calls(rules: list[ActiveRule]) -> list[_Call]:
    return [(a.rule.check, a.options, a.severity, a.rule.applies) for a in rules]


def _matches(r: Rule, selector: str) -> bool:
    s = selector.strip()
    if s.upper() == "ALL":
        return True
    if s == r.name or s.upper() == r.code:
        return True
    return s.upper().startswith("TL") and r.code.startswith(s.upper())


def _selected(r: Rule, settings: Settings, disabled: frozenset[str]) -> bool:
    selectors = settings.select + settings.extend_select
    explicit = any(s.strip() in (r.name, r.code) or s.strip().upper() == r.code for s in selectors)
    if any(_matches(r, s) for s in settings.ignore):
        return False
    if explicit:
        return True
    if not r.default_enabled or r.name in disabled:
        return False
    return any(_matches(r, s) for s in selectors)


def _counter(encoding: str, defer: bool) -> TokenCounter:
    """A counter; with ``defer`` (a worker process) one that never loads tiktoken: the compiled
    counter where the encoding has one (about 10 MB), deferring only what it declines, else
    one that defers every count to the parent."""
    if not defer:
        return TokenCounter(encoding)
    if has_compiled_counter(encoding):  # loaded on the first count: most files need none
        return TokenCounter(encoding, compiled_only=True)
    return DeferredCounter(encoding)


class Analyzer:
    """Analyses lines for one file's settings; results are cached by line text."""

    def __init__(self, settings: Settings, path: str | None = None,
                 defer_tokens: bool = False) -> None:
        self.settings = settings.for_path(path)
        self.rules = RuleSet(self.settings)
        model = get_model(self.settings.model)
        from tunelint.models import encoding_for

        self.run = RunContext(
            settings=self.settings,
            profile=get_profile(self.settings.profile),
            model=model,
            counter=_counter(encoding_for(self.settings.model), defer_tokens),
            schema=load_schema(self.settings.schema, self.settings.root),
            path=path,
        )
        # (check, options, severity, applies) of the line rules and of each format's example
        # rules: unpacked by the loop that runs some 40 rules a line.
        self._line_calls = _calls(self.rules.line)
        self._example_calls = {f: _calls(rs) for f, rs in self.rules.example.items()}
        # Keyed by the packed text (see pack_line), the same object a document's entry keeps.
        self._cache: dict[str | bytes, LineResult] = {}
        self.cache_limit = 2_000_000
        off = self.run.schema is not None or self.settings.format == "none"
        self.plain_path = PlainChatPath(self.rules, model, off=off)
        self.shape_path = ShapePath(self.rules, _calls)
        self.tool_path = ToolChatPath(self.rules, self.shape_path, self.plain_path.limit, off)

    def analyze(self, text: str, packed: str | bytes | None = None) -> LineResult:
        key = pack_line(text) if packed is None else packed
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        result = self.analyze_fresh(text)
        if len(self._cache) >= self.cache_limit:
            self._cache.clear()
        self._cache[key] = result
        return result

    def forget(self) -> None:
        """Drop the cache (a server calls this once a big file is built: its entries already
        share the results, and the cache's table would stay as large as the file)."""
        self._cache = {}

    def analyze_fresh(self, text: str) -> LineResult:
        """Analyse without the cache (workers key their own by hash). Plain chat lines take the
        fast path (fastpath.py)."""
        if self.plain_path.formats or self.tool_path.enabled:
            try:
                raw = text.encode("utf-8")
            except UnicodeEncodeError:  # invalid bytes read from a file, kept as surrogates
                pass
            else:
                fast = self._fast(raw, lambda _raw: self._fresh(text))
                if fast is not None:
                    return fast
        return self._fresh(text)

    def _fast(self, raw: bytes, full: Callable[[bytes], LineResult]) -> LineResult | None:
        """The result of the plain fast path or of ToolChatPath (each may call ``full`` for the
        first line of its kind), or None when the line goes the whole way."""
        fast = self.plain_path.analyze(raw, full)
        if fast is None and self.tool_path.enabled:
            fast = self.tool_path.analyze(raw, full)
        return fast

    def _fresh(self, text: str) -> LineResult:
        try:
            return self._analyze(text)
        except TokensDeferred:
            return LineResult(kind=OBJECT, deferred=True)

    def analyze_bytes(self, raw: bytes) -> LineResult:
        """``analyze_fresh`` of a line read from a file (without its line end), decoded as
        ``decode_file_line`` does: the same result, but orjson parses the bytes themselves, and
        valid UTF-8 is neither encoded again nor searched for bad bytes (most lines of a real
        dataset are not ASCII). Plain chat lines take the fast path (fastpath.py)."""
        fast = self._fast(raw, self._analyze_bytes)
        return fast if fast is not None else self._analyze_bytes(raw)

    def _analyze_bytes(self, raw: bytes) -> LineResult:
        text, valid = decode_file_line(raw)
        try:
            # With invalid bytes, the text's surrogates encode back to exactly these bytes, which
            # is what orjson_input hands orjson, so the parse is the same either way.
            return self._analyze(text, raw, valid)
        except TokensDeferred:
            return LineResult(kind=OBJECT, deferred=True)

    def _analyze(self, text: str, raw: bytes | None = None, valid_utf8: bool = False
                 ) -> LineResult:
        ctx = LineContext(text=text, run=self.run, valid_utf8=valid_utf8, raw=raw)
        problems: list[Problem] = []
        obj: Any = None
        canonical: bytes | None = None
        if not text.strip():
            ctx.blank = True
            kind = BLANK
        else:
            try:
                obj = orjson.loads(orjson_input(text) if raw is None else raw)
                ctx.parsed = True
            except orjson.JSONDecodeError as e:
                ctx.error = find_syntax_error(text) or ScanError(
                    _orjson_pos(e), _orjson_message(e)
                )
            except Exception as e:  # noqa: BLE001 - never let a line crash the engine
                ctx.error = ScanError(0, f"cannot parse this line: {e}")
            kind = OBJECT if isinstance(obj, dict) else (NON_OBJECT if ctx.parsed else INVALID)
            ctx.obj = obj
            if kind == OBJECT:
                try:
                    canonical = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
                except (TypeError, orjson.JSONEncodeError):  # e.g. integers beyond 64 bits
                    canonical = orjson.dumps(
                        obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS,
                        default=str,
                    )
                ctx.facts["canonical"] = canonical
        fmt: str | None = None
        configured = self.settings.format
        if kind == OBJECT:
            detected = fm.detect_format(obj)
            # chat and reinforcement share `messages`: a configured one of them decides.
            messages_pair = {detected, configured} == {fm.CHAT, fm.REINFORCEMENT}
            if configured in fm.FORMATS and (detected in (None, configured) or messages_pair):
                fmt = configured
            elif configured != "none":
                fmt = detected
            ctx.facts["format"] = fmt
            ctx.facts["detected_format"] = detected
        self._run_all(self.rules.line, self._line_calls, ctx, problems)
        size = len(raw) if valid_utf8 and raw is not None else utf8_size(text)
        result = LineResult(kind=kind, format=fmt, size=size)
        if kind == OBJECT and canonical is not None:
            self._facts(result, obj, fmt, canonical, text)
            if fmt is not None:
                ectx = ExampleContext(obj=obj, format=fmt, text=text, run=self.run)
                # Tokens cannot exceed this: exact counting is needed only above the limit.
                ectx.facts["token_bound"] = fm.token_upper_bound(result.size, result.n_messages,
                                                                 result.n_images)
                rules, calls = self.rules.example[fmt], self._example_calls[fmt]
                shapes = self.shape_path
                shape = None
                if fmt == fm.CHAT and shapes.enabled and not result.n_images:
                    shape = shapes.key(obj)
                    if shape is not None and shape in shapes.clean:
                        rules, calls, shape = shapes.rest, shapes.rest_calls, None
                start = len(problems)
                self._run_all(rules, calls, ectx, problems)
                if shape is not None:
                    shapes.learn(shape, problems[start:])
                tokens = ectx.facts.get("tokens")
                if isinstance(tokens, int):
                    result.tokens = tokens
        result.problems = tuple(problems)
        return result

    def _facts(self, result: LineResult, obj: dict[str, Any], fmt: str | None, canonical: bytes,
               text: str) -> None:
        result.exact_key = line_key(canonical)
        result.norm_key = line_key(fm.normalized(canonical))
        if fmt is None:
            return
        pt = fm.prompt_and_target(obj, fmt, text)
        if pt is not None:
            result.prompt_key = line_key(pt[0])
            result.target_key = line_key(pt[1])
        msgs = fm._conversation(obj, fmt)
        result.n_messages = len(msgs) if msgs else 0
        # "_" first: one character is found by memchr, and most prose has none.
        result.n_images = fm.count_images(obj) if "_" in text and "image_url" in text else 0

    def _run_all(self, rules: list[ActiveRule], calls: list[_Call], ctx: Any,
                 problems: list[Problem]) -> None:
        """Run rules (``calls`` is ``_calls(rules)``) with one exception guard for the batch (the
        common case: no bug), skipping those that ``Rule.applies`` rules out.

        If any rule raises, the batch is re-run rule by rule so the others still report and the
        faulty one is named.
        """
        start = len(problems)
        try:
            decided: dict[Callable[[Any], bool], bool] = {}  # each test runs once
            for check, options, severity, applies in calls:
                if applies is not None:
                    ok = decided.get(applies)
                    if ok is None:
                        ok = decided[applies] = applies(ctx)
                    if not ok:
                        continue
                for p in check(ctx, options):
                    if p.severity is None:
                        p.severity = severity
                    problems.append(p)
        except TokensDeferred:
            raise
        except Exception:  # noqa: BLE001 - a rule bug must not take the file down
            del problems[start:]
            for active in rules:
                problems.extend(self._run(active, ctx))

    def _run(self, active: ActiveRule, ctx: Any) -> Iterable[Problem]:
        try:
            applies = active.rule.applies
            if applies is not None and not applies(ctx):
                return []
            found = list(active.rule.check(ctx, active.options))
        except TokensDeferred:
            raise
        except Exception as e:  # noqa: BLE001 - a rule bug must not take the file down
            log.exception("rule %s failed", active.rule.code)
            return [
                Problem(
                    active.rule.code,
                    f"internal error in rule {active.rule.name}: {type(e).__name__}: {e}",
                    severity=Severity.WARNING,
                )
            ]
        for p in found:
            if p.severity is None:
                p.severity = active.severity
        return found

    def exact_tokens(self, text: str, result: LineResult) -> int | None:
        """Exact tokens of an example (computed on demand and kept with the cached result)."""
        if result.tokens is not None or result.kind != OBJECT or result.format is None:
            return result.tokens
        try:
            obj = orjson.loads(orjson_input(text))
        except orjson.JSONDecodeError:
            return None
        result.tokens = fm.example_tokens(self.run.counter, obj, result.format)
        return result.tokens


def _orjson_pos(e: orjson.JSONDecodeError) -> int:
    return int(getattr(e, "pos", 0) or 0)


def _orjson_message(e: orjson.JSONDecodeError) -> str:
    msg = str(getattr(e, "msg", e))
    if "surrogates not allowed" in msg or "not valid UTF-8" in msg:
        return "the line is not valid UTF-8"
    return msg


def pack_line(text: str) -> str | bytes:
    """How a line is kept: ASCII as str, anything else as UTF-8 bytes.

    A Python str with one emoji stores every character in 4 bytes; a document of such lines
    would take three times its size. Surrogates (invalid UTF-8 read from a file) round-trip.
    """
    return text if text.isascii() else text.encode("utf-8", "surrogatepass")


def decode_file_line(raw: bytes) -> tuple[str, bool]:
    """A line read from a file as every reader decodes it (invalid bytes kept as surrogates),
    and whether it was valid UTF-8."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape"), False


def pack_raw(raw: bytes) -> str | bytes:
    """``pack_line(decode_line(raw))`` without decoding: an ASCII line as str, else its bytes."""
    return raw.decode("ascii") if raw.isascii() else raw


def decode_line(stored: str | bytes) -> str:
    """The text of a line as pack_line stored it."""
    return stored.decode("utf-8", "surrogatepass") if isinstance(stored, bytes) else stored


class Entry:
    """One line of a document: its text, its ending, its analysis and current index."""

    __slots__ = ("_raw", "ending", "result", "index", "epoch")

    def __init__(self, text: str | bytes, ending: str, result: LineResult, index: int,
                 epoch: int = 0) -> None:
        self._raw = text if isinstance(text, bytes) else pack_line(text)
        self.ending = ending
        self.result = result
        # ``index`` is the line number as of ``epoch`` shifts; Document._idx brings it up to date.
        self.index = index
        self.epoch = epoch

    @property
    def text(self) -> str:
        return decode_line(self._raw)

    @property
    def stored(self) -> str | bytes:
        """The text as kept (see pack_line): handed to another process without decoding."""
        return self._raw


# A key's lines in a dataset index: the entry alone, or a list once two or more share the key.
Group = Entry | list[Entry]


@dataclass
class Summary:
    path: str | None
    lines: int
    examples: int
    formats: dict[str, int]
    dataset_format: str | None
    errors: int
    warnings: int
    infos: int
    model: str
    profile: str
    messages_per_example: dict[str, float] = field(default_factory=dict)
    images: int = 0
    tokens: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


class Document:
    """A JSONL document as lines plus per-line results and dataset indexes.

    ``replace_lines`` is the incremental API: it costs in proportion to the lines it touches
    (plus a renumbering of later lines when the line count changes, done lazily).
    """

    def __init__(
        self,
        analyzer: Analyzer,
        text: str = "",
        path: str | None = None,
        file_size: int | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.path = path
        self.run = analyzer.run
        self.entries: list[Entry] = []
        self.bom = False
        self.file_size = file_size
        self.counterpart: Document | LeanDocument | None = None
        # The line-level diagnostics, sorted, kept between calls: an edit inside one line
        # patches its slice; a change of line count (indices shift) rebuilds it once.
        self._line_out: list[Diagnostic] | None = None
        # Line-count changes since the last renumbering, as (first moved index, delta): an
        # entry's current line is its stored index moved by the shifts after its epoch. This
        # keeps an inserted or deleted line from costing a pass over every later line.
        self._shifts: list[tuple[int, int]] = []
        self._flagged: set[Entry] = set()
        self._invalid: set[Entry] = set()
        self._format_lines: dict[str, set[Entry]] = {}
        # key -> the entry that has it, or a list once two or more do (most keys are unique:
        # a list per line would cost ~40 MB at 100k lines).
        self._dups: dict[str, dict[bytes, Group]] = {"exact": {}, "normalized": {}}
        self._prompts: dict[bytes, Group] = {}
        # Keys whose group has two or more lines: what dataset rules report, without scanning
        # every group on each edit.
        self._multi: dict[str, set[bytes]] = {"exact": set(), "normalized": set(), "prompt": set()}
        # Generation of each index that dataset rules read (see Rule.reads): bumped when a change
        # can alter what such a rule reports, so an edit elsewhere reuses its placed findings.
        self._gen: dict[str, int] = dict.fromkeys((*DATASET_INDEXES, "lines"), 0)
        self._dataset_out: dict[str, tuple[tuple[int, ...], list[Diagnostic],
                                           list[tuple[int, int]]]] = {}
        self._message_counts: Counter[int] = Counter()
        self._targets: Counter[bytes] = Counter()
        self._with_target = 0
        self._objects = 0
        # Token totals of the examples whose count is known, and the examples not counted yet:
        # statistics then cost the lines that changed, not the file.
        self._token_hist: Counter[int] = Counter()
        self._token_missing: set[Entry] = set()
        self._image_examples = 0
        self._bytes = 0
        self.set_text(text)

    # -- building and editing -------------------------------------------------------------

    def set_text(self, text: str) -> None:
        for e in self.entries:
            self._unindex(e)
        self.entries = []
        self._line_out = None
        if text.startswith("\ufeff"):
            self.bom = True
            text = text[1:]
        else:
            self.bom = False
        lines, endings = split_lines(text)
        self._gen["lines"] += 1
        self.entries = [
            self._make(t, end, i) for i, (t, end) in enumerate(zip(lines, endings))
        ]
        for e in self.entries:
            self._index(e)
        self._shifts = []

    def _make(self, text: str, ending: str, index: int, epoch: int = 0) -> Entry:
        packed = pack_line(text)
        return Entry(packed, ending, self.analyzer.analyze(text, packed), index, epoch)

    def replace_lines(self, start: int, end: int, new_text: str) -> None:
        """Replace lines ``start..end`` (end exclusive) with ``new_text`` split into lines.

        ``new_text`` has no final line end: the last new line keeps the ending of line end-1.
        """
        n = len(self.entries)
        start = max(0, min(start, n))
        end = max(start, min(end, n))
        if end == start + 1 and "\n" not in new_text and "\r" not in new_text:
            self._replace_one(start, new_text)  # the common edit: no line numbers move
            return
        tail_ending = self.entries[end - 1].ending if end > start else (
            "\n" if start < n else ""
        )
        lines, endings = split_lines(new_text)
        endings[-1] = tail_ending
        self._splice(start, end, [pack_line(t) for t in lines], endings, lines)

    def append_raw(self, data: bytes) -> None:
        """Append UTF-8 lines after the document's final line end (its last line is empty): how
        a big document is built a piece at a time without its text as one str (which takes 4
        bytes a character once it holds an emoji). Appended to an empty document, a leading BOM
        is taken as set_text takes it."""
        last = self.entries[-1]
        if last._raw != "":
            raise ValueError("append_raw needs a document that ends with a line end")
        if len(self.entries) == 1 and data.startswith(BOM_BYTES):
            self.bom = True
            data = data[len(BOM_BYTES):]
        lines, endings = split_raw_lines(data)
        endings[-1] = last.ending
        n = len(self.entries)
        self._splice(n - 1, n, [pack_raw(raw) for raw in lines], endings)

    def _splice(self, start: int, end: int, packed: list[str | bytes], endings: list[str],
                texts: list[str] | None = None) -> None:
        """Lines ``start..end`` become these (stored as pack_line does; ``texts``, if given, are
        their decoded texts), analysed and indexed."""
        old = self.entries[start:end]
        self._line_out = None
        for e in old:
            self._unindex(e)
        if len(packed) != len(old):
            self._shifts.append((end, len(packed) - len(old)))
            self._gen["lines"] += 1
        epoch = len(self._shifts)
        analyze = self.analyzer.analyze
        new = [Entry(p, en, analyze(decode_line(p) if texts is None else texts[i], p),
                     start + i, epoch)
               for i, (p, en) in enumerate(zip(packed, endings))]
        self.entries[start:end] = new
        for e in new:
            self._index(e)
        if len(self._shifts) > MAX_PENDING_SHIFTS:
            self._renumber()
        self._fix_final_ending()

    def apply_change(
        self, start: tuple[int, int], end: tuple[int, int], text: str
    ) -> None:
        """Apply an editor change: replace the range (line, column)–(line, column) by ``text``.

        Columns are code points. A range ending at the start of a line after the last one is
        clamped to the end of the document.
        """
        n = len(self.entries)
        (sl, sc), (el, ec) = start, end
        if sl >= n:
            sl, sc = n - 1, len(self.entries[-1].text)
        if el >= n:
            el, ec = n - 1, len(self.entries[-1].text)
        first, last = self.entries[sl], self.entries[el]
        joined = first.text[:sc] + text + last.text[ec:]
        if el > sl or "\n" in text or "\r" in text or joined != first.text:
            if el == sl and "\n" not in text and "\r" not in text:
                self._replace_one(sl, joined)
            else:
                self.replace_lines(sl, el + 1, joined)

    def _replace_one(self, line: int, text: str) -> None:
        e = self.entries[line]
        packed = pack_line(text)
        if e._raw == packed:
            return
        self._unindex(e)
        e._raw = packed
        e.result = self.analyzer.analyze(text, packed)
        self._index(e)
        out = self._line_out
        if out is not None:
            lo = bisect.bisect_left(out, line, key=_LINE)
            hi = bisect.bisect_right(out, line, key=_LINE)
            last = len(self.entries) - 1
            skip = line == last and e.result.kind == BLANK
            out[lo:hi] = [] if skip else sorted((_at_line(d, line) for d in self._placed(e, line)),
                                               key=_SORT_KEY)

    def _fix_final_ending(self) -> None:
        if self.entries and self.entries[-1].ending:
            self.entries[-1].ending = ""

    def _renumber(self) -> None:
        """Store every entry's current index (once per MAX_PENDING_SHIFTS line-count edits)."""
        for i, e in enumerate(self.entries):
            e.index = i
            e.epoch = 0
        self._shifts = []

    def _idx(self, e: Entry) -> int:
        """The entry's current line number."""
        shifts = self._shifts
        if e.epoch == len(shifts):
            return e.index
        idx = e.index
        for first, delta in shifts[e.epoch:]:
            if idx >= first:
                idx += delta
        e.index = idx
        e.epoch = len(shifts)
        return idx

    def _index(self, e: Entry) -> None:
        r = e.result
        self._bytes += r.size + len(e.ending)
        if r.problems:
            self._flagged.add(e)
        if r.kind == INVALID:
            self._invalid.add(e)
        if r.kind != OBJECT:
            self._gen["nonobject"] += 1
            return
        self._objects += 1
        if r.format is not None:
            self._format_lines.setdefault(r.format, set()).add(e)
            if r.tokens is not None:
                self._token_hist[r.tokens] += 1
            else:
                self._token_missing.add(e)
        self._message_counts[r.n_messages] += 1
        if r.exact_key is not None:
            self._add_to(self._dups["exact"], "exact", r.exact_key, e)
        if r.norm_key is not None:
            self._add_to(self._dups["normalized"], "normalized", r.norm_key, e)
        if r.prompt_key is not None:
            self._add_to(self._prompts, "prompt", r.prompt_key, e)
        if r.target_key is not None:
            self._targets[r.target_key] += 1
            self._with_target += 1
        if r.n_images:
            self._image_examples += 1

    def _unindex(self, e: Entry) -> None:
        r = e.result
        self._bytes -= r.size + len(e.ending)
        self._flagged.discard(e)
        self._invalid.discard(e)
        if r.kind != OBJECT:
            self._gen["nonobject"] += 1
            return
        self._objects -= 1
        if r.format is not None:
            self._format_lines.get(r.format, set()).discard(e)
            if e in self._token_missing:
                self._token_missing.discard(e)
            elif r.tokens is not None:
                self._token_hist[r.tokens] -= 1
                if self._token_hist[r.tokens] <= 0:
                    del self._token_hist[r.tokens]
        self._message_counts[r.n_messages] -= 1
        if self._message_counts[r.n_messages] <= 0:
            del self._message_counts[r.n_messages]
        for kind, key in (("exact", r.exact_key), ("normalized", r.norm_key)):
            if key is not None:
                self._remove_from(self._dups[kind], kind, key, e)
        if r.prompt_key is not None:
            self._remove_from(self._prompts, "prompt", r.prompt_key, e)
        if r.target_key is not None:
            self._targets[r.target_key] -= 1
            self._with_target -= 1
            if self._targets[r.target_key] <= 0:
                del self._targets[r.target_key]
        if r.n_images:
            self._image_examples -= 1

    def _add_to(self, table: dict[bytes, Group], kind: str, key: bytes, e: Entry) -> None:
        group = table.get(key)
        if group is None:
            table[key] = e
            return
        if isinstance(group, Entry):
            table[key] = [group, e]
            self._multi[kind].add(key)
        else:
            group.append(e)
        self._gen[kind] += 1

    def _remove_from(self, table: dict[bytes, Group], kind: str, key: bytes,
                     e: Entry) -> None:
        group = table.get(key)
        if group is None:
            return
        if isinstance(group, Entry):
            if group is e:
                del table[key]
            return
        for i, x in enumerate(group):
            if x is e:
                del group[i]
                break
        self._gen[kind] += 1
        if len(group) == 1:
            table[key] = group[0]
            self._multi[kind].discard(key)

    # -- text ------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        body = "".join(e.text + e.ending for e in self.entries)
        return ("\ufeff" + body) if self.bom else body

    def utf8(self) -> bytes:
        """The text as UTF-8, from the stored lines (never the whole text as one str, which
        takes 4 bytes a character once it holds an emoji)."""
        return b"".join(self.utf8_pieces(1 << 62, 1 << 62))

    def utf8_pieces(self, first: int, size: int) -> Iterator[bytes]:
        """The text as UTF-8 in pieces cut after line ends, each about ``size`` bytes (the first
        about ``first``), from the stored lines."""
        parts: list[bytes] = [BOM_BYTES] if self.bom else []
        n = len(parts[0]) if parts else 0
        target = first
        for e in self.entries:
            raw = e._raw
            line = raw if isinstance(raw, bytes) else raw.encode("ascii")
            parts.append(line)
            parts.append(e.ending.encode("ascii"))
            n += len(line) + len(e.ending)
            if n >= target:
                yield b"".join(parts)
                parts, n, target = [], 0, size
        if parts:
            yield b"".join(parts)

    # -- DatasetView -----------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        return len(self.entries)

    @property
    def example_count(self) -> int:
        return self._objects

    @property
    def byte_size(self) -> int:
        if self.file_size is not None:
            return self.file_size
        return self._bytes + (3 if self.bom else 0)

    def line_text(self, line: int) -> str:
        return self.entries[line].text

    def line_result(self, line: int) -> LineResult:
        return self.entries[line].result

    def line_ending(self, line: int) -> str:
        return self.entries[line].ending

    def line_kind(self, line: int) -> int:
        return self.entries[line].result.kind

    def line_keys(self, line: int) -> tuple[bytes | None, bytes | None]:
        """(exact key, target key) of a line."""
        r = self.entries[line].result
        return r.exact_key, r.target_key

    def has_bom(self) -> bool:
        return self.bom

    def counterpart_path(self) -> str | None:
        return self.counterpart.path if self.counterpart is not None else None

    def is_last_line(self, line: int) -> bool:
        return line == len(self.entries) - 1

    def dataset_format(self) -> str | None:
        return choose_dataset_format(
            self.run.settings.format, self.format_counts(),
            lambda f: min(self._idx(e) for e in self._format_lines[f]))

    def format_counts(self) -> Mapping[str, int]:
        return {f: len(s) for f, s in self._format_lines.items() if s}

    def lines_of_format(self, fmt: str) -> Iterator[int]:
        return iter(sorted(self._idx(e) for e in self._format_lines.get(fmt, ())))

    def key_repeats(self, kind: str) -> Iterator[tuple[int, int]]:
        table = self._prompts if kind == "prompt" else self._dups[kind]
        repeats: list[tuple[int, int]] = []
        for key in self._multi[kind]:
            group = sorted(self._idx(e) for e in _members(table[key]))
            repeats.extend((line, group[0]) for line in group[1:])
        repeats.sort()
        return iter(repeats)

    def target_variety(self) -> tuple[int, int]:
        """(distinct targets, examples with a target)."""
        return len(self._targets), self._with_target

    def image_example_count(self) -> int:
        return self._image_examples

    def invalid_line_count(self) -> int:
        return len(self._invalid)

    def first_invalid_lines(self, limit: int) -> list[int]:
        return sorted(self._idx(e) for e in self._invalid)[:limit]

    def counterpart_overlap(self) -> Iterator[tuple[int, int]]:
        """(line here, line in the other file) for examples present in both files, in line
        order."""
        other = self.counterpart
        if other is None:
            return
        found: list[tuple[int, int]] = []
        for key, group in self._dups["exact"].items():
            first_other = other.first_line_of_exact_key(key)
            if first_other is not None:
                found.extend((self._idx(e), first_other) for e in _members(group))
        found.sort()
        yield from found

    def first_line_of_exact_key(self, key: bytes) -> int | None:
        """The first line whose exact duplicate key is ``key`` (None: no such line)."""
        group = self._dups["exact"].get(key)
        return None if group is None else min(self._idx(e) for e in _members(group))

    # -- diagnostics -----------------------------------------------------------------------

    def diagnostics(self) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        last = len(self.entries) - 1
        if self._line_out is None:
            rebuilt: list[Diagnostic] = []
            for e in self._flagged:
                line = self._idx(e)
                if line == last and e.result.kind == BLANK:
                    continue  # the empty segment after the final newline
                rebuilt.extend(_at_line(d, line) for d in self._placed(e, line))
            rebuilt.sort(key=_SORT_KEY)
            self._line_out = rebuilt
        out.extend(self._line_out)
        suppressed: list[tuple[int, int]] = []
        for active in self.analyzer.rules.dataset:
            found, hidden = self._dataset_findings(active, last)
            out.extend(found)
            suppressed.extend(hidden)
        # Counted before suppression: a dataset finding can hide more line findings than it adds.
        with_dataset = len(out) > len(self._line_out)
        if suppressed:
            out = [d for d in out if not _is_suppressed(d, suppressed)]
        if with_dataset:
            out.sort(key=_SORT_KEY)  # a sorted run plus a few dataset findings: a cheap merge
        return out

    def _dataset_findings(self, active: ActiveRule, last: int
                          ) -> tuple[list[Diagnostic], list[tuple[int, int]]]:
        """One dataset rule's placed findings and the line ranges it suppresses.

        A rule that declares the indexes it reads is re-run only when one of them (or the line
        numbering) changed since its last run: an edit elsewhere reuses its findings.
        """
        reads = active.rule.reads
        stamp: tuple[int, ...] = ()
        if reads is not None:
            stamp = (self._gen["lines"], *(self._gen[k] for k in reads))
            hit = self._dataset_out.get(active.rule.code)
            if hit is not None and hit[0] == stamp:
                return hit[1], hit[2]
        placed, hidden = run_dataset_rule(self, active, last)
        if reads is not None:
            self._dataset_out[active.rule.code] = (stamp, placed, hidden)
        return placed, hidden

    def line_diagnostics(self, line: int) -> list[Diagnostic]:
        """Diagnostics of one line (for hovers and code actions), placed at that line."""
        return [_at_line(d, line) for d in self._placed(self.entries[line], line)]

    def _placed(self, e: Entry, line: int) -> tuple[Diagnostic, ...]:
        return placed_problems(self, e.result, lambda: e.text)

    # -- summary ---------------------------------------------------------------------------

    def summary(self, with_tokens: bool = False, diagnostics: Sequence[Diagnostic] | None = None
                ) -> Summary:
        n = len(self.entries)
        return build_summary(
            self, self.diagnostics() if diagnostics is None else diagnostics, with_tokens,
            lines=n - (1 if n > 1 and self.entries[-1].result.kind == BLANK else 0),
            examples=self._objects, images=self._image_examples,
            message_counts=self._message_counts)

    def tokens_to_count(self) -> list[tuple[LineResult, str]]:
        """(result, text) of the examples whose tokens are not known yet."""
        return [(e.result, e.text) for e in self._token_missing if e.result.tokens is None]

    def entries_to_count(self) -> list[Entry]:
        """The lines whose examples have no exact token count yet: a snapshot (the document
        may change while they are counted), of entries rather than (result, text) pairs, which
        would take 64 bytes a line more for the whole count."""
        return [e for e in self._token_missing if e.result.tokens is None]

    def token_histogram(self, count: Callable[[list[tuple[LineResult, str]]], None] | None
                        ) -> Counter[int]:
        """Token totals -> number of examples. ``count`` (if given) tokenizes the examples not
        counted yet; a result may also have been counted elsewhere since its line was indexed."""
        if self._token_missing:
            if count is not None:
                count(self.tokens_to_count())
            for e in list(self._token_missing):
                if e.result.tokens is not None:
                    self._token_missing.discard(e)
                    self._token_hist[e.result.tokens] += 1
            if not self._token_missing:
                self._token_missing = set()  # a set keeps its table when emptied (4 MB at 100k)
        return self._token_hist

    def token_stats(self, num_threads: int = 2) -> dict[str, Any]:
        from tunelint.stats import token_stats

        return token_stats(self, num_threads=num_threads)


def _counter_stats(counts: Counter[int]) -> dict[str, float]:
    """min/max/mean/median of a multiset kept as value -> count (cost: distinct values)."""
    total = sum(counts.values())
    values = sorted(counts)
    mean = sum(v * c for v, c in counts.items()) / total
    half, seen, median = (total - 1) / 2, 0, float(values[0])
    lower: float | None = None
    for v in values:
        seen += counts[v]
        if lower is None and seen > int(half):
            lower = v
        if seen > int(half + 0.5):
            median = (lower + v) / 2 if lower is not None else float(v)
            break
    return {"min": values[0], "max": values[-1], "mean": round(mean, 2), "median": median}


def build_summary(doc: Any, diagnostics: Iterable[Diagnostic], with_tokens: bool, *, lines: int,
                  examples: int, images: int, message_counts: Counter[int]) -> Summary:
    """The dataset summary of a Document or LeanDocument, from the counts each keeps."""
    sev = Counter(d.severity for d in diagnostics)
    s = Summary(
        path=doc.path,
        lines=lines,
        examples=examples,
        formats=dict(doc.format_counts()),
        dataset_format=doc.dataset_format(),
        errors=sev.get(Severity.ERROR, 0),
        warnings=sev.get(Severity.WARNING, 0),
        infos=sev.get(Severity.INFO, 0) + sev.get(Severity.HINT, 0),
        model=doc.run.settings.model,
        profile=doc.run.settings.profile,
        images=images,
    )
    if message_counts:
        s.messages_per_example = _counter_stats(message_counts)
    if with_tokens:
        s.tokens = doc.token_stats()
    return s


def choose_dataset_format(configured: str | None, counts: Mapping[str, int],
                          first_line: Callable[[str], int]) -> str | None:
    """The configured format, else the format of most examples (a tie goes to the format of
    the earliest line, which keeps it stable for users)."""
    if configured in fm.FORMATS:
        return configured
    if configured == "none" or not counts:
        return None
    best = max(counts.values())
    tied = [f for f, c in counts.items() if c == best]
    if len(tied) == 1:
        return tied[0]
    return min(tied, key=first_line)


def run_dataset_rule(doc: Any, active: ActiveRule, last: int
                     ) -> tuple[list[Diagnostic], list[tuple[int, int]]]:
    """One dataset rule's findings placed, and the line ranges they suppress (a pretty-printed
    object's lines are one finding, not one per line). ``doc``: a Document or LeanDocument."""
    try:
        problems = list(active.rule.check(doc, active.options))
    except Exception as ex:  # noqa: BLE001 - a rule bug must not take the file down
        log.exception("dataset rule %s failed", active.rule.code)
        problems = [Problem(active.rule.code, f"internal error: {ex}", line=0,
                            severity=Severity.WARNING)]
    placed: list[Diagnostic] = []
    hidden: list[tuple[int, int]] = []
    for p in problems:
        if p.data and "suppress" in p.data:
            first, end = p.data["suppress"]
            hidden.append((first, end))
        placed.append(place_dataset_problem(doc, active, p, last))
    return placed, hidden


def place_dataset_problem(doc: Any, active: ActiveRule, p: Problem, last: int) -> Diagnostic:
    if p.severity is None:
        p.severity = active.severity
    line = max(0, min(p.line if p.line is not None else 0, last))
    return place_problem(doc, doc.line_text(line), p, line)


def stream_dataset_rule(doc: Any, active: ActiveRule, last: int) -> Iterator[Diagnostic]:
    """A dataset rule's findings placed one at a time (``Rule.in_line_order``). A rule that
    fails is reported where it stopped, keeping the order."""
    line = 0
    try:
        for p in active.rule.check(doc, active.options):
            d = place_dataset_problem(doc, active, p, last)
            line = d.line
            yield d
    except Exception as ex:  # noqa: BLE001 - a rule bug must not take the file down
        log.exception("dataset rule %s failed", active.rule.code)
        failed = Problem(active.rule.code, f"internal error: {ex}", line=line,
                         severity=Severity.WARNING)
        yield place_dataset_problem(doc, active, failed, last)


def placed_problems(doc: Any, r: LineResult, text: Callable[[], str]) -> tuple[Diagnostic, ...]:
    """A line's problems placed at line 0 (``_at_line`` moves them), computed once per distinct
    text and kept with its result; ``text`` is called only then."""
    if r.placed is None:
        line_text = text()
        r.placed = tuple(place_problem(doc, line_text, p, 0) for p in r.problems)
    return r.placed


def place_problem(doc: Any, text: str, p: Problem, line: int) -> Diagnostic:
    """A problem of line ``line`` (whose text is ``text``) placed: columns, related lines.

    ``doc`` is a Document or a LeanDocument: its analyzer, line_count and line_text.
    """
    if p.span is not None:
        start, end = p.span
    else:
        start, end = locate(text, p.pointer, p.part)
    rule = doc.analyzer.rules.by_code.get(p.code)
    name = rule.rule.name if rule else p.code
    related = []
    for rel in p.related:
        # Line -1 means "this line": example rules do not know their line number.
        rline = line if rel.line < 0 else rel.line
        if 0 <= rline < doc.line_count:
            rtext = text if rel.line < 0 else doc.line_text(rline)
            rs, re_ = locate(rtext, rel.pointer, "value")
            related.append((rel.line if rel.line < 0 else rline, rs, re_, rel.message))
    end_line = p.end_line if p.end_line is not None else line
    if end_line != line and p.span is None:
        end = len(doc.line_text(end_line)) if end_line < doc.line_count else end
    return Diagnostic(
        line=line,
        column=start,
        end_line=end_line,
        end_column=end,
        code=p.code,
        name=name,
        severity=p.severity or Severity.WARNING,
        message=p.message,
        fix=p.fix,
        related=related,
        data=p.data,
    )


def _members(group: Group) -> list[Entry]:
    return [group] if isinstance(group, Entry) else group


def _at_line(d: Diagnostic, line: int) -> Diagnostic:
    related = d.related
    if any(r[0] < 0 for r in related):
        related = [(line if r[0] < 0 else r[0], r[1], r[2], r[3]) for r in related]
    return Diagnostic(
        line=line,
        column=d.column,
        end_line=line + (d.end_line - d.line),
        end_column=d.end_column,
        code=d.code,
        name=d.name,
        severity=d.severity,
        message=d.message,
        fix=d.fix,
        related=related,
        data=d.data,
    )


def _is_suppressed(d: Diagnostic, ranges: list[tuple[int, int]]) -> bool:
    if d.code not in ("TL101", "TL103", "TL006"):
        return False
    return any(a <= d.line <= b for a, b in ranges)
