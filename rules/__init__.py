"""Every check tunelint runs: one module per rule, each exporting ``RULE``.

A rule module looks like yamllint's: a docstring (What it does / Why is this bad / Example /
Use instead / Fix, the source of the generated docs and of the doc-example tests), and a
``RULE = Rule(...)`` naming its stable code, kebab-case name, default severity, scope, options and
fix safety, with a ``check`` function that yields problems.

Scopes:
- ``line``: ``check(ctx: LineContext, opts)`` on every line, parsed or not (syntax, blank lines).
- ``example``: ``check(ctx: ExampleContext, opts)`` on every line that parsed to an object of one of
  the rule's ``formats``.
- ``dataset``: ``check(ds: DatasetView, opts)`` on the whole document's indexes; yields problems
  with ``line`` set. It must cost in proportion to what it reports, not to the file. A dataset
  rule may declare ``reads``, the document indexes its check depends on (``exact``,
  ``normalized``, ``prompt``: duplicate and prompt groups; ``nonobject``: lines that are not
  objects, with their text); its findings are then reused until one of them or the line
  numbering changes. Without ``reads`` it runs on every call.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from tunelint.problems import Edit, Fix, Problem, Related, Severity

__all__ = [
    "ALL_FORMATS",
    "CHAT",
    "COMPLETION",
    "DATASET_INDEXES",
    "PREFERENCE",
    "REINFORCEMENT",
    "Edit",
    "Fix",
    "Problem",
    "Related",
    "Rule",
    "Severity",
    "all_rules",
    "get_rule",
]

CHAT = "chat"
PREFERENCE = "preference"
REINFORCEMENT = "reinforcement"
COMPLETION = "completion"
ALL_FORMATS = frozenset({CHAT, PREFERENCE, REINFORCEMENT, COMPLETION})

Scope = Literal["line", "example", "dataset"]
DATASET_INDEXES = frozenset({"exact", "normalized", "prompt", "nonobject"})
FixKind = Literal["none", "safe", "unsafe", "sometimes"]

_CODE = re.compile(r"^TL[0-9]{3}$")
_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    scope: Scope
    check: Callable[..., Iterable[Problem]]
    formats: frozenset[str] = ALL_FORMATS
    fix: FixKind = "none"
    options: Mapping[str, Any] = field(default_factory=dict)
    # Rules that only make sense when asked for (e.g. need a file or a setting) are off unless
    # selected explicitly.
    default_enabled: bool = True
    doc: str = ""
    # Dataset rules: the indexes the check reads (None: re-run on every diagnostics call).
    reads: frozenset[str] | None = None
    # Dataset rules whose problems come in line order and suppress nothing: a checked file's
    # findings then place them one at a time as they print, instead of holding them all (a
    # file whose every line has a copy has a million).
    in_line_order: bool = False
    # Example rules: a cheap test, usually shared by a family of rules (a helper in a rules/_*.py
    # module), that is False only when the check cannot report anything. Each distinct test runs
    # once per example and the rules it rules out are skipped (most examples have no tools,
    # images or odd messages); the check stays correct without it.
    applies: Callable[[Any], bool] | None = None

    def __post_init__(self) -> None:
        if not _CODE.match(self.code):
            raise ValueError(f"rule code {self.code!r} must look like TL123")
        if not _NAME.match(self.name):
            raise ValueError(f"rule name {self.name!r} must be kebab-case")
        if self.reads is not None and (self.scope != "dataset" or not self.reads <= DATASET_INDEXES):
            raise ValueError(f"rule {self.code}: reads={set(self.reads)} is for dataset rules, "
                             f"with indexes among {sorted(DATASET_INDEXES)}")
        if self.in_line_order and self.scope != "dataset":
            raise ValueError(f"rule {self.code}: in_line_order is for dataset rules")
        if self.applies is not None and self.scope != "example":
            raise ValueError(f"rule {self.code}: applies is for example rules")

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0].rstrip(".") if self.doc.strip() else self.name

    def problem(self, message: str, **kwargs: Any) -> Problem:
        return Problem(self.code, message, **kwargs)


def rule(
    code: str,
    name: str,
    severity: Severity,
    scope: Scope,
    *,
    doc: str | None,
    formats: Iterable[str] = ALL_FORMATS,
    fix: FixKind = "none",
    options: Mapping[str, Any] | None = None,
    default_enabled: bool = True,
) -> Callable[[Callable[..., Iterable[Problem]]], Rule]:
    """Decorator: ``RULE = rule(...)(check)``; keeps the module docstring as the rule's doc."""

    def wrap(check: Callable[..., Iterable[Problem]]) -> Rule:
        return Rule(
            code=code,
            name=name,
            severity=severity,
            scope=scope,
            check=check,
            formats=frozenset(formats),
            fix=fix,
            options=dict(options or {}),
            default_enabled=default_enabled,
            doc=doc or "",
        )

    return wrap


@cache
def all_rules() -> tuple[Rule, ...]:
    found: list[Rule] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        r = getattr(module, "RULE", None)
        if isinstance(r, Rule):
            found.append(r)
    found.sort(key=lambda r: r.code)
    codes = [r.code for r in found]
    names = [r.name for r in found]
    dupes = {c for c in codes if codes.count(c) > 1} | {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"rule codes/names used twice: {sorted(dupes)}")
    return tuple(found)


@cache
def _index() -> dict[str, Rule]:
    table: dict[str, Rule] = {}
    for r in all_rules():
        table[r.code] = r
        table[r.code.lower()] = r
        table[r.name] = r
    return table


def get_rule(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    return _index().get(key) or _index().get(key.lower())
