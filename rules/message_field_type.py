"""Message `name`, `refusal` or `audio` of a type the API rejects.

## What it does
Checks the optional fields of a message against the per-line schema:
- `name` must be a string (system, user, developer, assistant and function messages), and a
  deprecated `function` message must have one: the name of the function that answered;
- `refusal` of an assistant message must be a string or null;
- `audio` of an assistant message must be null or an object with a string `id` (the id of a
  previous audio response).

Messages of the conversation, of a preference (DPO) example's `input` and its output messages
are checked. Fields a role does not have are left to `message-unknown-key`, and `tool_call_id`
to `tool-response-mismatch`.

## Why is this bad?
The API rejects the line. A number or an object in these fields usually comes from exporting a
database row or a spreadsheet column as is: a numeric user id as `name`, a `false` flag where
the refusal text (or null) belongs.

## Example
```jsonl
{"messages": [{"role": "user", "name": 1042, "content": "Cancel order 5531."}, {"role": "assistant", "content": "Done: order 5531 is cancelled.", "refusal": false}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "name": "customer_1042", "content": "Cancel order 5531."}, {"role": "assistant", "content": "Done: order 5531 is cancelled.", "refusal": null}]}
```

## Fix
None: which string is meant is for you to decide.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import ExampleContext
from tunelint.rules import CHAT, PREFERENCE, REINFORCEMENT, Problem, Rule, Severity
from tunelint.rules._chat import extra_keys, roles, type_name

from ._tooling import PREFERENCE_OUTPUT_KEYS

# Roles whose schema has a string `name` (the tool message has none: message-unknown-key).
_NAMED = frozenset({"system", "user", "developer", "assistant", "function"})
_FIELDS = frozenset({"name", "refusal", "audio"})


def _message(m: dict[str, Any], role: Any, ptr: str, needs_name: bool) -> Iterator[Problem]:
    if role == "function" and needs_name and "name" not in m:
        yield Problem("TL207", "function message without `name`: give the function's name",
                      pointer=f"{ptr}/role")
    if m.keys().isdisjoint(_FIELDS) or type(role) is not str:
        return
    if role in _NAMED and "name" in m and type(m["name"]) is not str:
        yield Problem("TL207", f"`name` must be a string, not {type_name(m['name'])}",
                      pointer=f"{ptr}/name")
    if role != "assistant":
        return
    refusal = m.get("refusal")
    if refusal is not None and type(refusal) is not str:
        yield Problem("TL207", f"`refusal` must be a string or null, not {type_name(refusal)}",
                      pointer=f"{ptr}/refusal")
    audio = m.get("audio")
    if audio is None:
        return
    if type(audio) is not dict:
        yield Problem("TL207", f"`audio` must be an object with an `id`, not "
                      f"{type_name(audio)}", pointer=f"{ptr}/audio")
    elif "id" not in audio:
        yield Problem("TL207", "`audio` has no `id`: give the id of the audio response",
                      pointer=f"{ptr}/audio")
    elif type(audio["id"]) is not str:
        yield Problem("TL207", f"`audio.id` must be a string, not {type_name(audio['id'])}",
                      pointer=f"{ptr}/audio/id")


def _applies(ctx: ExampleContext) -> bool:
    # Nothing to check without one of these (most examples: only roles and contents).
    return ctx.format == PREFERENCE or extra_keys(ctx) or "function" in (roles(ctx) or ())


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    # Reinforcement examples have no function messages at all (their schema lists none).
    needs_name = ctx.format != REINFORCEMENT
    for _i, m, ptr in ctx.iter_messages():
        role = m.get("role")
        if role != "function" and m.keys().isdisjoint(_FIELDS):
            continue  # nothing to check (the common case), decided without a generator
        yield from _message(m, role, ptr, needs_name)
    if ctx.format != PREFERENCE:
        return
    # The output messages are assistant messages by the schema; a wrong role is dpo-shape's.
    for key in PREFERENCE_OUTPUT_KEYS:
        out = ctx.obj.get(key)
        if type(out) is not list:
            continue
        for i, m in enumerate(out):
            if type(m) is dict and m.get("role", "assistant") == "assistant":
                yield from _message(m, "assistant", f"/{key}/{i}", needs_name)


RULE = Rule(
    code="TL207",
    name="message-field-type",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({CHAT, PREFERENCE, REINFORCEMENT}),
    doc=__doc__,
    applies=_applies,
)
