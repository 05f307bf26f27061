"""The small local state file: which contents were uploaded where, and which jobs were started.

It holds content hashes, file ids and job ids, never a key. Writes are atomic (temp file and
rename) and the file is private to the user (mode 0600).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

STATE_ENV = "TUNELINT_STATE_FILE"
VERSION = 1


def default_state_path() -> Path:
    explicit = os.environ.get(STATE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "tunelint" / "submissions.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class State:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_state_path()
        self._lock = threading.Lock()

    # -- reading / writing ------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError):
            data = {}  # a damaged state file costs at most one re-upload
        if not isinstance(data, dict) or data.get("version") != VERSION:
            data = {"version": VERSION}
        data.setdefault("files", {})
        data.setdefault("jobs", {})
        return data

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".submissions.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    # -- files ----------------------------------------------------------------------------

    def file_for(self, endpoint: str, sha256: str) -> dict[str, Any] | None:
        entry = self._load()["files"].get(f"{endpoint}|{sha256}")
        return dict(entry) if isinstance(entry, dict) else None

    def file_ids(self, endpoint: str) -> set[str]:
        """Every file id recorded for this endpoint (whatever the content)."""
        prefix = f"{endpoint}|"
        return {str(v.get("file_id")) for k, v in self._load()["files"].items()
                if k.startswith(prefix) and isinstance(v, dict)}

    def record_file(self, endpoint: str, sha256: str, file_id: str, name: str, size: int) -> None:
        with self._lock:
            data = self._load()
            data["files"][f"{endpoint}|{sha256}"] = {
                "file_id": file_id, "filename": name, "bytes": size, "uploaded_at": _now(),
            }
            self._save(data)

    def forget_file(self, endpoint: str, sha256: str) -> None:
        with self._lock:
            data = self._load()
            if data["files"].pop(f"{endpoint}|{sha256}", None) is not None:
                self._save(data)

    # -- jobs -----------------------------------------------------------------------------

    def job_for(self, fingerprint: str) -> dict[str, Any] | None:
        entry = self._load()["jobs"].get(fingerprint)
        return dict(entry) if isinstance(entry, dict) else None

    def record_job(self, fingerprint: str, job_id: str, **info: Any) -> None:
        with self._lock:
            data = self._load()
            data["jobs"][fingerprint] = {"job_id": job_id, "created_at": _now(), **info}
            self._save(data)

    def raw(self) -> dict[str, Any]:
        return self._load()
