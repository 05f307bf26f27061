"""Column conversion between code points (the engine's unit) and the client's position encoding.

Only the lines a change touches and the ranges the server sends are converted; ASCII lines, the
common case, take the fast path (every encoding counts one unit per character there).
"""

from __future__ import annotations

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def normalize_encoding(name: str | None) -> str:
    """lsprotocol's PositionEncodingKind values are 'utf-8', 'utf-16', 'utf-32'."""
    value = str(getattr(name, "value", name) or UTF16).lower()
    return value if value in (UTF8, UTF16, UTF32) else UTF16


def to_client(line: str, column: int, encoding: str) -> int:
    """Code-point column ``column`` of ``line`` in client units."""
    if column <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return column
    head = line[:column]
    if encoding == UTF16:
        return len(head.encode("utf-16-le", "surrogatepass")) // 2
    # Lone surrogates (undecodable bytes) show as U+FFFD in editors: 3 bytes, like here.
    return len(head.encode("utf-8", "surrogatepass"))


def from_client(line: str, units: int, encoding: str) -> int:
    """Client-unit column ``units`` of ``line`` as a code-point column (clamped to the line).

    A column inside a character (half a surrogate pair, a partial UTF-8 sequence) rounds down.
    """
    if units <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(units, len(line))
    if encoding == UTF16:
        data = line.encode("utf-16-le", "surrogatepass")[: 2 * units]
        if len(data) >= 2 and 0xD8 <= data[-1] <= 0xDB:
            data = data[:-2]  # a high surrogate without its pair: round down
        return len(data.decode("utf-16-le", "surrogatepass"))
    raw = line.encode("utf-8", "surrogatepass")[:units]
    return len(raw.decode("utf-8", "ignore"))

