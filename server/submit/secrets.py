"""Keeping the API key out of every message, log line and error text."""

from __future__ import annotations

import logging
import re
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
# Things that look like keys even when we were not told about them (OpenAI, project keys).
_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,})")
MASK = "***"


def remember_secret(secret: str | None) -> None:
    """Register a secret so that ``scrub`` removes it from any text from now on."""
    if secret and len(secret) >= 4:
        with _lock:
            _secrets.add(secret)
        install_log_filter()


def scrub(text: object) -> str:
    s = str(text)
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in s:
            s = s.replace(secret, MASK)
    return _KEY_PATTERN.sub(MASK, s)


class ScrubFilter(logging.Filter):
    """Rewrites log records of the SDK and its HTTP client so no key reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_installed = False


def install_log_filter() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    for name in ("openai", "openai._base_client", "openai._response", "openai._legacy_response",
                 "httpx", "httpx2", "httpcore", "tunelint", "pygls"):
        logging.getLogger(name).addFilter(ScrubFilter())
