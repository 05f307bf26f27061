"""Dataset formats: detecting a line's format and the facts the dataset indexes need from it."""

from __future__ import annotations

import re
from typing import Any

import orjson

from tunelint import tokens as tk

try:
    from tunelint import _fastline
except ImportError:  # built without a C compiler
    _fastline = None

CHAT = "chat"
PREFERENCE = "preference"
REINFORCEMENT = "reinforcement"
COMPLETION = "completion"
FORMATS = (CHAT, PREFERENCE, REINFORCEMENT, COMPLETION)

CHAT_TOP_LEVEL = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
PREFERENCE_OUTPUTS = ("preferred_output", "non_preferred_output")
PREFERENCE_LEGACY_OUTPUTS = ("preferred_completion", "non_preferred_completion")

FORMAT_HELP = (
    "expected `messages` (chat or reinforcement), `input` with `preferred_output` and "
    "`non_preferred_output` (preference/DPO), or `prompt` and `completion` (legacy)"
)


def detect_format(obj: dict[str, Any]) -> str | None:
    """The format a line's keys say it is in, or None."""
    if "messages" in obj:
        msgs = obj["messages"]
        if isinstance(msgs, list) and msgs:
            roles = [m.get("role") for m in msgs if isinstance(m, dict)]
            if "assistant" not in roles:
                extra = not obj.keys() <= CHAT_TOP_LEVEL
                if roles and roles[-1] == "user" and (extra or "developer" in roles):
                    return REINFORCEMENT
                if "developer" in roles:
                    return REINFORCEMENT
        return CHAT
    if "input" in obj and any(
        k in obj for k in PREFERENCE_OUTPUTS + PREFERENCE_LEGACY_OUTPUTS
    ):
        return PREFERENCE
    if "prompt" in obj or "completion" in obj:
        return COMPLETION
    return None


# Matched before lowering: a backslash then N, R or T goes as if the text had been lowered first.
_WS_ESCAPE = re.compile(rb"\\[nrtNRT]")
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def normalized(canonical: bytes) -> bytes:
    """Case and whitespace folded canonical JSON (near-duplicate key): ``_fastline.normalize``
    where it is built (one pass; tests/test_fastpath.py compares the two on any bytes), else
    ``normalized_by_passes``."""
    if _fastline is not None:
        return _fastline.normalize(canonical)
    return normalized_by_passes(canonical)


def normalized_by_passes(canonical: bytes) -> bytes:
    """Case and whitespace folded canonical JSON (near-duplicate key), in a few C passes.

    Canonical JSON has no whitespace between tokens, so what is folded is whitespace inside
    strings: raw spaces and the \\n, \\r, \\t escapes. Whitespace is dropped rather than
    collapsed: splitting a 100 MB line into words would cost seconds, and "a b" vs "ab" is still
    a near duplicate.
    """
    folded = canonical
    if b"\\" in folded:
        folded = _WS_ESCAPE.sub(b"", folded)
    # Lowers (like bytes.lower, ASCII only) and drops whitespace in one pass.
    return folded.translate(_LOWER, b" \t\r\n\x0b\x0c")


def _conversation(obj: dict[str, Any], fmt: str) -> list[Any] | None:
    if fmt == PREFERENCE:
        inp = obj.get("input")
        msgs = inp.get("messages") if isinstance(inp, dict) else None
    else:
        msgs = obj.get("messages")
    return msgs if isinstance(msgs, list) else None


def prompt_and_target(obj: dict[str, Any], fmt: str, text: str = '"id"'
                      ) -> tuple[bytes, bytes] | None:
    """What the example asks and what it teaches (for conflicting-target detection)."""
    if fmt == COMPLETION:
        prompt, completion = obj.get("prompt"), obj.get("completion")
        if not isinstance(prompt, str) or not isinstance(completion, str):
            return None
        return normalized(orjson.dumps(prompt)), normalized(orjson.dumps(completion))
    if fmt == PREFERENCE:
        msgs = _conversation(obj, fmt)
        out = obj.get("preferred_output")
        if msgs is None or out is None:
            return None
        return (
            normalized(orjson.dumps(_strip(msgs), option=orjson.OPT_SORT_KEYS)),
            normalized(orjson.dumps(_strip(out), option=orjson.OPT_SORT_KEYS)),
        )
    if fmt != CHAT:
        return None
    msgs = _conversation(obj, fmt)
    if not msgs:
        return None
    last = None
    for i in range(len(msgs) - 1, -1, -1):
        m = msgs[i]
        if isinstance(m, dict) and m.get("role") == "assistant":
            last = i
            break
    if last is None or last == 0:
        return None
    part = msgs[: last + 1]
    # Stripping copies the messages; most have nothing to strip, which a walk of the parsed
    # messages tells faster than searching the line. The line is searched only when there is
    # something, so that a key spelt with escapes (`"w\\u0065ight"`) stays, as it always has.
    keyed = [_has_dropped(m) for m in part]
    if any(keyed) and ('"weight"' in text or '"id"' in text or '"tool_call_id"' in text):
        part = [_strip(m) if k else m for m, k in zip(part, keyed)]
    try:
        prompt = orjson.dumps(part[:last], option=orjson.OPT_SORT_KEYS)
        target = orjson.dumps(part[last], option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    # Exact (not case/space folded) on purpose: folding whole conversations twice more per line
    # was a third of the analysis cost, and near-duplicates are found on the whole example.
    return prompt, target


_DROPPED = frozenset({"weight", "id", "tool_call_id"})


def _strip(value: Any) -> Any:
    """Drop fields that do not change what is taught (weights, tool-call ids)."""
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _DROPPED}
    return value


def _has_dropped(value: Any) -> bool:
    """Whether ``_strip`` would drop anything from ``value`` (parsed JSON: exact types)."""
    if type(value) is dict:
        if not _DROPPED.isdisjoint(value):
            return True
        for v in value.values():
            if (type(v) is dict or type(v) is list) and _has_dropped(v):
                return True
    elif type(value) is list:
        for v in value:
            if (type(v) is dict or type(v) is list) and _has_dropped(v):
                return True
    return False


def count_images(obj: Any) -> int:
    """Image parts anywhere in the example's messages."""
    n = 0
    stack = [obj]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if v.get("type") == "image_url":
                n += 1
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return n


def example_token_parts(
    counter: tk.TokenCounter, obj: dict[str, Any], fmt: str
) -> list[tuple[str, int]]:
    """Token cost per part of an example: ("/messages/0", n), ("/tools", n), ... in order."""
    parts: list[tuple[str, int]] = []
    if fmt == COMPLETION:
        for key in ("prompt", "completion"):
            v = obj.get(key)
            if isinstance(v, str):
                parts.append((f"/{key}", counter.count(v)))
        return parts
    msgs = _conversation(obj, fmt) or []
    base = "/input/messages" if fmt == PREFERENCE else "/messages"
    holder = obj.get("input") if fmt == PREFERENCE else obj
    if isinstance(holder, dict):
        if holder.get("tools") is not None:
            prefix = "/input" if fmt == PREFERENCE else ""
            parts.append((prefix + "/tools", tk.count_tools(counter, holder.get("tools"))))
        if holder.get("functions") is not None:
            parts.append(("/functions", tk.count_tools(counter, holder.get("functions"))))
    for i, m in enumerate(msgs):
        parts.append((f"{base}/{i}", tk.count_message(counter, m)))
    if fmt == PREFERENCE:
        # Both outputs are trained against the same input; the longer one bounds the example.
        best: tuple[str, int] | None = None
        for key in PREFERENCE_OUTPUTS + PREFERENCE_LEGACY_OUTPUTS:
            out = obj.get(key)
            if isinstance(out, list):
                n = sum(tk.count_message(counter, m) for m in out)
                if best is None or n > best[1]:
                    best = (f"/{key}", n)
        if best:
            parts.append(best)
    parts.append(("", tk.REPLY_PRIMING))
    return parts


def example_tokens(counter: tk.TokenCounter, obj: dict[str, Any], fmt: str) -> int:
    return sum(n for _, n in example_token_parts(counter, obj, fmt))


def token_upper_bound(text_bytes: int, n_messages: int, n_images: int) -> int:
    """An upper bound of the example's tokens without tokenizing.

    A token covers at least one byte and JSON escapes never make a string shorter, so the line's
    UTF-8 size bounds the tokens of every string in it; add the fixed per-message overheads and
    the most an image can cost (high detail, 8 tiles) and the per-tool overhead (<= 128 tools).
    """
    return (
        text_bytes
        + n_messages * (tk.TOKENS_PER_MESSAGE + tk.TOKENS_PER_NAME)
        + tk.REPLY_PRIMING
        + n_images * (tk.IMAGE_LOW_DETAIL + tk.IMAGE_TILE * 8)
        + tk.TOKENS_PER_TOOL * 128
    )
