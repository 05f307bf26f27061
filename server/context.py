"""What a rule sees: one line, one example, or the whole dataset's indexes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tunelint.config import Settings
from tunelint.jsonscan import ScanError
from tunelint.models import ModelInfo, Profile

if TYPE_CHECKING:
    from tunelint.tokens import TokenCounter


@dataclass(slots=True)
class RunContext:
    """Everything fixed for one analysis run (settings resolved for one file)."""

    settings: Settings
    profile: Profile
    model: ModelInfo | None
    counter: TokenCounter
    schema: dict[str, Any] | None = None
    path: str | None = None

    @property
    def limits(self) -> Mapping[str, Any]:
        return self.profile.limits


@dataclass(slots=True)
class LineContext:
    """A line before and after parsing. ``obj`` is None when the line did not parse."""

    text: str
    run: RunContext
    obj: Any = None
    parsed: bool = False
    error: ScanError | None = None
    parse_message: str | None = None
    blank: bool = False
    # The text was decoded strictly from UTF-8 bytes, so it holds no invalid bytes (False: not
    # known, e.g. an editor's text).
    valid_utf8: bool = False
    # The bytes the text was decoded from, when the line was read as bytes.
    raw: bytes | None = None
    facts: dict[str, Any] = field(default_factory=dict)


# The pointers of the first messages, made once rather than formatted for every example.
_KEPT_POINTERS = 64
_POINTERS = {base: [f"{base}/{i}" for i in range(_KEPT_POINTERS)]
             for base in ("/messages", "/input/messages")}


@dataclass(slots=True)
class ExampleContext:
    """One line that parsed to a JSON object of a known format."""

    obj: dict[str, Any]
    format: str
    text: str
    run: RunContext
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.run.settings

    @property
    def model(self) -> ModelInfo | None:
        return self.run.model

    @property
    def limits(self) -> Mapping[str, Any]:
        return self.run.profile.limits

    def messages(self) -> list[Any] | None:
        """The example's conversation: ``messages`` (chat, RFT) or ``input.messages`` (DPO)."""
        if self.format == "preference":
            inp = self.obj.get("input")
            msgs = inp.get("messages") if isinstance(inp, dict) else None
        else:
            msgs = self.obj.get("messages")
        return msgs if isinstance(msgs, list) else None

    def messages_pointer(self) -> str:
        return "/input/messages" if self.format == "preference" else "/messages"

    def iter_messages(self) -> list[tuple[int, dict[str, Any], str]]:
        """(index, message, pointer) for every message that is an object.

        Computed once per example: every rule that walks the messages shares the list.
        """
        cached = self.facts.get("_messages")
        if cached is not None:
            return cached
        msgs = self.messages()
        out: list[tuple[int, dict[str, Any], str]] = []
        if msgs:
            base = self.messages_pointer()
            pointers = _POINTERS[base] if len(msgs) <= _KEPT_POINTERS else [
                f"{base}/{i}" for i in range(len(msgs))]
            out = [(i, m, pointers[i]) for i, m in enumerate(msgs) if isinstance(m, dict)]
        self.facts["_messages"] = out
        return out

    def message_keys(self) -> set[str]:
        """Every key of the messages ``iter_messages`` gives, computed once per example: a rule
        about a key that no message has stops at one set lookup instead of a walk or a search
        of the line."""
        cached = self.facts.get("_message_keys")
        if cached is None:
            cached = set().union(*[m for _i, m, _p in self.iter_messages()])
            self.facts["_message_keys"] = cached
        return cached


class DatasetView(Protocol):
    """The dataset-level indexes a dataset rule reads. Line numbers are 0-based."""

    run: RunContext
    path: str | None

    @property
    def line_count(self) -> int: ...

    @property
    def example_count(self) -> int: ...

    @property
    def byte_size(self) -> int: ...

    def line_text(self, line: int) -> str: ...

    def line_ending(self, line: int) -> str: ...

    def line_kind(self, line: int) -> int: ...

    def line_keys(self, line: int) -> tuple[bytes | None, bytes | None]: ...

    def has_bom(self) -> bool: ...

    def counterpart_path(self) -> str | None: ...

    def dataset_format(self) -> str | None: ...

    def format_counts(self) -> Mapping[str, int]: ...

    def lines_of_format(self, fmt: str) -> Iterator[int]: ...

    def key_repeats(self, kind: str) -> Iterator[tuple[int, int]]:
        """(line, the first line with the same key) for every line that is not the first with
        its key, in line order. ``kind``: "exact", "normalized" or "prompt"."""
        ...

    def target_variety(self) -> tuple[int, int]: ...

    def image_example_count(self) -> int: ...

    def invalid_line_count(self) -> int: ...

    def first_invalid_lines(self, limit: int) -> list[int]: ...

    def counterpart_overlap(self) -> Iterator[tuple[int, int]]: ...
