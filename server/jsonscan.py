"""A position-aware JSON scanner for one line.

orjson parses valid lines fast but says little about where things are. This scanner runs only
where a position matters: on lines that fail to parse (to give the column and a message a person
understands) and on lines that have diagnostics (to map a JSON pointer to a column range).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

try:
    from tunelint import _fastline
except ImportError:  # built without a C compiler: the scan below does everything
    _fastline = None

MAX_DEPTH = 400  # _fastline.c's LOCATE_MAX_DEPTH

_WS = re.compile(r"[ \t\n\r]*")
_STRING_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_BAD_NUMBER = re.compile(r"[-+]?(?:[0-9.]+(?:[eE][+-]?[0-9]*)?|\.[0-9]+)")
_ESCAPES = set('"\\/bfnrtu')
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ScanError(Exception):
    """A syntax error at ``pos`` (a code-point offset in the line)."""

    def __init__(self, pos: int, message: str, end: int | None = None) -> None:
        super().__init__(message)
        self.pos = pos
        self.end = end if end is not None else pos + 1
        self.message = message


@dataclass(slots=True)
class Span:
    """Where one value sits: its value range, and for object members the key range too."""

    value_start: int
    value_end: int
    key_start: int = -1
    key_end: int = -1


@dataclass(slots=True)
class ScanResult:
    spans: dict[str, Span] = field(default_factory=dict)
    # (pointer of the member, span of its key) for every repeated key after the first.
    duplicate_keys: list[tuple[str, Span]] = field(default_factory=list)
    depth: int = 0


def escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def join_pointer(parent: str, token: str | int) -> str:
    return f"{parent}/{escape_pointer_token(str(token))}"


class _Scanner:
    def __init__(self, text: str, record: bool) -> None:
        self.text = text
        self.n = len(text)
        self.record = record
        self.result = ScanResult()

    def ws(self, pos: int) -> int:
        m = _WS.match(self.text, pos)
        return m.end() if m else pos

    def value(self, pos: int, pointer: str, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise ScanError(pos, f"nesting deeper than {MAX_DEPTH} levels")
        if depth > self.result.depth:
            self.result.depth = depth
        text = self.text
        if pos >= self.n:
            raise ScanError(pos, "unexpected end of line: a value is missing")
        ch = text[pos]
        if ch == "{":
            return self.object(pos, pointer, depth)
        if ch == "[":
            return self.array(pos, pointer, depth)
        if ch == '"':
            return self.string(pos)
        if ch == "-" or ch.isdigit():
            return self.number(pos)
        if text.startswith("true", pos):
            return pos + 4
        if text.startswith("false", pos):
            return pos + 5
        if text.startswith("null", pos):
            return pos + 4
        word = _WORD.match(text, pos)
        if word:
            w = word.group()
            if w in ("NaN", "Infinity"):
                raise ScanError(pos, f"{w} is not valid JSON: use null or a number", word.end())
            if w in ("True", "False", "None"):
                fixed = {"True": "true", "False": "false", "None": "null"}[w]
                raise ScanError(pos, f"{w} is Python, not JSON: write {fixed}", word.end())
            raise ScanError(pos, f"unexpected word '{w}': strings need double quotes", word.end())
        if ch == "'":
            raise ScanError(pos, "strings must use double quotes, not single quotes")
        if ch in "}]":
            raise ScanError(pos, f"unexpected '{ch}': a value is missing")
        if ch == ",":
            raise ScanError(pos, "unexpected ',': a value is missing")
        if ch == "+" or ch == ".":
            raise ScanError(pos, "invalid number")
        raise ScanError(pos, f"unexpected character {ch!r}")

    def object(self, pos: int, pointer: str, depth: int) -> int:
        text = self.text
        pos = self.ws(pos + 1)
        seen: set[str] = set()
        if pos < self.n and text[pos] == "}":
            return pos + 1
        while True:
            if pos >= self.n:
                raise ScanError(pos, "unexpected end of line: expected a property name or '}'")
            ch = text[pos]
            if ch != '"':
                if ch == "}":
                    raise ScanError(pos, "trailing comma before '}' is not allowed in JSON")
                if ch == "'":
                    raise ScanError(pos, "property names must use double quotes, not single")
                raise ScanError(pos, "expected a property name in double quotes")
            key_start = pos
            key_end = self.string(pos)
            key = self.decode_string(key_start, key_end)
            pos = self.ws(key_end)
            if pos >= self.n or text[pos] != ":":
                raise ScanError(pos, "expected ':' after the property name")
            pos = self.ws(pos + 1)
            child = join_pointer(pointer, key)
            value_start = pos
            pos = self.value(pos, child, depth + 1)
            if self.record:
                span = Span(value_start, pos, key_start, key_end)
                if key in seen:
                    self.result.duplicate_keys.append((child, span))
                else:
                    self.result.spans[child] = span
            elif key in seen:
                dup = Span(value_start, pos, key_start, key_end)
                self.result.duplicate_keys.append((child, dup))
            seen.add(key)
            pos = self.ws(pos)
            if pos >= self.n:
                raise ScanError(pos, "unexpected end of line: expected ',' or '}' (missing '}'?)")
            ch = text[pos]
            if ch == ",":
                pos = self.ws(pos + 1)
                continue
            if ch == "}":
                return pos + 1
            raise ScanError(pos, "expected ',' or '}' after an object member")

    def array(self, pos: int, pointer: str, depth: int) -> int:
        text = self.text
        pos = self.ws(pos + 1)
        if pos < self.n and text[pos] == "]":
            return pos + 1
        index = 0
        while True:
            if pos < self.n and text[pos] == "]":
                raise ScanError(pos, "trailing comma before ']' is not allowed in JSON")
            child = join_pointer(pointer, index)
            value_start = pos
            pos = self.value(pos, child, depth + 1)
            if self.record:
                self.result.spans[child] = Span(value_start, pos)
            index += 1
            pos = self.ws(pos)
            if pos >= self.n:
                raise ScanError(pos, "unexpected end of line: expected ',' or ']' (missing ']'?)")
            ch = text[pos]
            if ch == ",":
                pos = self.ws(pos + 1)
                continue
            if ch == "]":
                return pos + 1
            raise ScanError(pos, "expected ',' or ']' after an array element")

    def string(self, pos: int) -> int:
        """Return the position after the closing quote of the string starting at ``pos``."""
        text = self.text
        start = pos
        pos += 1
        while True:
            m = _STRING_CHUNK.match(text, pos)
            pos = m.end() if m else pos
            if pos >= self.n:
                raise ScanError(
                    start, "unterminated string: a string must end on the same line", self.n
                )
            ch = text[pos]
            if ch == '"':
                return pos + 1
            if ch == "\\":
                if pos + 1 >= self.n:
                    raise ScanError(start, "unterminated string", self.n)
                esc = text[pos + 1]
                if esc not in _ESCAPES:
                    raise ScanError(pos, f"invalid escape '\\{esc}' in a string", pos + 2)
                if esc == "u":
                    if not _HEX4.match(text, pos + 2):
                        raise ScanError(pos, "invalid \\u escape: needs four hex digits", pos + 2)
                    code = int(text[pos + 2 : pos + 6], 16)
                    if 0xD800 <= code <= 0xDBFF:
                        low = text[pos + 6 : pos + 12]
                        if not (
                            low.startswith("\\u")
                            and _HEX4.fullmatch(low[2:])
                            and 0xDC00 <= int(low[2:], 16) <= 0xDFFF
                        ):
                            raise ScanError(
                                pos, f"lone surrogate \\u{code:04x}: not valid Unicode", pos + 6
                            )
                        pos += 12
                        continue
                    if 0xDC00 <= code <= 0xDFFF:
                        raise ScanError(
                            pos, f"lone surrogate \\u{code:04x}: not valid Unicode", pos + 6
                        )
                    pos += 6
                    continue
                pos += 2
                continue
            # A raw control character.
            name = {"\t": "tab", "\n": "newline", "\r": "carriage return"}.get(ch)
            if name:
                escape = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}[ch]
                raise ScanError(pos, f"raw {name} inside a string: write it as {escape}")
            raise ScanError(pos, f"raw control character U+{ord(ch):04X} inside a string")

    def decode_string(self, start: int, end: int) -> str:
        raw = self.text[start + 1 : end - 1]
        if "\\" not in raw:
            return raw
        import json

        try:
            return str(json.loads(self.text[start:end]))
        except ValueError:
            return raw

    def number(self, pos: int) -> int:
        m = _NUMBER.match(self.text, pos)
        end = m.end() if m else pos
        bad = _BAD_NUMBER.match(self.text, pos)
        if bad and bad.end() > end:
            raise ScanError(pos, f"invalid number '{bad.group()}'", bad.end())
        if not m or end == pos or self.text[pos:end] == "-":
            if self.text.startswith("-Infinity", pos):
                raise ScanError(pos, "-Infinity is not valid JSON: use null or a number", pos + 9)
            raise ScanError(pos, "invalid number")
        return end


def scan(text: str, record: bool = True) -> ScanResult:
    """Scan one JSON text; raise ScanError at the first syntax error."""
    s = _Scanner(text, record)
    start = s.ws(0)
    if start >= s.n:
        raise ScanError(0, "empty line: expected a JSON object")
    end = s.value(start, "", 0)
    if record:
        s.result.spans[""] = Span(start, end)
    rest = s.ws(end)
    if rest < s.n:
        raise ScanError(
            rest,
            "unexpected text after the JSON value: one JSON value per line",
            s.n,
        )
    return s.result


def orjson_input(text: str) -> str | bytes:
    """What to hand orjson for a line that stays alive (a document's line).

    Given a non-ASCII str, orjson makes CPython cache a UTF-8 copy inside the str for as long as
    the str lives; encoding a temporary copy avoids that second copy of the file in memory.
    """
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text  # lone surrogates: orjson reports them


def find_syntax_error(text: str) -> ScanError | None:
    try:
        scan(text, record=False)
    except ScanError as e:
        return e
    except RecursionError:
        return ScanError(0, "nesting too deep to read")
    return None


def locate(text: str, pointer: str | None, part: str = "value") -> tuple[int, int]:
    """Column range of the value/key/member at ``pointer``; the whole line when unknown.

    A pointer that does not exist (e.g. a missing key) falls back to its nearest existing parent.
    """
    if pointer is None or pointer == "":
        # The root value of a line is the line without its surrounding whitespace: no scan
        # (dataset findings such as duplicates point here, thousands at a time).
        return _whole_line(text)
    found = _compiled_locate(text, pointer)
    if found is None:
        return _scanned_locate(text, pointer, part)
    depth, span = found
    return _range_of(span, depth < pointer.count("/"), part)


class LineSpans:
    """The spans of a valid line's values, looked up by pointer: by the compiled pass where it
    can answer (one pass along the pointer's path), else from one scan of the whole line, as
    ``scan(text).spans.get`` would answer. Raises ScanError (or RecursionError) as ``scan``
    does when the line does not parse."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._scanned: dict[str, Span] | None = None

    def get(self, pointer: str) -> Span | None:
        found = _compiled_locate(self.text, pointer) if pointer else None
        if found is not None:
            depth, span = found
            return span if depth == pointer.count("/") else None
        if self._scanned is None:
            self._scanned = scan(self.text).spans
        return self._scanned.get(pointer)


def _range_of(span: Span, missing: bool, part: str) -> tuple[int, int]:
    """The columns ``locate`` answers for the deepest existing value on a pointer's path."""
    if missing:
        # A missing member: point at its parent's opening bracket/key, not its whole body.
        if span.key_start >= 0:
            return span.key_start, span.key_end
        return span.value_start, min(span.value_end, span.value_start + 1)
    if part == "key" and span.key_start >= 0:
        return span.key_start, span.key_end
    if part == "member" and span.key_start >= 0:
        return span.key_start, span.value_end
    return span.value_start, span.value_end


def _compiled_locate(text: str, pointer: str) -> tuple[int, Span] | None:
    """``_fastline.locate``'s answer (how many of the pointer's tokens exist, and the span of
    the deepest), or None where the scan below must decide: no compiled module, text that is
    not valid UTF-8, a token that does not round-trip (``~`` not followed by 0 or 1), or a line
    the compiled pass declines."""
    if _fastline is None:
        return None
    tokens = _pointer_tokens(pointer)
    if tokens is None:
        return None
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    found = _fastline.locate(raw, tokens)
    if found is None:
        return None
    depth, value_start, value_end, key_start, key_end = found
    return depth, Span(value_start, value_end, key_start, key_end)


@functools.lru_cache(maxsize=4096)
def _pointer_tokens(pointer: str) -> tuple[str, ...] | None:
    """A pointer's unescaped tokens, or None if it is malformed (memoised: a file's problems
    use a handful of pointers, each thousands of times)."""
    if pointer[:1] != "/":
        return None
    raws = pointer.split("/")[1:]
    tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in raws)
    if "~" in pointer and any(escape_pointer_token(t) != raw for t, raw in zip(tokens, raws)):
        return None
    return tokens


def _scanned_locate(text: str, pointer: str, part: str) -> tuple[int, int]:
    try:
        spans = scan(text).spans
    except (ScanError, RecursionError):
        return _whole_line(text)
    p = pointer
    while True:
        span = spans.get(p)
        if span is not None:
            return _range_of(span, p != pointer, part)
        if not p:
            return _whole_line(text)
        # A malformed pointer without a leading "/" falls back to the root, not forever on itself.
        p = p.rsplit("/", 1)[0] if "/" in p else ""


def _whole_line(text: str) -> tuple[int, int]:
    stripped = len(text.rstrip())
    start = len(text) - len(text.lstrip())
    return (start, stripped) if stripped > start else (0, len(text))
