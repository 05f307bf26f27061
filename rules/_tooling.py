"""Shared helpers of the tool rules (TL5xx): where tools and tool calls live in an example."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from tunelint.context import ExampleContext
from tunelint.quickschema import compile_check
from tunelint.rules._chat import roles

PREFERENCE_OUTPUT_KEYS = (
    "preferred_output",
    "non_preferred_output",
    "preferred_completion",
    "non_preferred_completion",
)


def holder(ctx: ExampleContext) -> tuple[dict[str, Any] | None, str]:
    """The object holding ``tools``/``parallel_tool_calls``/``functions``, and its pointer."""
    if ctx.format == "preference":
        inp = ctx.obj.get("input")
        return (inp if isinstance(inp, dict) else None), "/input"
    return ctx.obj, ""


_TOOL_HOLDER_KEYS = frozenset({"tools", "functions", "parallel_tool_calls"})
_CALL_KEYS = frozenset({"tool_calls", "function_call"})


def uses_tools(ctx: ExampleContext) -> bool:
    """Whether the example declares tools or functions, sets ``parallel_tool_calls``, has a
    message with ``tool_calls`` or ``function_call``, or a tool message: without any of these
    the tool rules have nothing to check (their ``Rule.applies``)."""
    h, _ = holder(ctx)
    if h is not None and not _TOOL_HOLDER_KEYS.isdisjoint(h):
        return True
    if ctx.format == "preference":
        sh = shape(ctx)  # the output messages count too
        return sh.tool_calls_key or sh.function_call_key or sh.tool_role
    return not _CALL_KEYS.isdisjoint(ctx.message_keys()) or "tool" in (roles(ctx) or ())


def all_messages(ctx: ExampleContext) -> Iterator[tuple[dict[str, Any], str]]:
    """Every message object with its pointer: the conversation, then DPO outputs."""
    for _i, m, ptr in ctx.iter_messages():
        yield m, ptr
    if ctx.format == "preference":
        for key in PREFERENCE_OUTPUT_KEYS:
            out = ctx.obj.get(key)
            if isinstance(out, list):
                for i, m in enumerate(out):
                    if isinstance(m, dict):
                        yield m, f"/{key}/{i}"


@dataclass(slots=True)
class Call:
    """One tool call (``tool_calls[i]``) or deprecated ``function_call`` of a message."""

    call: Any
    pointer: str
    deprecated: bool  # a ``function_call``

    @property
    def function(self) -> dict[str, Any] | None:
        if not isinstance(self.call, dict):
            return None
        if self.deprecated:
            return self.call
        fn = self.call.get("function")
        return fn if isinstance(fn, dict) else None

    @property
    def function_pointer(self) -> str:
        return self.pointer if self.deprecated else self.pointer + "/function"


def iter_calls(ctx: ExampleContext, deprecated: bool = True) -> Iterator[Call]:
    for call in shape(ctx).calls:
        if deprecated or not call.deprecated:
            yield call


@dataclass(slots=True)
class Shape:
    """What the tool and image rules look for, found in one walk over an example's messages
    and shared by all of them through ``ctx.facts`` (cheaper than searching the line's text)."""

    calls: list[Call] = field(default_factory=list)
    tool_calls_key: bool = False
    function_call_key: bool = False
    tool_role: bool = False
    # (role, part, pointer of the part) of every non-text content part
    media: list[tuple[Any, dict[str, Any], str]] = field(default_factory=list)
    _declared: Any = None
    _declared_done: bool = False


def shape(ctx: ExampleContext) -> Shape:
    found = ctx.facts.get("tunelint.shape")
    if found is not None:
        return found
    sh = Shape()
    for m, ptr in all_messages(ctx):
        if "tool_calls" in m:
            sh.tool_calls_key = True
            calls = m["tool_calls"]
            if isinstance(calls, list):
                for j, c in enumerate(calls):
                    sh.calls.append(Call(c, f"{ptr}/tool_calls/{j}", False))
        if "function_call" in m:
            sh.function_call_key = True
            if isinstance(m["function_call"], dict):
                sh.calls.append(Call(m["function_call"], f"{ptr}/function_call", True))
        if m.get("role") == "tool":
            sh.tool_role = True
        content = m.get("content")
        if isinstance(content, list):
            for j, part in enumerate(content):
                if isinstance(part, dict) and part.get("type", "text") != "text":
                    sh.media.append((m.get("role"), part, f"{ptr}/content/{j}"))
    ctx.facts["tunelint.shape"] = sh
    return sh


def declared(ctx: ExampleContext) -> dict[str, dict[str, Any]] | None:
    """Function definitions by name from ``tools`` and ``functions``; None when neither exists."""
    sh = shape(ctx)
    if not sh._declared_done:
        sh._declared = _declared(ctx)
        sh._declared_done = True
    result: dict[str, dict[str, Any]] | None = sh._declared
    return result


def _declared(ctx: ExampleContext) -> dict[str, dict[str, Any]] | None:
    h, _ = holder(ctx)
    return None if h is None else declared_in(h)


def declared_in(h: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """``declared`` of the object holding ``tools`` and ``functions``."""
    tools, functions = h.get("tools"), h.get("functions")
    if tools is None and functions is None:
        return None
    out: dict[str, dict[str, Any]] = {}
    if isinstance(tools, list):
        for t in tools:
            fn = t.get("function") if isinstance(t, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                out.setdefault(fn["name"], fn)
    if isinstance(functions, list):
        for fn in functions:
            if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                out.setdefault(fn["name"], fn)
    return out


def canonical(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


_SCHEMA_CHECKS: dict[bytes, SchemaError | None] = {}
_VALIDATORS: dict[bytes, Draft202012Validator] = {}
_CACHE_LIMIT = 4096


def schema_error(params: Any, key: bytes | None = None) -> SchemaError | None:
    """The first reason ``params`` is not a valid JSON Schema (cached by canonical JSON)."""
    key = key if key is not None else canonical(params)
    if key in _SCHEMA_CHECKS:
        return _SCHEMA_CHECKS[key]
    try:
        Draft202012Validator.check_schema(params)
        err: SchemaError | None = None
    except SchemaError as e:
        err = e
    if len(_SCHEMA_CHECKS) >= _CACHE_LIMIT:
        _SCHEMA_CHECKS.clear()
    _SCHEMA_CHECKS[key] = err
    return err


def validator(params: dict[str, Any]) -> Draft202012Validator | None:
    """A cached validator for a function's ``parameters``; None when it is not a valid schema."""
    key = canonical(params)
    v = _VALIDATORS.get(key)
    if v is not None:
        return v
    if schema_error(params, key) is not None:
        return None
    v = Draft202012Validator(params)
    if len(_VALIDATORS) >= _CACHE_LIMIT:
        _VALIDATORS.clear()
    _VALIDATORS[key] = v
    return v


# id(validator) -> (validator, its quick check or None): quickschema's closures per schema.
_QUICK: dict[int, tuple[Draft202012Validator, Callable[[Any], bool] | None]] = {}


def fits(v: Draft202012Validator, value: Any) -> bool:
    """``v.is_valid(value)``, through quickschema's check of ``v.schema`` where it has one."""
    hit = _QUICK.get(id(v))
    if hit is None or hit[0] is not v:
        if len(_QUICK) >= _CACHE_LIMIT:
            _QUICK.clear()
        hit = _QUICK[id(v)] = (v, compile_check(v.schema))
    check = hit[1]
    return check(value) if check is not None else bool(v.is_valid(value))


def decode_arguments(text: str) -> tuple[Any, int, str]:
    """Decode a tool call's arguments: (value, levels of extra string encoding, innermost text).

    The innermost text is the JSON text that decoded to ``value``. Raises orjson's
    ``JSONDecodeError`` when ``text`` is not JSON.
    """
    value = orjson.loads(text)
    levels = 0
    inner = text
    while isinstance(value, str) and levels < 5:
        s = value.strip()
        if not s or s[0] not in "{[\"":
            break
        try:
            decoded = orjson.loads(s)
        except orjson.JSONDecodeError:
            break
        inner, value = value, decoded
        levels += 1
    return value, levels, inner


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
