"""A seeded generator of realistic fine-tuning datasets, with injected defects and ground truth.

Usage::

    python benchmarks/generate.py --lines 100000 --seed 1 --defects 200 \\
        --out benchmarks/data/chat-100k.jsonl

writes the JSONL file and, next to it, ``<out>.truth.json``: the settings it was made with and one
entry per injected defect (1-based ``line``, defect ``kind``, expected rule ``rule`` name and its
``code`` when the rule exists in the installed tunelint, else null).

The data looks like real supervised fine-tuning sets (the shape PERF.md measured: about 4.4 KB and
900 o200k tokens a line): 75% of chat lines start with one of 32 system prompts, 1-4 turns, about
15% with tool definitions and tool calls, some multi-part user content, some non-ASCII text, and
now and then a long example (20-200 KB, still under the 65,536-token limit). ``--mode preference``
writes DPO lines and ``--mode completion`` legacy prompt/completion lines.

Each defect kind (see ``KINDS``) breaks one chosen line in a way exactly one rule is meant to
report. The same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import string
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

MODES = ("chat", "preference", "completion")
# The model to lint each mode with: chat has a few images (needs a vision model), legacy
# prompt/completion needs a legacy model.
MODE_MODEL = {"chat": "gpt-4o-2024-08-06", "preference": None, "completion": "babbage-002"}

# -- text ------------------------------------------------------------------------------------

_WORD_TEXT = """
the of and to in is you that it he was for on are as with his they at be this have from or one
had by word but not what all were we when your can said there use an each which she do how their
if will up other about out many then them these so some her would make like him into time has
look two more write go see number no way could people my than first water been call who oil its
now find long down day did get come made may part model data training example answer question
customer order account refund shipping invoice payment service support request issue ticket policy
report summary analysis result value function parameter return error message system user assistant
response context document section table chart figure review feedback quality process project team
manager schedule meeting deadline budget forecast revenue growth market product feature release
version update install configure deploy server client network database query index cache memory
performance latency throughput benchmark metric dashboard alert incident outage recovery backup
security password token access permission role group policy compliance audit privacy consent
patient doctor treatment symptom diagnosis prescription appointment insurance claim coverage
student teacher course lesson homework exam grade lecture assignment library research paper
recipe ingredient kitchen oven minute cup flour sugar butter salt pepper garlic onion tomato
weather forecast temperature rain wind storm flight hotel booking reservation ticket passport
please thanks sorry hello kindly regarding following attached previous current next because
however therefore although instead whether while during before after between within without
quickly carefully usually typically generally specifically clearly simply directly exactly
"""
_WORDS = _WORD_TEXT.split()

_NON_ASCII = (
    "café", "naïve", "résumé", "Zürich", "São Paulo", "façade", "coöperate", "Ærø", "Łódź",
    "こんにちは", "東京", "数据集", "안녕하세요", "Привет", "спасибо", "مرحبا", "שלום", "γειά σου",
    "🙂", "🚀", "✅", "—", "…", "“quoted”", "€42", "±3°C",
)

_CODE_SNIPPETS = (
    "```python\ndef total(items):\n    return sum(i.price * i.qty for i in items)\n```",
    "```sql\nSELECT id, status FROM orders WHERE created_at > now() - interval '7 days';\n```",
    "```bash\ncurl -s https://api.example.com/v1/orders/{id} | jq .status\n```",
    "```json\n{\"status\": \"shipped\", \"eta\": \"2024-05-02\"}\n```",
    "```js\nconst res = await fetch(url);\nif (!res.ok) throw new Error(res.statusText);\n```",
)

_TOOLS = (
    ("get_order_status", "Look up the status of an order",
     {"order_id": {"type": "string", "description": "The order number"}}, ["order_id"]),
    ("get_weather", "Current weather for a city",
     {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}}, ["city"]),
    ("search_kb", "Search the knowledge base",
     {"query": {"type": "string"}, "limit": {"type": "integer", "minimum": 1}}, ["query"]),
    ("create_ticket", "Open a support ticket",
     {"title": {"type": "string"}, "priority": {"type": "string", "enum": ["low", "high"]}},
     ["title"]),
    ("convert_currency", "Convert an amount between currencies",
     {"amount": {"type": "number"}, "from": {"type": "string"}, "to": {"type": "string"}},
     ["amount", "from", "to"]),
    ("book_appointment", "Book an appointment slot",
     {"date": {"type": "string"}, "time": {"type": "string"}}, ["date", "time"]),
)

SPECIAL_TOKENS = ("<|endoftext|>", "<|fim_suffix|>", "<|fim_prefix|>", "<|endofprompt|>")


class Text:
    """Sentences from a seeded pool, composed into paragraphs (fast: a few choices per KB)."""

    def __init__(self, rng: random.Random, pool: int = 6000) -> None:
        self.rng = rng
        self.sentences = _sentence_pool(rng.getrandbits(64), pool)

    def paragraph(self, nbytes: int) -> str:
        """About ``nbytes`` of text (sentences average ~75 bytes)."""
        k = max(1, nbytes // 75)
        parts = self.rng.choices(self.sentences, k=k)
        if k > 6 and self.rng.random() < 0.5:
            # Paragraph breaks.
            for i in range(4, k, self.rng.randint(4, 8)):
                parts[i] = "\n\n" + parts[i]
        return " ".join(parts)

    def answer(self, nbytes: int) -> str:
        text = self.paragraph(nbytes)
        if self.rng.random() < 0.12:
            text += "\n\n" + self.rng.choice(_CODE_SNIPPETS) + "\n\n" + self.paragraph(150)
        return text


@functools.cache
def _sentence_pool(seed: int, pool: int) -> tuple[str, ...]:
    """The sentences paragraphs are made of (a pure function of the seed, so cached)."""
    rng = random.Random(seed)
    syllables = ["ka", "zor", "pel", "qui", "xan", "tro", "vex", "mu", "lin", "dra", "sh",
                 "ept", "oy", "gn", "ald", "wyr", "ith", "bo", "ce", "fu"]
    # Names, product codes and rarer words: real text is not all common English.
    rare = ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(3000)]
    rare += [f"{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}-"
             f"{rng.randint(100, 99999)}" for _ in range(500)]
    rare += [w.capitalize() for w in rare[:800]]
    sentences = []
    for _ in range(pool):
        n = rng.randint(6, 24)
        words = rng.choices(_WORDS, k=n)
        for _ in range(n // 5):
            words[rng.randrange(n)] = rng.choice(rare)
        if rng.random() < 0.3:
            k = rng.randrange(n)
            words[k] = words[k] + rng.choice([",", ";", " (", ")", ":", " -", "'s"])
        if rng.random() < 0.06:
            words[rng.randrange(n)] = rng.choice(_NON_ASCII)
        if rng.random() < 0.08:
            words[rng.randrange(n)] = str(rng.randint(1, 99999))
        s = " ".join(words)
        s = s[0].upper() + s[1:] + rng.choice(".....?!:")
        sentences.append(s)
    return tuple(sentences)


# -- examples --------------------------------------------------------------------------------


def _size(rng: random.Random, mean: int) -> int:
    """A long-tailed size around ``mean`` bytes."""
    return max(20, int(rng.lognormvariate(0, 0.6) * mean * 0.76))


def _tool_def(t: tuple[str, str, dict[str, Any], list[str]]) -> dict[str, Any]:
    name, desc, props, required = t
    return {"type": "function", "function": {
        "name": name, "description": desc,
        "parameters": {"type": "object", "properties": props, "required": required},
    }}


def _tool_args(rng: random.Random, t: tuple[str, str, dict[str, Any], list[str]],
               i: int) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for key in t[3]:
        spec = t[2][key]
        if "enum" in spec:
            args[key] = rng.choice(spec["enum"])
        elif spec["type"] == "number":
            args[key] = round(rng.uniform(1, 5000), 2)
        elif spec["type"] == "integer":
            args[key] = rng.randint(1, 50)
        else:
            args[key] = f"{rng.choice(_WORDS)}-{i}-{rng.randint(100, 999)}"
    return args


class Generator:
    """Makes one example per call; ``i`` (the line number) keeps every example unique."""

    def __init__(self, seed: int, mode: str = "chat") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self.rng = random.Random(seed)
        self.text = Text(random.Random(seed * 7919 + 1))
        prng = random.Random(seed * 104729 + 2)
        self.system_prompts = [
            f"You are {prng.choice(['a helpful', 'a concise', 'a friendly', 'an expert'])} "
            f"assistant for {prng.choice(['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli'])} "
            f"(profile {k}). " + self.text.paragraph(prng.choice([150, 400, 900, 1600]))
            for k in range(32)
        ]

    # The public entry: a JSON-able object for line ``i``.
    def example(self, i: int) -> dict[str, Any]:
        if self.mode == "preference":
            return self.preference(i)
        if self.mode == "completion":
            return self.completion(i)
        return self.chat(i)

    def _user(self, i: int, nbytes: int) -> str:
        rng = self.rng
        return (f"{rng.choice(['Hi', 'Hello', 'Hey', 'Question', 'Re'])} (case {i}-"
                f"{rng.randint(1000, 9999)}): " + self.text.paragraph(nbytes))

    def chat(self, i: int) -> dict[str, Any]:
        rng = self.rng
        long = rng.random() < 0.002
        msgs: list[dict[str, Any]] = []
        if rng.random() < 0.75:
            msgs.append({"role": "system", "content": rng.choice(self.system_prompts)})
        obj: dict[str, Any] = {"messages": msgs}
        if rng.random() < 0.15:
            tools = rng.sample(_TOOLS, rng.randint(1, 3))
            obj["tools"] = [_tool_def(t) for t in tools]
            if rng.random() < 0.3:
                obj["parallel_tool_calls"] = False
            msgs.append({"role": "user", "content": self._user(i, _size(rng, 300))})
            t = rng.choice(tools)
            call_id = f"call_{i}_{rng.randint(10**6, 10**7)}"
            msgs.append({"role": "assistant", "tool_calls": [{
                "id": call_id, "type": "function",
                "function": {"name": t[0], "arguments": json.dumps(_tool_args(rng, t, i))},
            }]})
            msgs.append({"role": "tool", "tool_call_id": call_id,
                         "content": json.dumps({"ok": True, "detail": self.text.paragraph(120)})})
            msgs.append({"role": "assistant", "content": self.text.answer(_size(rng, 900))})
            return obj
        turns = rng.choices([1, 2, 3, 4], weights=[50, 25, 15, 10])[0]
        for t in range(turns):
            if t == 0 and rng.random() < 0.03:
                content: Any = [
                    {"type": "text", "text": self._user(i, _size(rng, 200))},
                    {"type": "image_url", "image_url": {
                        "url": f"https://img.example.com/{i}/{rng.randint(1, 10**6)}.png",
                        "detail": rng.choice(["low", "high", "auto"])}},
                ]
            else:
                content = self._user(i, _size(rng, 450)) if t == 0 else self.text.paragraph(
                    _size(rng, 300))
            msgs.append({"role": "user", "content": content})
            reply: dict[str, Any] = {"role": "assistant",
                                     "content": self.text.answer(_size(rng, 1500 // turns + 300))}
            if turns > 1 and t < turns - 1 and rng.random() < 0.3:
                reply["weight"] = 0
            msgs.append(reply)
        if long:
            msgs[-1]["content"] = self.text.answer(rng.randint(20_000, 200_000))
        return obj

    def preference(self, i: int) -> dict[str, Any]:
        rng = self.rng
        msgs: list[dict[str, Any]] = []
        if rng.random() < 0.6:
            msgs.append({"role": "system", "content": rng.choice(self.system_prompts)})
        msgs.append({"role": "user", "content": self._user(i, _size(rng, 400))})
        if rng.random() < 0.2:
            msgs.append({"role": "assistant", "content": self.text.answer(_size(rng, 500))})
            msgs.append({"role": "user", "content": self.text.paragraph(_size(rng, 200))})
        return {
            "input": {"messages": msgs, "tools": [], "parallel_tool_calls": True},
            "preferred_output": [{"role": "assistant",
                                  "content": self.text.answer(_size(rng, 1200))}],
            "non_preferred_output": [{"role": "assistant",
                                      "content": self.text.answer(_size(rng, 900))}],
        }

    def completion(self, i: int) -> dict[str, Any]:
        rng = self.rng
        return {
            # Legacy examples stay under 10,000 characters (OpenAI's old data-prep advice).
            "prompt": self._user(i, min(_size(rng, 1200), 5000)) + "\n\n###\n\n",
            "completion": " " + self.text.answer(min(_size(rng, 800), 3500)) + " END",
        }


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


# -- defects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A defect: the rule (kebab-case name) meant to report it, the modes it applies to, and
    how to make it from a clean example (object and its line text) of line ``i``."""

    name: str
    rule: str
    modes: tuple[str, ...]
    make: Callable[[Generator, int, dict[str, Any], str], str | bytes]
    only_first_line: bool = False


def _first(msgs: list[dict[str, Any]], role: str) -> dict[str, Any]:
    return next(m for m in msgs if m.get("role") == role)


def _msgs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if "input" in obj:
        return obj["input"]["messages"]  # type: ignore[no-any-return]
    return obj["messages"]  # type: ignore[no-any-return]


def _string_field(obj: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A (container, key) holding user text, whatever the mode."""
    if "prompt" in obj:
        return obj, "prompt"
    user = _first(_msgs(obj), "user")
    if isinstance(user["content"], list):
        return user["content"][0], "text"
    return user, "content"


def _json_syntax(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    choice = g.rng.randrange(4)
    if choice == 0:
        return text[:-1]  # missing the closing brace
    if choice == 1:
        return text.replace('","', '" "', 1) if '","' in text else text[:-1]  # missing comma
    if choice == 2:
        cut = g.rng.randint(len(text) // 3, len(text) - 10)
        return text[:cut]  # truncated mid-line
    return text[:-1] + ",}"  # trailing comma


def _blank(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    return g.rng.choice(["", "   ", "\t"])


def _not_object(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    return g.rng.choice([f"[{text}]", f'"example {i}"', str(i), "null"])


def _duplicate_key(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    key = '"role":"user",'
    if key in text:
        return text.replace(key, key + key, 1)
    return text.replace('"prompt":', '"prompt":"x","prompt":', 1)


def _set_role(role: str) -> Callable[[Generator, int, dict[str, Any], str], str]:
    def make(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
        _first(_msgs(obj), "user")["role"] = role
        return dumps(obj)

    return make


def _role_missing(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    del _first(_msgs(obj), "user")["role"]
    return dumps(obj)


def _content_missing(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    del _first(_msgs(obj), "user")["content"]
    return dumps(obj)


def _content_type(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    _first(_msgs(obj), "user")["content"] = g.rng.choice([42, {"text": "hi"}, True])
    return dumps(obj)


def _messages_empty(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj["messages"] = []
    return dumps(obj)


def _weight_float(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    msgs = _msgs(obj)
    last = max(k for k, m in enumerate(msgs) if m["role"] == "assistant")
    msgs[last]["weight"] = g.rng.choice([1.0, True, 2, "1"])
    return dumps(obj)


def _weight_non_assistant(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    _first(_msgs(obj), "user")["weight"] = 0
    return dumps(obj)


def _tool_example(g: Generator, i: int) -> dict[str, Any]:
    """A chat example with tools and a tool call (regenerated until it has one)."""
    while True:
        obj = g.chat(i)
        if "tools" in obj:
            return obj


def _tool_call(obj: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in obj["messages"] if m.get("tool_calls"))["tool_calls"][0]  # type: ignore


def _double_encoded_args(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj = _tool_example(g, i)
    fn = _tool_call(obj)["function"]
    fn["arguments"] = json.dumps(fn["arguments"])  # a JSON string of a JSON string
    return dumps(obj)


def _args_not_json(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj = _tool_example(g, i)
    fn = _tool_call(obj)["function"]
    fn["arguments"] = fn["arguments"][:-1]  # truncated JSON
    return dumps(obj)


def _tool_undeclared(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj = _tool_example(g, i)
    _tool_call(obj)["function"]["name"] = "launch_rocket"
    return dumps(obj)


def _tool_name_invalid(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj = _tool_example(g, i)
    call = _tool_call(obj)["function"]
    bad = call["name"].replace("_", " ") + "!"
    for t in obj["tools"]:
        if t["function"]["name"] == call["name"]:
            t["function"]["name"] = bad
    call["name"] = bad
    return dumps(obj)


def _parallel_type(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj = _tool_example(g, i)
    obj["parallel_tool_calls"] = g.rng.choice(["false", 0, "no"])
    return dumps(obj)


def _tool_response_mismatch(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj = _tool_example(g, i)
    reply = next(m for m in obj["messages"] if m["role"] == "tool")
    reply["tool_call_id"] = f"call_unknown_{i}"
    return dumps(obj)


def _special_token(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    holder, key = _string_field(obj)
    words = holder[key].split(" ")
    words.insert(g.rng.randrange(len(words) + 1), g.rng.choice(SPECIAL_TOKENS))
    holder[key] = " ".join(words)
    return dumps(obj)


def _image_in_assistant(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    msgs = _msgs(obj)
    a = next(m for m in msgs if m["role"] == "assistant" and isinstance(m.get("content"), str))
    a["content"] = [{"type": "text", "text": a["content"]},
                    {"type": "image_url", "image_url": {"url": f"https://img.example.com/a{i}.png"}}]
    return dumps(obj)


def _too_long(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    # ~4.5 bytes a token on this text: 420 KB is ~90k o200k tokens, over every model's limit.
    msgs = _msgs(obj) if "prompt" not in obj else None
    if msgs is None:
        obj["completion"] = " " + g.text.paragraph(420_000) + " END"
    else:
        a = [m for m in msgs if m["role"] == "assistant"]
        if a:
            a[-1]["content"] = g.text.paragraph(420_000)
        else:
            obj["preferred_output"][0]["content"] = g.text.paragraph(420_000)
    return dumps(obj)


def _invalid_utf8(g: Generator, i: int, obj: dict[str, Any], text: str) -> bytes:
    data = text.encode()
    # Inside the first long string value: after the 'content' / 'prompt' key.
    anchor = max(data.find(b'"content":"'), data.find(b'"prompt":"'))
    pos = anchor + 20 if anchor >= 0 else len(data) // 2
    bad = g.rng.choice([b"\xff", b"\xc3", b"\xe2\x82", b"\x80"])
    return data[:pos] + bad + data[pos:]


def _bom(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    return "\ufeff" + text


def _unknown_top_key(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj["metadata"] = {"source": "crm", "id": i}
    return dumps(obj)


def _message_unknown_key(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    _first(_msgs(obj), "user")["timestamp"] = f"2024-05-0{i % 9 + 1}T10:00:00Z"
    return dumps(obj)


def _assistant_missing(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj["messages"] = [m for m in obj["messages"] if m["role"] in ("system", "user")][:2]
    if obj["messages"][-1]["role"] != "user":
        obj["messages"].append({"role": "user", "content": g.text.paragraph(100)})
    obj.pop("tools", None)
    obj.pop("parallel_tool_calls", None)
    return dumps(obj)


def _role_sequence(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    msgs = obj["messages"]
    k = next(k for k, m in enumerate(msgs) if m["role"] == "user")
    msgs.insert(k + 1, {"role": "user", "content": g.text.paragraph(120)})
    return dumps(obj)


def _system_not_first(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    msgs = [m for m in obj["messages"] if m["role"] != "system"]
    msgs.insert(1, {"role": "system", "content": g.rng.choice(g.system_prompts)})
    obj["messages"] = msgs
    return dumps(obj)


def _format_unknown(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    return dumps({"text": g.text.paragraph(300), "label": g.rng.choice(["pos", "neg"]),
                  "id": i})


def _format_mixed(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    if g.mode == "completion":
        return dumps({"messages": [{"role": "user", "content": g._user(i, 200)},
                                   {"role": "assistant", "content": g.text.paragraph(300)}]})
    return dumps({"prompt": g._user(i, 300) + "\n\n###\n\n",
                  "completion": " " + g.text.paragraph(300) + " END"})


def _dpo_same(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj["non_preferred_output"] = [dict(m) for m in obj["preferred_output"]]
    return dumps(obj)


def _dpo_ends_assistant(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj["input"]["messages"].append({"role": "assistant", "content": g.text.paragraph(200)})
    return dumps(obj)


def _dpo_shape(g: Generator, i: int, obj: dict[str, Any], text: str) -> str:
    obj["preferred_output"].append({"role": "assistant", "content": g.text.paragraph(200)})
    return dumps(obj)


_ANY = MODES
_MSG = ("chat", "preference")

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("json-syntax", "json-syntax", _ANY, _json_syntax),
    Kind("blank-line", "blank-line", _ANY, _blank),
    Kind("not-object", "line-not-object", _ANY, _not_object),
    Kind("duplicate-key", "duplicate-key", _ANY, _duplicate_key),
    Kind("invalid-utf8", "encoding-utf8", _ANY, _invalid_utf8),
    Kind("bom", "utf8-bom", _ANY, _bom, only_first_line=True),
    Kind("duplicate-example", "duplicate-example", _ANY, lambda g, i, o, t: t),  # see below
    Kind("special-token", "special-token", _ANY, _special_token),
    Kind("too-long", "example-too-long", _ANY, _too_long),
    Kind("format-unknown", "format-unknown", _ANY, _format_unknown),
    Kind("format-mixed", "format-mixed", _ANY, _format_mixed),
    Kind("bad-role", "role-invalid", _MSG, _set_role("bot")),
    Kind("role-typo", "role-invalid", _MSG, _set_role("asistant")),
    Kind("role-missing", "role-missing", _MSG, _role_missing),
    Kind("content-missing", "content-missing", _MSG, _content_missing),
    Kind("content-type", "content-type", _MSG, _content_type),
    Kind("message-unknown-key", "message-unknown-key", _MSG, _message_unknown_key),
    Kind("messages-empty", "messages-empty", ("chat",), _messages_empty),
    Kind("weight-float", "weight-invalid", ("chat",), _weight_float),
    Kind("weight-on-user", "weight-non-assistant", ("chat",), _weight_non_assistant),
    Kind("double-encoded-args", "tool-args-json", ("chat",), _double_encoded_args),
    Kind("args-not-json", "tool-args-json", ("chat",), _args_not_json),
    Kind("tool-undeclared", "tool-call-undeclared", ("chat",), _tool_undeclared),
    Kind("tool-name-invalid", "name-invalid", ("chat",), _tool_name_invalid),
    Kind("parallel-tool-calls-type", "parallel-tool-calls-type", ("chat",), _parallel_type),
    Kind("tool-response-mismatch", "tool-response-mismatch", ("chat",),
         _tool_response_mismatch),
    Kind("image-in-assistant", "image-in-assistant", ("chat",), _image_in_assistant),
    Kind("unknown-top-level-key", "unknown-top-level-key", ("chat",), _unknown_top_key),
    Kind("assistant-missing", "assistant-missing", ("chat",), _assistant_missing),
    Kind("role-sequence", "role-sequence", ("chat",), _role_sequence),
    Kind("system-not-first", "system-not-first", ("chat",), _system_not_first),
    Kind("dpo-same-outputs", "dpo-same-outputs", ("preference",), _dpo_same),
    Kind("dpo-input-ends-assistant", "dpo-input-ends-assistant", ("preference",),
         _dpo_ends_assistant),
    Kind("dpo-two-outputs", "dpo-shape", ("preference",), _dpo_shape),
)}


def kinds_for(mode: str) -> list[str]:
    return [k.name for k in KINDS.values() if mode in k.modes]


def rule_code(rule_name: str) -> str | None:
    """The rule's code in the installed tunelint, or None (not implemented yet / not installed)."""
    try:
        from tunelint.rules import get_rule
    except ImportError:
        return None
    r = get_rule(rule_name)
    return r.code if r is not None else None


# -- the dataset ------------------------------------------------------------------------------


@dataclass
class Defect:
    line: int  # 0-based here; the sidecar stores 1-based
    kind: str
    rule: str
    code: str | None


def plan_defects(rng: random.Random, n_lines: int, count: int,
                 kinds: Sequence[str]) -> dict[int, str]:
    """Which line gets which defect: kinds round-robin, lines distinct and random."""
    if not kinds or count <= 0:
        return {}
    plan: dict[int, str] = {}
    kinds = list(kinds)
    if "bom" in kinds:
        plan[0] = "bom"
        count -= 1
        kinds.remove("bom")
    if not kinds or count <= 0:
        return plan
    # Line 0 stays clean (or carries the BOM), so that a duplicate always has an earlier copy
    # and the format majority is never decided by a defect.
    candidates = range(1, n_lines)
    count = min(count, n_lines - 1)
    for k, line in enumerate(sorted(rng.sample(candidates, count))):
        plan[line] = kinds[k % len(kinds)]
    return plan


def generate(n_lines: int, seed: int = 1, mode: str = "chat", defects: int = 0,
             kinds: Sequence[str] | None = None) -> Iterator[tuple[bytes, Defect | None]]:
    """Yield each line's bytes (without its line end) and its defect, if any."""
    g = Generator(seed, mode)
    chosen = list(kinds) if kinds is not None else kinds_for(mode)
    unknown = [k for k in chosen if k not in KINDS or mode not in KINDS[k].modes]
    if unknown:
        raise ValueError(f"defect kinds not available in {mode} mode: {unknown}")
    plan = plan_defects(random.Random(seed * 31 + 3), n_lines, defects, chosen)
    last_clean: str | None = None
    for i in range(n_lines):
        obj = g.example(i)
        text = dumps(obj)
        kind_name = plan.get(i)
        if kind_name is None:
            last_clean = text
            yield text.encode(), None
            continue
        kind = KINDS[kind_name]
        if kind_name == "duplicate-example":
            assert last_clean is not None
            made: str | bytes = last_clean
        else:
            made = kind.make(g, i, obj, text)
            if kind_name == "bom":
                last_clean = text
        data = made if isinstance(made, bytes) else made.encode("utf-8")
        yield data, Defect(i, kind_name, kind.rule, rule_code(kind.rule))


def generate_text(n_lines: int, seed: int = 1, mode: str = "chat", defects: int = 0,
                  kinds: Sequence[str] | None = None) -> tuple[bytes, list[Defect]]:
    """The whole file's bytes (each line ends with \\n) and the injected defects."""
    chunks: list[bytes] = []
    found: list[Defect] = []
    for data, d in generate(n_lines, seed, mode, defects, kinds):
        chunks.append(data)
        if d is not None:
            found.append(d)
    return b"\n".join(chunks) + b"\n", found


def write(out: Path, n_lines: int, seed: int, mode: str, defects: int,
          kinds: Sequence[str] | None, progress: bool = False) -> dict[str, Any]:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    found: list[Defect] = []
    size = 0
    t0 = time.perf_counter()
    with open(tmp, "wb", buffering=8 << 20) as f:
        for i, (data, d) in enumerate(generate(n_lines, seed, mode, defects, kinds)):
            f.write(data)
            f.write(b"\n")
            size += len(data) + 1
            if d is not None:
                found.append(d)
            if progress and i and i % 10_000 == 0:
                print(f"  {i:,} lines, {size / 1e6:,.0f} MB, {time.perf_counter() - t0:.0f}s",
                      file=sys.stderr)
    os.replace(tmp, out)
    truth = {
        "generator": "benchmarks/generate.py",
        "lines": n_lines,
        "seed": seed,
        "mode": mode,
        "model": MODE_MODEL[mode],
        "bytes": size,
        "defects": [{"line": d.line + 1, "kind": d.kind, "rule": d.rule, "code": d.code}
                    for d in found],
    }
    truth_path = out.with_name(out.name + ".truth.json")
    truth_path.write_text(json.dumps(truth, indent=1) + "\n")
    return truth


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=10_000, help="number of lines (1k to 1M)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mode", choices=MODES, default="chat")
    p.add_argument("--defects", type=int, default=0, help="how many lines to break")
    p.add_argument("--kinds", help="comma-separated defect kinds (default: all of the mode's)")
    p.add_argument("--existing-rules-only", action="store_true",
                   help="only inject kinds whose rule exists in the installed tunelint")
    p.add_argument("--list-kinds", action="store_true", help="list defect kinds and exit")
    p.add_argument("--out", type=Path, default=None,
                   help="output file (default benchmarks/data/<mode>-<lines>-s<seed>.jsonl)")
    args = p.parse_args(argv)
    if args.list_kinds:
        for k in KINDS.values():
            code = rule_code(k.rule) or "-"
            print(f"{k.name:<26} {k.rule:<26} {code:<6} {','.join(k.modes)}")
        return 0
    kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else kinds_for(args.mode)
    if args.existing_rules_only:
        kinds = [k for k in kinds if rule_code(KINDS[k].rule) is not None]
    default = Path(__file__).parent / "data" / f"{args.mode}-{args.lines}-s{args.seed}.jsonl"
    out = args.out or default
    t0 = time.perf_counter()
    try:
        truth = write(out, args.lines, args.seed, args.mode, args.defects, kinds,
                      progress=args.lines >= 50_000)
    except ValueError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 2
    dt = time.perf_counter() - t0
    print(f"wrote {out} ({truth['lines']:,} lines, {truth['bytes'] / 1e6:,.1f} MB, "
          f"{len(truth['defects'])} defects) in {dt:.1f}s; ground truth in "
          f"{out.name}.truth.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
