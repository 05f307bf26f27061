"""Shared helpers of the chat-structure rules (not a rule: modules starting with _ are skipped).

The per-line facts several rules need (each message's role) are computed once per example and
kept in ``ctx.facts``, so 20 rules walking one conversation cost one walk.
"""

from __future__ import annotations

import difflib
from typing import Any

from tunelint.context import ExampleContext

# Keys each role's message may have, from the per-line schemas (training-line-schemas.json):
# ChatCompletionRequest{System,User,Developer,Tool,Function}Message and
# FineTuneChatCompletionRequestAssistantMessage.
ROLE_KEYS: dict[str, frozenset[str]] = {
    "system": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "assistant": frozenset(
        {"role", "content", "refusal", "name", "audio", "tool_calls", "function_call", "weight"}
    ),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": frozenset({"role", "content", "name"}),
}
ALL_MESSAGE_KEYS: frozenset[str] = frozenset().union(*ROLE_KEYS.values())
SYSTEM_LIKE = ("system", "developer")


def roles(ctx: ExampleContext) -> list[Any] | None:
    """Each message's ``role`` value (None for a non-object or a missing role); None without
    a messages list. Cached in ``ctx.facts``."""
    cached = ctx.facts.get("roles")
    if cached is not None or "roles" in ctx.facts:
        return cached
    msgs = ctx.messages()
    out = None if msgs is None else [m.get("role") if type(m) is dict else None for m in msgs]
    ctx.facts["roles"] = out
    return out


def has_weights(ctx: ExampleContext) -> bool:
    """Whether some message has a ``weight``: the weight rules' ``Rule.applies``."""
    return "weight" in ctx.message_keys()


def odd_content(ctx: ExampleContext) -> bool:
    """Whether some message's content is not a non-blank string (missing, null, empty, blank,
    a list of parts, another type): the content rules' ``Rule.applies``."""
    for _i, m, _p in ctx.iter_messages():
        content = m.get("content")
        if type(content) is not str or not content or content.isspace():
            return True
    return False


def odd_roles(ctx: ExampleContext) -> bool:
    """Whether the roles are other than the usual ones: a message without a role or not an
    object, no user message, a last message not from the assistant, or a system message that is
    not the only one and first: the role-presence and role-order rules' ``Rule.applies``."""
    rs = roles(ctx)
    if not rs or rs[-1] != "assistant" or None in rs or "user" not in rs:
        return True
    n = rs.count("system")
    return n > 1 or (n == 1 and rs[0] != "system")


_PLAIN_KEYS = frozenset({"role", "content"})


def extra_keys(ctx: ExampleContext) -> bool:
    """Whether some message has a key besides ``role`` and ``content`` (one set comparison)."""
    return not ctx.message_keys() <= _PLAIN_KEYS


def type_name(value: Any) -> str:
    """The JSON type of a parsed value, for messages ("a string", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def close_match(word: str, candidates: list[str] | tuple[str, ...] | frozenset[str],
                cutoff: float = 0.75) -> str | None:
    found = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=cutoff)
    return found[0] if found else None


def has_calls(m: dict[str, Any]) -> bool:
    """An assistant message that calls tools/functions (so it may have no text content)."""
    calls = m.get("tool_calls")
    return bool(calls) or m.get("function_call") is not None


KNOWN_ROLES = frozenset(ROLE_KEYS)


def has_unknown_role(rs: list[Any]) -> bool:
    """Some message has a role string that is not a known role (role-invalid reports it; rules
    that count roles stay quiet rather than pile a second diagnostic on a typo)."""
    return any(type(r) is str and r not in KNOWN_ROLES for r in rs)
