"""Settings: project config (pyproject.toml ``[tool.tunelint]`` or ``tunelint.toml``), command-line
and editor overrides, resolved per file (per-file ignores and schemas by glob)."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

FORMATS = ("auto", "chat", "preference", "reinforcement", "completion", "none")
DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    model: str = DEFAULT_MODEL
    profile: str = "openai"
    format: str = "auto"
    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # A JSON Schema every line must satisfy: a path (relative to the config file) or inline.
    schema: str | Mapping[str, Any] | None = None
    per_file_schemas: Mapping[str, str | Mapping[str, Any]] = field(default_factory=dict)
    n_epochs: int | str = "auto"
    # Where relative paths in the config are resolved from.
    root: str | None = None
    config_file: str | None = None

    def fingerprint(self) -> str:
        """A stable hash of everything that can change a line's analysis (cache key)."""
        data = {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}
        data.pop("config_file", None)
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:32]

    def for_path(self, path: str | None) -> Settings:
        """Apply per-file ignores and schemas for one file."""
        if not path:
            return self
        rel = _relative(path, self.root)
        extra_ignore: list[str] = []
        for pattern, codes in self.per_file_ignores.items():
            if _glob_match(rel, pattern):
                extra_ignore.extend(codes)
        schema = self.schema
        for pattern, sch in self.per_file_schemas.items():
            if _glob_match(rel, pattern):
                schema = sch
        if not extra_ignore and schema is self.schema:
            return self
        return replace(self, ignore=self.ignore + tuple(extra_ignore), schema=schema)

    def with_overrides(self, **overrides: Any) -> Settings:
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **clean) if clean else self


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _relative(path: str, root: str | None) -> str:
    p = Path(path)
    if root:
        try:
            return p.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return p.as_posix()


def _glob_match(rel: str, pattern: str) -> bool:
    return fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(Path(rel).name, pattern)


_KEYS = {
    "model": "model",
    "profile": "profile",
    "format": "format",
    "select": "select",
    "extend-select": "extend_select",
    "ignore": "ignore",
    "severity": "severity",
    "per-file-ignores": "per_file_ignores",
    "rules": "rules",
    "schema": "schema",
    "per-file-schemas": "per_file_schemas",
    "n-epochs": "n_epochs",
}


def settings_from_mapping(
    table: Mapping[str, Any], base: Settings | None = None, origin: str = "config"
) -> Settings:
    """Build settings from a config table (kebab-case or snake_case keys)."""
    base = base or Settings()
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        attr = _KEYS.get(key)
        if attr is None:
            raise ConfigError(
                f"{origin}: unknown setting {raw_key!r}; known: {', '.join(sorted(_KEYS))}"
            )
        values[attr] = _coerce(attr, value, origin)
    settings = replace(base, **values)
    validate(settings, origin)
    return settings


def _coerce(attr: str, value: Any, origin: str) -> Any:
    if attr in ("select", "extend_select", "ignore"):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{origin}: {attr.replace('_', '-')} must be a list of rule codes")
        return tuple(value)
    if attr == "per_file_ignores":
        if not isinstance(value, Mapping):
            raise ConfigError(f"{origin}: per-file-ignores must be a table of glob = [codes]")
        return {
            k: tuple(v) if isinstance(v, (list, tuple)) else (str(v),) for k, v in value.items()
        }
    if attr in ("severity", "rules", "per_file_schemas") and not isinstance(value, Mapping):
        raise ConfigError(f"{origin}: {attr.replace('_', '-')} must be a table")
    if attr in ("model", "profile", "format") and not isinstance(value, str):
        raise ConfigError(f"{origin}: {attr} must be a string")
    return value


def validate(settings: Settings, origin: str = "config") -> None:
    from tunelint.models import profiles
    from tunelint.problems import Severity

    if settings.format not in FORMATS:
        raise ConfigError(f"{origin}: format must be one of {', '.join(FORMATS)}")
    if settings.profile not in profiles():
        raise ConfigError(
            f"{origin}: unknown profile {settings.profile!r}; choose {', '.join(profiles())}"
        )
    for code, sev in settings.severity.items():
        try:
            Severity.parse(sev)
        except ValueError as e:
            raise ConfigError(f"{origin}: severity for {code}: {e}") from None
    n = settings.n_epochs
    if not (n == "auto" or (isinstance(n, int) and 1 <= n <= 50)):
        raise ConfigError(f"{origin}: n-epochs must be 'auto' or 1-50")


def find_config(start: Path) -> Path | None:
    """The nearest tunelint.toml, or pyproject.toml with a [tool.tunelint] table."""
    directory = start if start.is_dir() else start.parent
    for d in [directory, *directory.parents]:
        candidate = d / "tunelint.toml"
        if candidate.is_file():
            return candidate
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if isinstance(data.get("tool"), dict) and "tunelint" in data["tool"]:
                return candidate
    return None


def load_config_file(path: Path, base: Settings | None = None) -> Settings:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    table = data.get("tool", {}).get("tunelint", {}) if path.name == "pyproject.toml" else data
    if path.name == "tunelint.toml" and "tool" in table and "tunelint" in table["tool"]:
        table = table["tool"]["tunelint"]
    settings = settings_from_mapping(table, base, origin=str(path))
    return replace(settings, root=str(path.parent.resolve()), config_file=str(path.resolve()))


def load_settings(for_path: Path | None, explicit: Path | None = None) -> Settings:
    if explicit is not None:
        return load_config_file(explicit)
    found = find_config(for_path or Path.cwd())
    if found is None:
        return Settings(root=str((for_path or Path.cwd()).resolve().parent))
    return load_config_file(found)


def load_schema(schema: str | Mapping[str, Any] | None, root: str | None) -> dict[str, Any] | None:
    if schema is None:
        return None
    if isinstance(schema, Mapping):
        return _checked_schema(dict(schema), "the inline schema")
    path = Path(schema)
    if not path.is_absolute() and root:
        path = Path(root) / path
    try:
        loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read schema {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"schema {path} is not valid JSON: {e}") from None
    return _checked_schema(loaded, f"schema {path}")


def _checked_schema(schema: dict[str, Any], origin: str) -> dict[str, Any]:
    """Reject a schema that is not one, once, instead of an error on every line."""
    from jsonschema import SchemaError
    from jsonschema.validators import validator_for

    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as e:
        where = "/".join(str(p) for p in e.absolute_path) or "the top level"
        raise ConfigError(f"{origin} is not a valid JSON Schema at {where}: {e.message}") from None
    return schema
