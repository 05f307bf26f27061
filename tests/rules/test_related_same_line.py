"""A problem can point at another place in its own line (a tool reply at its call)."""

from __future__ import annotations

import json

from helpers import lint

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


def test_extra_tool_reply_points_at_its_call_on_the_same_line() -> None:
    line = json.dumps({"messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "c1", "content": "a"},
        {"role": "tool", "tool_call_id": "c1", "content": "b"},
        {"role": "assistant", "content": "ok"}], "tools": TOOLS})
    text = "\n" + line  # the example on line 1, so "same line" is not line 0 by accident
    (d,) = [d for d in lint(text) if d.code == "TL508"]
    assert d.line == 1
    ((rline, start, end, message),) = d.related
    assert rline == 1 and message == "the tool call"
    assert json.loads(line[start:end]) == CALL
