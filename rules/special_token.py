"""Text containing a tokenizer special token such as `<|endoftext|>`.

## What it does
Reports message content (and text parts, DPO outputs and legacy prompt/completion text) that
contains a special token of the model's tiktoken encoding (`<|endoftext|>`, `<|endofprompt|>`,
and for cl100k models `<|fim_prefix|>`, `<|fim_middle|>`, `<|fim_suffix|>`), or one of the
tokens in the option `extra_tokens` (by default the FIM tokens, which OpenAI also rejects for
o200k models).

## Why is this bad?
The job fails after upload: "Example 6174 message contains an invalid token: <|fim_suffix|>"
(johny-b/llmcomp#59). tiktoken refuses to encode such text by default, and a model trained on it
learns to emit its own end-of-text marker.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Finish this: def f(<|fim_suffix|>"}, {"role": "assistant", "content": "def f(x): return x"}]}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Finish this: def f("}, {"role": "assistant", "content": "def f(x): return x"}]}
```

## Fix
None: remove the token or spell it differently (e.g. `<| endoftext |>`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from tunelint.context import ExampleContext
from tunelint.models import encoding_for
from tunelint.rules import Problem, Rule, Severity
from tunelint.tokens import special_tokens

DEFAULT_EXTRA = ["<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"]


@cache
def _pattern(encoding: str, extra: tuple[str, ...]) -> re.Pattern[str]:
    tokens = sorted(special_tokens(encoding) | set(extra), key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in tokens))


def _texts(content: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if type(content) is str:
        yield content, pointer
    elif type(content) is list:
        for j, part in enumerate(content):
            if type(part) is dict and type(part.get("text")) is str:
                yield part["text"], f"{pointer}/{j}/text"


def _messages(ctx: ExampleContext) -> Iterator[tuple[int, dict[str, Any], str]]:
    yield from ctx.iter_messages()
    if ctx.format == "preference":
        for key in ("preferred_output", "non_preferred_output", "preferred_completion",
                    "non_preferred_completion"):
            out = ctx.obj.get(key)
            if type(out) is list:
                for i, m in enumerate(out):
                    if type(m) is dict:
                        yield i, m, f"/{key}/{i}"


def check(ctx: ExampleContext, opts: dict[str, Any]) -> Iterator[Problem]:
    # A single character is found by memchr, several times faster than the pair.
    if "|" not in ctx.text or "<|" not in ctx.text:
        return
    extra = tuple(opts.get("extra_tokens") or ())
    pattern = _pattern(encoding_for(ctx.settings.model), extra)
    if ctx.format == "completion":
        found = [(ctx.obj.get(k), f"/{k}") for k in ("prompt", "completion")]
        sources = [(t, p) for t, p in found if type(t) is str]
    else:
        sources = [
            tp for _i, m, pointer in _messages(ctx)
            for tp in _texts(m.get("content"), f"{pointer}/content")
        ]
    for text, pointer in sources:
        if "<|" not in text:
            continue
        m = pattern.search(text)
        if m is not None:
            yield Problem(
                "TL404",
                f"the text contains the special token `{m.group()}`, which the API rejects: "
                "remove it",
                pointer=pointer,
            )


RULE = Rule(
    code="TL404",
    name="special-token",
    severity=Severity.ERROR,
    scope="example",
    check=check,
    formats=frozenset({"chat", "preference", "reinforcement", "completion"}),
    options={"extra_tokens": DEFAULT_EXTRA},
    doc=__doc__,
)
