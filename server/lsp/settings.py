"""Editor settings: the raw dict from the client, split into lint keys (the project config's keys)
and server keys, merged with the project config according to ``configurationPreference``."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tunelint.config import (
    ConfigError,
    Settings,
    find_config,
    load_config_file,
    settings_from_mapping,
)

log = logging.getLogger(__name__)

# The project config's keys (kebab-case), as accepted by settings_from_mapping.
LINT_KEYS = frozenset({
    "model", "profile", "format", "select", "extend-select", "ignore", "severity",
    "per-file-ignores", "rules", "schema", "per-file-schemas", "n-epochs",
})
PREFERENCES = ("editorFirst", "filesystemFirst", "editorOnly")
SECRET = re.compile(r"key|token|secret|password|auth", re.IGNORECASE)

DEFAULT_DEBOUNCE_MS = 150
DEFAULT_INLAY_MAX_LINES = 20_000


_SECRET_JSON = re.compile(
    r"""(["']?(?:api[_-]?key|apiKey|token|secret|password)["']?\s*[:=]\s*["']?)([^"',}\s]+)""",
    re.IGNORECASE)


class RedactSecrets(logging.Filter):
    """Mask secret-looking values (an ``apiKey`` in settings) in any log line, including
    pygls's own protocol traces."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - never lose a log line to formatting
            return True
        masked = _SECRET_JSON.sub(r"\1***", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def kebab(key: str) -> str:
    """camelCase / snake_case / kebab-case → kebab-case."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", key).replace("_", "-").lower()


def redact(value: Any) -> Any:
    """A copy safe to log: values under secret-looking keys are replaced."""
    if isinstance(value, Mapping):
        return {k: ("***" if SECRET.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def unwrap(raw: Any) -> dict[str, Any]:
    """Accept ``{"tunelint": {...}}`` or the section itself; anything else is no settings."""
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get("tunelint")
    if isinstance(inner, Mapping):
        return dict(inner)
    return dict(raw)


@dataclass(frozen=True)
class ServerOptions:
    """The server's own settings (not lint settings)."""

    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    preference: str = "editorFirst"
    inlay_hints: bool | None = None  # None: on below inlay_max_lines
    inlay_max_lines: int = DEFAULT_INLAY_MAX_LINES
    pull_diagnostics: bool = True
    log_level: str | None = None
    log_file: str | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> ServerOptions:
        opts = cls()
        values: dict[str, Any] = {}
        for key, value in raw.items():
            k = kebab(key)
            try:
                if k == "debounce" or k == "debounce-ms":
                    values["debounce_ms"] = max(0, int(value))
                elif k == "configuration-preference":
                    if value not in PREFERENCES:
                        raise ValueError(f"configurationPreference must be one of {PREFERENCES}")
                    values["preference"] = value
                elif k == "inlay-hints":
                    values["inlay_hints"] = None if value in (None, "auto") else bool(value)
                elif k == "inlay-hints-max-lines":
                    values["inlay_max_lines"] = int(value)
                elif k == "pull-diagnostics":
                    values["pull_diagnostics"] = bool(value)
                elif k == "log-level":
                    values["log_level"] = str(value).upper()
                elif k == "log-file":
                    values["log_file"] = str(value) if value else None
            except (TypeError, ValueError) as e:
                log.warning("ignoring setting %s: %s", key, e)
        return replace(opts, **values)


def lint_table(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The editor settings that are project-config keys, in kebab-case."""
    return {kebab(k): v for k, v in raw.items() if kebab(k) in LINT_KEYS}


class ProjectConfigs:
    """Project config files found for documents, cached until a config file changes."""

    def __init__(self) -> None:
        self._found: dict[Path, Path | None] = {}
        self._tables: dict[Path, Settings] = {}

    def clear(self) -> None:
        self._found.clear()
        self._tables.clear()

    def config_path(self, path: Path) -> Path | None:
        directory = path.parent
        if directory not in self._found:
            self._found[directory] = find_config(path)
        return self._found[directory]

    def project_settings(self, path: Path | None) -> Settings | None:
        """The project config's settings for ``path`` (None when there is no config file)."""
        if path is None:
            return None
        cfg = self.config_path(path)
        if cfg is None:
            return None
        if cfg not in self._tables:
            self._tables[cfg] = load_config_file(cfg)
        return self._tables[cfg]


def effective_settings(
    raw: Mapping[str, Any], project: Settings | None, path: Path | None, preference: str
) -> Settings:
    """Merge editor lint keys with the project config.

    editorFirst: the project config, with the editor's keys on top. filesystemFirst: the editor's
    keys, with the project config's keys on top (the file wins where both set a key).
    editorOnly: the editor's keys only.
    """
    table = lint_table(raw)
    default_root = str(path.parent) if path is not None else None
    if project is None or preference == "editorOnly":
        return replace(settings_from_mapping(table, origin="editor settings"),
                       root=default_root if project is None else project.root)
    if preference == "filesystemFirst":
        editor = settings_from_mapping(table, origin="editor settings")
        assert project.config_file is not None
        file_table = _file_table(Path(project.config_file))
        merged = settings_from_mapping(file_table, base=editor, origin=project.config_file)
        return replace(merged, root=project.root, config_file=project.config_file)
    return settings_from_mapping(table, base=project, origin="editor settings")


def _file_table(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("tunelint", {})
    else:
        table = data.get("tool", {}).get("tunelint", data) if "tool" in data else data
    return dict(table) if isinstance(table, Mapping) else {}
