"""Example rules' verdicts remembered by a line's shape, for the chat lines the fast path declines.

Lines with tool calls, tool definitions, weights, names or content parts go through the whole
engine (the plain fast path takes only role/content messages), and there some 35 example rules
cost most of a line's time. Yet such lines come in few shapes: the same tools, the same sequence
of roles and calls, different text. So each line's *shape* is computed (``ShapePath.key``): the
parsed example with

- each message's ``content`` string, and each ``text`` of a ``"type": "text"`` content part,
  replaced by its class: empty, only whitespace (``str.isspace``), or text;
- each tool call ``id`` and each ``tool_call_id`` string replaced by the order in which the line
  first names it (equal ids stay equal, different ids different) and, when tool-call-shape has an
  ``id_pattern``, whether the id matches it;
- each tool call's ``arguments`` string replaced by a marker;
- each image part's ``image_url.url`` that is an http(s) link replaced by a marker (image-format
  reads no more of it than that it is one; data URLs are kept);

and everything else (keys and their order, roles, names, weights, tools, other values) kept as
it is. Here lines with images are not shaped (data URLs are large and never repeat); the
compiled ToolChatPath below shapes them the same way.

The rules in ``SHAPE_CACHED`` read nothing of a line but what its shape keeps, the classes
above and the settings, so on two lines of the same shape they find nothing on both or on
neither. The first line of a shape runs every rule; when none of those rules found anything,
the shape is remembered, and later lines with it run only the other example rules: those that
read content text or arguments (special tokens, tool arguments, the token limit) and any rule
not listed here, which is how a rule added later stays exact until it is reviewed. A shape
whose first line has findings from a listed rule is not remembered (a finding quotes the line's
own ids or text), so its lines always run every rule.

Tests compare both ways on generated tool lines whose masked parts are varied
(tests/test_shapepath.py), and on the fixtures and real datasets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson
import xxhash

from tunelint import formats as fm

if TYPE_CHECKING:
    from tunelint.engine import ActiveRule, LineResult, RuleSet
    from tunelint.problems import Problem

log = logging.getLogger(__name__)

# Chat example rules whose verdict on a line is a function of its shape and the settings (each
# was read for what it looks at: keys, types, roles, names, weights, tools, call ids compared
# for equality or against tool-call-shape's id_pattern, content only as empty / whitespace /
# text). Left out, and so run on every line: special-token (content text), tool-args-json and
# tool-args-schema (arguments), example-too-long (the line's size and tokens).
SHAPE_CACHED = frozenset({
    "TL201", "TL202", "TL203", "TL204", "TL205", "TL206", "TL207",
    "TL301", "TL302", "TL303", "TL304", "TL305", "TL306", "TL307", "TL308", "TL309",
    "TL401", "TL402", "TL403", "TL451", "TL452", "TL453",
    "TL501", "TL502", "TL503", "TL504", "TL505", "TL507", "TL508",
    "TL601", "TL602", "TL603", "TL604",
})

# Shapes remembered per analyzer: a dataset has few; past this, lines just run every rule.
MAX_SHAPES = 50_000

_EMPTY, _BLANK, _TEXT, _ARGUMENTS, _URL = "", " ", "t", "a", "u"


def _text_class(text: str) -> str:
    return _EMPTY if not text else _BLANK if text.isspace() else _TEXT


def _is_http(url: Any) -> bool:
    return type(url) is str and url[:8].lower().startswith(("http://", "https://"))


def _part(part: Any) -> Any:
    if type(part) is dict and part.get("type") == "text" and type(part.get("text")) is str:
        masked = dict(part)
        masked["text"] = _text_class(part["text"])
        return masked
    if (type(part) is dict and part.get("type") == "image_url"
            and type(image := part.get("image_url")) is dict and _is_http(image.get("url"))):
        masked, masked_image = dict(part), dict(image)
        masked_image["url"] = _URL
        masked["image_url"] = masked_image
        return masked
    return part


class ShapePath:
    """The shapes of one Analyzer's rules and settings whose listed rules found nothing, and
    the rules a line of such a shape still runs."""

    def __init__(self, rules: RuleSet, calls: Callable[[list[ActiveRule]], list[Any]]) -> None:
        chat = rules.example.get(fm.CHAT, [])
        self.rest: list[ActiveRule] = [a for a in chat if a.rule.code not in SHAPE_CACHED]
        self.rest_calls = calls(self.rest)
        self.enabled = len(self.rest) < len(chat)
        shape_rule = rules.by_code.get("TL505")
        pattern = shape_rule.options.get("id_pattern") if shape_rule is not None else None
        self._id_match = re.compile(pattern).fullmatch if isinstance(pattern, str) else None
        self.clean: set[bytes] = set()

    def key(self, obj: Mapping[str, Any]) -> bytes | None:
        """The digest of the example's shape; None for one that is not shaped."""
        messages = obj.get("messages")
        if type(messages) is not list:
            return None
        ids: dict[str, str] = {}
        masked_messages: list[Any] = []
        for m in messages:
            if type(m) is not dict:
                masked_messages.append(m)
                continue
            masked = dict(m)
            content = m.get("content")
            if type(content) is str:
                masked["content"] = _text_class(content)
            elif type(content) is list:
                masked["content"] = [_part(p) for p in content]
            answered = m.get("tool_call_id")
            if type(answered) is str:
                masked["tool_call_id"] = self._id(answered, ids)
            calls = m.get("tool_calls")
            if type(calls) is list:
                masked["tool_calls"] = [self._call(c, ids) for c in calls]
            masked_messages.append(masked)
        shaped = dict(obj)
        shaped["messages"] = masked_messages
        try:
            return xxhash.xxh3_128_digest(orjson.dumps(shaped))
        except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
            return None

    def _id(self, value: str, ids: dict[str, str]) -> str:
        found = ids.get(value)
        if found is None:
            found = str(len(ids))
            if self._id_match is not None and self._id_match(value) is None:
                found += "!"
            ids[value] = found
        return found

    def _call(self, call: Any, ids: dict[str, str]) -> Any:
        if type(call) is not dict:
            return call
        masked = dict(call)
        if type(call.get("id")) is str:
            masked["id"] = self._id(call["id"], ids)
        fn = call.get("function")
        if type(fn) is dict and type(fn.get("arguments")) is str:
            masked_fn = dict(fn)
            masked_fn["arguments"] = _ARGUMENTS
            masked["function"] = masked_fn
        return masked

    def learn(self, key: bytes, problems: Iterable[Problem]) -> None:
        """Remember the shape of a line that ran every rule, if the listed ones found nothing."""
        if len(self.clean) < MAX_SHAPES and not any(p.code in SHAPE_CACHED for p in problems):
            self.clean.add(key)


# The example rules a line of a remembered shape still needs, which ToolChatPath does itself:
# special tokens (chat_line declines any string with "<|"), tool arguments (decoded here and
# validated against the called function's parameters) and the token limit (the line's bound).
TOOL_PATH_REST = frozenset({"TL404", "TL506", "TL509", "TL901"})

# Validation results by (validator, arguments): datasets repeat calls.
_VALID_CACHE_LIMIT = 8192


class ToolChatPath:
    """Chat lines the plain fast path declines, analysed without the rules once the first line
    of their shape came out clean: the compiled ``_fastline.chat_line`` writes their keys and
    shape in one pass over the bytes, and only the rules that read arguments run, here.

    What keeps this exact, as for the plain fast path (fastpath.py):

    - ``chat_line`` accepts a narrow grammar (its doc) and writes what orjson writes; its shape is
      at least as fine as ``ShapePath.key`` (it keeps key order, and masks the same parts).
    - Only line rules of ``fastpath.PLAIN_SAFE`` and chat rules of ``SHAPE_CACHED`` or
      ``TOOL_PATH_REST`` may be active; a rule added later turns this path off until reviewed.
    - The first line of each shape goes the whole way, and the shape is remembered only when
      that line has no problem at all (a rule run here per line may also report what the shape
      keeps, such as arguments written as an object) and its result equals the one built here.
    - A later line whose arguments are not a JSON object, do not fit their function's schema,
      or whose token bound passes the limit, goes the whole way.
    """

    def __init__(self, rules: RuleSet, shapes: ShapePath, limit: float, off: bool) -> None:
        from tunelint.engine import OBJECT, LineResult, line_key
        from tunelint.fastpath import AVAILABLE, _safe
        from tunelint.lean import FORMAT_CODES
        from tunelint.rules._tooling import fits

        self._result = LineResult
        self._object = OBJECT
        self._key = line_key
        self._shapes = shapes
        self._chat_code = FORMAT_CODES.index(fm.CHAT)
        self._fits = fits
        chat = rules.example.get(fm.CHAT, [])
        self.enabled = (
            AVAILABLE and not off and shapes.enabled and bool(chat)
            and all(a.rule.code in SHAPE_CACHED or a.rule.code in TOOL_PATH_REST for a in chat)
            # The line rules' verdicts hold for any line chat_line accepts (valid UTF-8, an
            # object without duplicate keys), as for a plain line; special tokens' options too.
            and all(_safe(a.rule.code, a.options) for a in rules.line)
            and all(_safe(a.rule.code, a.options) for a in chat if a.rule.code == "TL404"))
        self.limit = limit
        # Shape digest -> the validator of each masked arguments string (None where the rules
        # validate nothing), or None when the shape always goes the whole way.
        self.verdicts: dict[bytes, tuple[Any, ...] | None] = {}
        self._valid: dict[tuple[int, bytes], bool] = {}

    def analyze(self, raw: bytes, full: Callable[[bytes], LineResult]) -> LineResult | None:
        """The result of a chat line (through ``full`` for the first line of its shape), or None
        when the line must go the whole way."""
        from tunelint.fastpath import _fastline

        found = _fastline.chat_line(raw)
        if found is None:
            return None
        canonical, n_messages, n_images, prompt, target, shape, ids, arguments = found
        if fm.token_upper_bound(len(raw), n_messages, n_images) > self.limit:
            return None
        key = self._digest(shape, ids)
        if key not in self.verdicts:
            result = full(raw)
            if len(self.verdicts) < MAX_SHAPES:
                self.verdicts[key] = self._learn(raw, result, canonical, n_messages, n_images,
                                                 prompt, target)
            return result
        validators = self.verdicts[key]
        if validators is None or not self._arguments_fit(arguments, validators):
            return None
        return self._build(raw, canonical, n_messages, n_images, prompt, target)

    def line_code(self, shape: bytes, ids: tuple[str, ...], arguments: tuple[bytes, ...]
                  ) -> int | None:
        """``_fastline.plain_lines``' question on a chat line it scanned (within the token
        limit): the code of its format (and no problems) when its shape is remembered and its
        arguments fit, else None, and the line goes the whole way (where a new shape is
        learnt)."""
        validators = self.verdicts.get(self._digest(shape, ids))
        if validators is None or not self._arguments_fit(arguments, validators):
            return None
        return self._chat_code

    def _digest(self, shape: bytes, ids: tuple[str, ...]) -> bytes:
        match = self._shapes._id_match
        if ids and match is not None:
            shape += b"".join(b"1" if match(i) else b"0" for i in ids)
        return xxhash.xxh3_128_digest(shape)

    def _arguments_fit(self, arguments: tuple[bytes, ...], validators: tuple[Any, ...]) -> bool:
        """Whether tool-args-json and tool-args-schema find nothing in these arguments (False
        if checking them fails: the whole engine then reports what its rules make of them)."""
        try:
            return self._check_arguments(arguments, validators)
        except Exception:  # noqa: BLE001 - a line goes the whole way rather than stop a check
            log.debug("arguments check failed", exc_info=True)
            return False

    def _check_arguments(self, arguments: tuple[bytes, ...], validators: tuple[Any, ...]
                         ) -> bool:
        valid, fits = self._valid, self._fits
        for text, v in zip(arguments, validators):
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError:
                return False
            if type(value) is not dict:
                return False
            if v is not None:
                ok = valid.get((id(v), text))
                if ok is None:
                    ok = fits(v, value)
                    if len(valid) >= _VALID_CACHE_LIMIT:
                        valid.clear()
                    valid[(id(v), text)] = ok
                if not ok:
                    return False
        return True

    def _learn(self, raw: bytes, result: LineResult, canonical: bytes, n_messages: int,
               n_images: int, prompt: bytes | None, target: bytes | None
               ) -> tuple[Any, ...] | None:
        if (result.format != fm.CHAT or result.problems or result.deferred
                or result != self._build(raw, canonical, n_messages, n_images, prompt, target)):
            return None
        try:
            return _validators(orjson.loads(raw))
        except Exception:  # noqa: BLE001 - the shape then always goes the whole way
            log.debug("no validators for a shape", exc_info=True)
            return None

    def _build(self, raw: bytes, canonical: bytes, n_messages: int, n_images: int,
               prompt: bytes | None, target: bytes | None) -> LineResult:
        key = self._key
        result = self._result(
            kind=self._object, format=fm.CHAT, size=len(raw), n_messages=n_messages,
            n_images=n_images, exact_key=key(canonical),
            norm_key=key(fm.normalized(canonical)))
        if prompt is not None and target is not None:
            result.prompt_key = key(prompt)
            result.target_key = key(target)
        return result


def _validators(obj: dict[str, Any]) -> tuple[Any, ...]:
    """For each tool call's arguments string, in the order chat_line returns them, the validator
    tool-args-schema checks it with (None where it checks nothing)."""
    from tunelint.rules._tooling import declared_in, validator

    functions = declared_in(obj) or {}
    found: list[Any] = []
    for m in obj["messages"]:
        calls = m.get("tool_calls") if type(m) is dict else None
        if type(calls) is not list:
            continue
        for c in calls:
            fn = c.get("function") if type(c) is dict else None
            if type(fn) is not dict or type(fn.get("arguments")) is not str:
                continue
            name = fn.get("name")
            params = functions.get(name, {}).get("parameters") if type(name) is str else None
            found.append(validator(params) if isinstance(params, dict) else None)
    return tuple(found)
