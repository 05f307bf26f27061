"""Readable messages for jsonschema validation errors, each with the place it refers to."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError, best_match, relevance

from tunelint.jsonscan import join_pointer
from tunelint.problems import Part

from ._tooling import json_type


@dataclass(slots=True)
class Finding:
    path: tuple[str | int, ...]
    part: Part  # "value" or "key"
    message: str


def pointer_of(path: Iterable[str | int], base: str = "") -> str:
    p = base
    for token in path:
        p = join_pointer(p, token)
    return p


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for token in path:
        if isinstance(token, int):
            out += f"[{token}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token):
            out += ("." if out else "") + token
        else:
            out += f"[{token!r}]"
    return out


def short(value: Any, limit: int = 40) -> str:
    """A value as JSON-ish text, cut to ``limit`` characters."""
    if isinstance(value, str):
        text = repr(value) if len(value) <= limit else repr(value[:limit]) + "…"
        return text
    if isinstance(value, (dict, list)):
        return json_type(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _types(t: Any) -> str:
    if isinstance(t, list):
        names = [str(x) for x in t]
        return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    return str(t)


def _choices(values: Iterable[Any], limit: int = 8) -> str:
    vals = list(values)
    shown = ", ".join(short(v) for v in vals[:limit])
    return shown + (f", … ({len(vals)} values)" if len(vals) > limit else "")


def _pattern_props_match(schema: dict[str, Any], key: str) -> bool:
    for pattern in schema.get("patternProperties", {}) or {}:
        try:
            if re.search(pattern, key):
                return True
        except re.error:
            continue
    return False


def _best_branch_error(error: ValidationError) -> list[Finding] | None:
    """For a failed oneOf/anyOf: the findings of the alternative that fits best.

    Alternatives whose type does not even match the value are dropped; when all remaining ones
    fail only on the same enum/const (a discriminator such as ``role``), their allowed values
    are merged; otherwise the alternative with the fewest errors wins, and its deepest error is
    described.
    """
    depth = len(error.absolute_path)
    branches: dict[Any, list[ValidationError]] = {}
    for c in error.context or ():
        key = c.relative_schema_path[0] if c.relative_schema_path else None
        branches.setdefault(key, []).append(c)
    fitting = [errs for errs in branches.values()
               if not any(len(e.absolute_path) == depth and e.validator == "type" for e in errs)]
    if not fitting:
        best = best_match(error.context or (), key=relevance)
        return list(describe(best)) if best is not None else None
    # A discriminator: an enum/const path most alternatives reject (e.g. a message's `role`).
    counts: dict[tuple[Any, ...], int] = {}
    for errs in fitting:
        for p in {tuple(e.absolute_path) for e in errs if e.validator in ("enum", "const")}:
            counts[p] = counts.get(p, 0) + 1
    common = max(counts, key=lambda p: counts[p]) if counts else None
    if common is not None and counts[common] >= 2:
        def rejects(errs: list[ValidationError]) -> ValidationError | None:
            return next((e for e in errs if tuple(e.absolute_path) == common
                         and e.validator in ("enum", "const")), None)

        preferred = [errs for errs in fitting if rejects(errs) is None]
        if preferred:
            fitting = preferred
        else:
            allowed: list[Any] = []
            first: ValidationError | None = None
            for errs in fitting:
                e = rejects(errs)
                assert e is not None
                first = first or e
                values = e.validator_value if e.validator == "enum" else [e.validator_value]
                for v in values if isinstance(values, list) else [values]:
                    if v not in allowed:
                        allowed.append(v)
            assert first is not None
            return [Finding(tuple(first.absolute_path), "value",
                            f"must be one of {_choices(allowed)}; got {short(first.instance)}")]
    errs = min(fitting, key=len)
    deepest = max(errs, key=lambda e: len(e.absolute_path))
    return list(describe(deepest))


def describe(error: ValidationError) -> Iterator[Finding]:
    """One or more findings for an error (an ``additionalProperties`` error names each key)."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        here = list(error.absolute_path)
        same = [c for c in error.context if list(c.absolute_path) == here]
        if same and len(same) == len(error.context) and all(c.validator == "type"
                                                            for c in same):
            wanted: list[str] = []
            for c in same:
                for t in c.validator_value if isinstance(c.validator_value, list) else [
                        c.validator_value]:
                    if t not in wanted:
                        wanted.append(str(t))
            yield Finding(tuple(error.absolute_path), "value",
                          f"expected {_types(wanted)}, got {json_type(error.instance)}")
            return
        best = _best_branch_error(error)
        if best is not None:
            yield from best
            return
    path = tuple(error.absolute_path)
    v, val, inst = error.validator, error.validator_value, error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if v == "required":
        missing = error.message.split("'")[1] if error.message.count("'") >= 2 else str(val)
        yield Finding(path, "key", f"missing required property '{missing}'")
        return
    if v in ("additionalProperties", "unevaluatedProperties") and isinstance(inst, dict):
        props = schema.get("properties", {}) or {}
        extras = [k for k in inst if k not in props and not _pattern_props_match(schema, k)]
        if not extras:
            yield Finding(path, "value", error.message)
        for k in extras:
            yield Finding((*path, k), "key", f"unexpected property '{k}'")
        return
    if v == "type":
        yield Finding(path, "value", f"expected {_types(val)}, got {json_type(inst)}")
    elif v == "enum":
        yield Finding(path, "value", f"must be one of {_choices(val)}; got {short(inst)}")
    elif v == "const":
        yield Finding(path, "value", f"must be {short(val)}; got {short(inst)}")
    elif v == "minLength":
        yield Finding(path, "value", f"must be at least {val} characters long")
    elif v == "maxLength":
        yield Finding(path, "value", f"must be at most {val} characters long ({len(inst)})")
    elif v == "minItems":
        yield Finding(path, "value", f"must have at least {val} items ({len(inst)})")
    elif v == "maxItems":
        yield Finding(path, "value", f"must have at most {val} items ({len(inst)})")
    elif v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": "≥", "maximum": "≤", "exclusiveMinimum": ">",
              "exclusiveMaximum": "<"}[v]
        yield Finding(path, "value", f"must be {op} {val}; got {short(inst)}")
    elif v == "pattern":
        yield Finding(path, "value", f"{short(inst)} does not match the pattern {val}")
    elif v == "format":
        yield Finding(path, "value", f"{short(inst)} is not a valid {val}")
    elif v == "uniqueItems":
        yield Finding(path, "value", "items must be unique")
    elif v in ("minProperties", "maxProperties"):
        word = "at least" if v == "minProperties" else "at most"
        yield Finding(path, "value", f"must have {word} {val} properties")
    elif v in ("oneOf", "anyOf"):
        yield Finding(path, "value", "matches none of the allowed shapes")
    elif v == "not":
        yield Finding(path, "value", "matches a shape that is not allowed")
    elif v is False or error.message.startswith("False schema"):
        yield Finding(path, "value", "no value is allowed here")
    else:
        msg = error.message
        yield Finding(path, "value", msg if len(msg) <= 200 else msg[:200] + "…")


def findings(errors: Iterable[ValidationError], limit: int = 5, scan_limit: int = 50
             ) -> tuple[list[Finding], int]:
    """The first ``limit`` findings (sorted by place) and how many more there were."""
    out: list[Finding] = []
    for i, e in enumerate(errors):
        if i >= scan_limit:
            break
        out.extend(describe(e))
    out.sort(key=lambda f: tuple((0, t, "") if isinstance(t, int) else (1, 0, t) for t in f.path))
    return out[:limit], max(0, len(out) - limit)
