"""The model registry and the provider profiles, both kept as data in ``tunelint/data``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    name: str
    encoding: str
    limit: int | None
    methods: frozenset[str]
    shutdown: dt.date | None
    source: str

    @property
    def supports_vision(self) -> bool:
        return "vision" in self.methods


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    limits: dict[str, Any]
    severity: dict[str, str]
    options: dict[str, dict[str, Any]]
    disable: frozenset[str]


def _load(name: str) -> dict[str, Any]:
    data = (resources.files("tunelint") / "data" / name).read_text("utf-8")
    result: dict[str, Any] = json.loads(data)
    return result


@cache
def _registry() -> dict[str, Any]:
    return _load("models.json")


def openai_self_serve_end() -> dt.date:
    return dt.date.fromisoformat(_registry()["openai_self_serve_end"])


def known_models() -> list[str]:
    return sorted(_registry()["models"])


def canonical_model_name(name: str) -> str:
    base = name
    if base.startswith("ft:"):
        # ft:BASE:org:suffix:id — continuing from a fine-tuned model uses the base's limits.
        base = base.split(":")[1] if base.count(":") >= 1 else base
    reg = _registry()
    return str(reg["aliases"].get(base, base))


@cache
def get_model(name: str) -> ModelInfo | None:
    reg = _registry()
    canonical = canonical_model_name(name)
    entry = reg["models"].get(canonical)
    if entry is None:
        return None
    shutdown = entry.get("shutdown")
    return ModelInfo(
        name=canonical,
        encoding=entry["encoding"],
        limit=entry.get("limit"),
        methods=frozenset(entry.get("methods", [])),
        shutdown=dt.date.fromisoformat(shutdown) if shutdown else None,
        source=entry.get("source", ""),
    )


def encoding_for(name: str) -> str:
    """The tiktoken encoding of a model; unknown models are assumed to be o200k (current)."""
    info = get_model(name)
    if info is not None:
        return info.encoding
    base = canonical_model_name(name)
    if base.startswith(("gpt-3.5", "davinci", "babbage")) or (
        base.startswith("gpt-4-") or base == "gpt-4"
    ):
        return "cl100k_base"
    return "o200k_base"


@cache
def profiles() -> dict[str, Profile]:
    out: dict[str, Profile] = {}
    for name, entry in _load("profiles.json").items():
        if name.startswith("_"):
            continue
        out[name] = Profile(
            name=name,
            description=entry.get("description", ""),
            limits=dict(entry.get("limits", {})),
            severity=dict(entry.get("severity", {})),
            options={k: dict(v) for k, v in entry.get("options", {}).items()},
            disable=frozenset(entry.get("disable", [])),
        )
    return out


def get_profile(name: str) -> Profile:
    table = profiles()
    if name not in table:
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(sorted(table))}")
    return table[name]
