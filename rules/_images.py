"""Shared helpers of the image rules (TL6xx): image parts and what a data URL holds."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tunelint.context import ExampleContext

from ._tooling import all_messages, shape

DATA_URL = re.compile(r"data:([^;,]*)((?:;[^;,]*)*),", re.I)
SUPPORTED = ("image/jpeg", "image/png", "image/webp")


@dataclass(slots=True)
class ImagePart:
    role: Any
    part: dict[str, Any]
    pointer: str  # of the part

    @property
    def image(self) -> Any:
        return self.part.get("image_url")

    @property
    def url(self) -> str | None:
        img = self.image
        url = img.get("url") if isinstance(img, dict) else img
        return url if isinstance(url, str) else None

    @property
    def url_pointer(self) -> str:
        return self.pointer + ("/image_url/url" if isinstance(self.image, dict)
                               else "/image_url")


def has_parts(ctx: ExampleContext) -> bool:
    """Whether some message's content is a list of parts, where images are: without one the
    image rules have nothing to check (their ``Rule.applies``). Cached in ``ctx.facts``."""
    found = ctx.facts.get("tunelint.has_parts")
    if found is None:
        found = any(isinstance(m.get("content"), list) for m, _ptr in all_messages(ctx))
        ctx.facts["tunelint.has_parts"] = found
    return found


def image_parts(ctx: ExampleContext) -> Iterator[ImagePart]:
    if not has_parts(ctx):
        return  # without a walk of the messages' tool calls and parts (shape)
    for role, part, ptr in shape(ctx).media:
        if part.get("type") == "image_url":
            yield ImagePart(role, part, ptr)


@dataclass(frozen=True, slots=True)
class DataURL:
    mime: str
    base64: bool
    payload_start: int  # index in the URL where the data begins


def parse_data_url(url: str) -> DataURL | None:
    if url[:5].lower() != "data:":
        return None
    m = DATA_URL.match(url)
    if not m:
        return None
    params = [p.strip().lower() for p in m.group(2).split(";") if p.strip()]
    return DataURL(m.group(1).strip().lower(), "base64" in params, m.end())


def decoded_size(payload: str) -> int:
    """Bytes a base64 payload decodes to, without decoding it."""
    n = len(payload)
    if "\n" in payload or " " in payload or "\r" in payload:
        payload = re.sub(r"\s+", "", payload)
        n = len(payload)
    pad = len(payload) - len(payload.rstrip("="))
    return n * 3 // 4 - pad


def check_payload(payload: str) -> tuple[str | None, bytes]:
    """(error message or None, the first 48 decoded bytes) of a base64 payload."""
    if any(c in payload for c in " \n\r\t"):
        payload = re.sub(r"\s+", "", payload)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as e:
        return f"the base64 data is invalid ({e})", b""
    return None, data[:48]


def sniff(head: bytes) -> str | None:
    """The image type the magic bytes say, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:2] == b"BM":
        return "image/bmp"
    return None


PNG_COLOR_TYPES = {0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale with alpha", 6: "RGBA"}


def png_mode(head: bytes) -> str | None:
    """The colour mode from a PNG's IHDR chunk (bytes 16-26), or None when unknown."""
    if len(head) < 26 or head[12:16] != b"IHDR":
        return None
    return PNG_COLOR_TYPES.get(head[25], f"colour type {head[25]}")
