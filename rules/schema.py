r"""Line that does not match the JSON Schema set in the `schema` setting.

## What it does
When a JSON Schema is configured (`schema = "line-schema.json"` in `[tool.tunelint]`, a path
relative to the config file, or an inline table; `per-file-schemas` picks one by glob), validates
every line that parses against it. The validator follows the schema's `$schema` (draft 2020-12
when absent), checks `format` keywords, and is built once per schema. Each error is reported at
its place in the line with a readable message ("missing required property 'source'", "expected
integer, got string", "must be one of …"), at most 5 per line. Works with every `format`,
including `format = "none"` for JSONL files that are not training data.

## Why is this bad?
Your own pipeline's contract (extra metadata fields, id formats, allowed labels) is as much a
reason for a job or an evaluation to fail as the provider's format.

## Example
```jsonl {"schema": {"type": "object", "required": ["messages", "meta"], "properties": {"meta": {"type": "object", "properties": {"source": {"enum": ["web", "manual"]}}}}}}
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "meta": {"source": "forum"}}
```

Use instead:
```jsonl {"schema": {"type": "object", "required": ["messages", "meta"], "properties": {"meta": {"type": "object", "properties": {"source": {"enum": ["web", "manual"]}}}}}}
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "meta": {"source": "web"}}
```

## Fix
None.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from tunelint.context import LineContext
from tunelint.rules import Problem, Rule, Severity

from ._schema_messages import dotted, findings, pointer_of

MAX_ERRORS = 5

# id(schema) -> (schema, validator). The schema object is kept so its id cannot be reused while
# the entry lives. Schemas arrive checked: config.load_schema rejects an invalid one once, as a
# configuration error, instead of an error on every line.
_VALIDATORS: dict[int, tuple[Any, Validator]] = {}


def _validator(schema: Any) -> Validator:
    entry = _VALIDATORS.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    if len(_VALIDATORS) > 32:
        _VALIDATORS.clear()
    cls = validator_for(schema, default=Draft202012Validator) if isinstance(schema, dict) else (
        Draft202012Validator)
    v: Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    _VALIDATORS[id(schema)] = (schema, v)
    return v


def check(ctx: LineContext, opts: dict[str, Any]) -> Iterator[Problem]:
    schema = ctx.run.schema
    if schema is None or not ctx.parsed:
        return
    found, more = findings(_validator(schema).iter_errors(ctx.obj), limit=MAX_ERRORS)
    for k, f in enumerate(found):
        where = dotted(f.path[:-1] if f.message.startswith("unexpected") else f.path)
        message = f"schema: {where + ': ' if where else ''}{f.message}"
        if more and k == len(found) - 1:
            message += f" (and {more} more)"
        yield Problem("TL107", message, pointer=pointer_of(f.path), part=f.part)


RULE = Rule(
    code="TL107",
    name="schema",
    severity=Severity.ERROR,
    scope="line",
    check=check,
    doc=__doc__,
)
