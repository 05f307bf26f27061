"""The fast path for plain chat lines: most lines of a dataset, analysed without the rules.

Most lines of a real dataset are the same shape: ``{"messages": [{"role": ..., "content":
"..."}, ...]}`` with system, user and assistant messages and ordinary text. On such a line every
rule's verdict depends on nothing but the sequence of roles (and the settings): the structure is
fixed, the content is a string that is not blank and holds no special token, and the example is
too short to be over the token limit. So the first line with a given sequence of roles goes
through the whole engine, and later lines with the same roles get its format and its problems
(a missing assistant, a system message out of place: each placed later by its pointer, on the
line's own text); only their keys (canonical JSON, prompt and target) are computed, in one pass
over the line's bytes by the compiled ``_fastline.plain_chat``. A line that is not plain goes
through the whole engine.

What keeps this exact:

- ``_fastline.plain_chat`` accepts a narrow grammar (its module doc) and returns None for
  anything else; the canonical JSON it writes is what orjson writes.
- Only rules listed in ``PLAIN_SAFE`` may be active (with options that keep them so): a rule
  added later turns the fast path off until it is reviewed and listed. A user schema turns it
  off too (it can look at anything), as does ``format = "none"`` (no format rules at all).
- The token bound of a line must be within the limit ``example-too-long`` uses.
- The first line of each sequence of roles is checked: its full result must equal the one the
  fast path would have built, keys included, and none of its problems may carry columns or a
  related line of its own, or that sequence never takes the fast path.
- Tests compare both paths on generated lines (tests/test_fastpath.py).

Without the compiled module (a platform without a C compiler) everything goes the whole way:
the results are the same, only slower.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tunelint import formats as fm

if TYPE_CHECKING:
    from tunelint.engine import LineResult, RuleSet
    from tunelint.models import ModelInfo
    from tunelint.problems import Problem

import xxhash

try:
    from tunelint import _fastline
except ImportError:  # built without a C compiler: the whole engine does everything
    _fastline = None

_line_hash = xxhash.xxh3_64_intdigest  # batch.py's key of a line in the results cache

AVAILABLE = _fastline is not None


def _special_token_safe(options: Mapping[str, Any]) -> bool:
    # The grammar declines content holding "<|"; a token spelt otherwise could be anywhere.
    return all(isinstance(t, str) and t.startswith("<|") for t in options.get("extra_tokens") or ())


# Rules whose verdict on a plain chat line depends only on its roles and the settings (a plain
# line has no weight, name, tools, images or other keys, and its content is a non-blank string
# without "<|"), with a test of their options where an option could change that. TL901 is bound
# by the token limit check in PlainChatPath.
PLAIN_SAFE: dict[str, Callable[[Mapping[str, Any]], bool] | None] = {
    # Line rules: valid UTF-8, not blank, valid JSON, an object, no duplicate key, a format.
    # The schema rule reports nothing without a schema (PlainChatPath is off with one).
    "TL004": None, "TL006": None, "TL101": None, "TL103": None, "TL104": None, "TL105": None,
    "TL107": None,
    # Structure: top-level keys, messages and their keys and field types.
    "TL201": None, "TL202": None, "TL203": None, "TL204": None, "TL205": None, "TL206": None,
    "TL207": None,
    # Roles and their order: a function of the roles.
    "TL301": None, "TL302": None, "TL303": None, "TL304": None, "TL305": None, "TL306": None,
    "TL307": None, "TL308": None, "TL309": None,
    # Content: present, a string, not blank, no special token.
    "TL401": None, "TL402": None, "TL403": None, "TL404": _special_token_safe,
    # Weights, names, tools and tool calls, images: none on a plain line.
    "TL451": None, "TL452": None, "TL453": None, "TL501": None, "TL502": None, "TL503": None,
    "TL504": None, "TL505": None, "TL506": None, "TL507": None, "TL508": None, "TL509": None,
    "TL601": None, "TL602": None, "TL603": None, "TL604": None,
    "TL901": None,
}

# Sequences of roles remembered: a dataset has a few; more than this means long varied ones.
MAX_SEQUENCES = 10_000
_UNSEEN = object()


class PlainChatPath:
    """The fast path of one Analyzer (its rules and settings); ``off`` with settings that look
    at every line's content (a user schema) or at none of its format (``format = "none"``)."""

    def __init__(self, rules: RuleSet, model: ModelInfo | None, off: bool) -> None:
        from tunelint.engine import OBJECT, LineResult, line_key

        self._result = LineResult
        self._object = OBJECT
        self._key = line_key
        candidates = (fm.CHAT, fm.REINFORCEMENT)
        self.formats = frozenset(
            f for f in candidates
            if not off
            and all(_safe(a.rule.code, a.options) for a in rules.line + rules.example[f]))
        too_long = rules.by_code.get("TL901")
        limit = None
        if too_long is not None:
            limit = too_long.options.get("limit") or (model.limit if model else None)
        # No limit (or the rule off): no line is too long.
        self.limit: float = limit or float("inf")
        # token_upper_bound of a plain line (no images) as its size plus these, for
        # _fastline.plain_lines.
        self._bound_fixed = fm.token_upper_bound(0, 0, 0)
        self._bound_per_message = fm.token_upper_bound(0, 1, 0) - self._bound_fixed
        self._bound_per_image = fm.token_upper_bound(0, 0, 1) - self._bound_fixed
        # Roles (one letter a message) -> the format and the problems of a line with them (a
        # function of the roles, like every verdict here), or None when the first such line's
        # result could not be rebuilt from them (those always go the whole way).
        self.verdicts: dict[bytes, tuple[str | None, tuple[Problem, ...]] | None] = {}

    def analyze(self, raw: bytes, full: Callable[[bytes], LineResult]) -> LineResult | None:
        """The result of a plain chat line (through ``full`` the first time its roles are seen),
        or None when the line is not plain or the first line with its roles could not be
        rebuilt from them."""
        if _fastline is None or not self.formats:
            return None
        found = _fastline.plain_chat(raw)
        if found is None:
            return None
        canonical, roles, prompt, target = found
        if fm.token_upper_bound(len(raw), len(roles), 0) > self.limit:
            return None
        verdict = self.verdicts.get(roles, _UNSEEN)
        if verdict is None:
            return None
        if verdict is _UNSEEN:
            result = full(raw)
            if len(self.verdicts) < MAX_SEQUENCES:
                learnt = (result.format, result.problems)
                fast = self._build(raw, learnt, canonical, roles, prompt, target)
                # Problems placed by pointer alone: one with its own columns or a related
                # line would not be the same on another line.
                same = (result.format in self.formats and result == fast
                        and all(p.span is None and not p.related for p in result.problems))
                self.verdicts[roles] = learnt if same else None
            return result
        return self._build(raw, verdict, canonical, roles, prompt, target)  # type: ignore[arg-type]

    def take_lines(self, block: bytes, pos: int, stop: int, base: int,
                   codes: dict[bytes, int], tool: Callable[..., int | None] | None = None
                   ) -> tuple[int, int, tuple[bytes, ...], bytes, bytes | None]:
        """``_fastline.plain_lines``: the plain lines from ``pos`` whose roles have a code in
        ``codes`` (``code_of``), and with ``tool`` (``ToolChatPath.line_code``) the other chat
        lines it gives a code, as columns. Only for files read to check them (batch.py)."""
        assert _fastline is not None
        return _fastline.plain_lines(block, pos, stop, base, codes, self._bound_per_message,
                                     self._bound_fixed, float(self.limit), self._object,
                                     _line_hash, self._key, tool, self._bound_per_image)

    def code_of(self, roles: bytes, intern: Callable[[tuple[Problem, ...]], int]) -> int | None:
        """What ``plain_lines`` needs of lines with these roles once their first line went the
        whole way: their format's code and, from bit 8, the index ``intern`` gives their
        problems (0 for none); -1 if such lines always go the whole way; None if the roles are
        not remembered."""
        from tunelint.lean import FORMAT_CODES

        if roles not in self.verdicts:
            return None
        verdict = self.verdicts[roles]
        if verdict is None:
            return -1
        fmt, problems = verdict
        return FORMAT_CODES.index(fmt) | (intern(problems) << 8 if problems else 0)

    def _build(self, raw: bytes, verdict: tuple[str | None, tuple[Problem, ...]],
               canonical: bytes, roles: bytes, prompt: bytes | None, target: bytes | None
               ) -> LineResult:
        key = self._key
        fmt, problems = verdict
        result = self._result(
            kind=self._object, format=fmt, size=len(raw), n_messages=len(roles),
            exact_key=key(canonical), norm_key=key(_fastline.normalize(canonical)),
            problems=problems,
        )
        if prompt is not None and target is not None:
            result.prompt_key = key(prompt)
            result.target_key = key(target)
        return result


def _safe(code: str, options: Mapping[str, Any]) -> bool:
    if code not in PLAIN_SAFE:
        return False
    allowed = PLAIN_SAFE[code]
    return allowed is None or allowed(options)
