"""Image rules (TL601-TL606): where images may be, what a data URL holds, limits, model."""

from __future__ import annotations

import base64
import json
import struct
import zlib

from helpers import codes, lint

from tunelint.fixes import apply_edits, resolve_fix
from tunelint.problems import Diagnostic, Severity

VISION = {"model": "gpt-4o-2024-08-06"}


def png(color_type: int = 2) -> bytes:
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    raw = b"\x00" + b"\x80" * channels

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def example(url: str = "https://example.com/cat.png", role: str = "user", n: int = 1,
            detail: str | None = None) -> str:
    image: dict[str, object] = {"url": url}
    if detail is not None:
        image["detail"] = detail
    parts = [{"type": "text", "text": "What is this?"}] + [
        {"type": "image_url", "image_url": image}] * n
    msgs = [{"role": "user", "content": "Look:"}, {"role": "assistant", "content": "A cat."}]
    if role == "user":
        msgs[0]["content"] = parts  # type: ignore[assignment]
    else:
        msgs[1]["content"] = parts  # type: ignore[assignment]
    return json.dumps({"messages": msgs})


def mine(line: str, settings: dict[str, object] | None = None) -> list[Diagnostic]:
    return [d for d in lint(line, {**VISION, **(settings or {})}) if d.code.startswith("TL6")]


def test_valid_images_are_clean() -> None:
    assert mine(example()) == []
    assert mine(example(data_url("image/png", png(6)), detail="low")) == []
    assert mine(example(data_url("image/jpeg", b"\xff\xd8\xff\xe0" + b"\0" * 40))) == []
    assert mine(example(data_url("image/webp", b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 30))) == []


def test_image_in_assistant() -> None:
    line = example(role="assistant")
    [d] = mine(line)
    assert d.code == "TL601" and "an assistant message" in d.message
    assert line[d.column:d.end_column].startswith('{"type": "image_url"')


def test_image_format_wrong_magic_has_safe_fix() -> None:
    url = data_url("image/png", b"\xff\xd8\xff\xe0" + b"\0" * 40)
    line = example(url)
    [d] = mine(line)
    assert d.code == "TL602" and "declares image/png but the data is image/jpeg" in d.message
    assert line[d.column:d.end_column] == "data:image/png;base64,"
    assert d.fix is not None and d.fix.safe
    lines, ends = [line], [""]
    apply_edits(lines, ends, resolve_fix(d.fix, 0, line, 1))
    assert mine(lines[0]) == []


def test_image_format_messages() -> None:
    def msg(line: str) -> str:
        [d] = mine(line)
        assert d.code == "TL602" and d.severity == Severity.ERROR
        return d.message

    assert "grayscale" in msg(example(data_url("image/png", png(0))))
    assert "palette" in msg(example(data_url("image/png", png(3))))
    assert "not supported" in msg(example(data_url("image/gif", b"GIF89a" + b"\0" * 30)))
    assert "neither http(s)" in msg(example("cat.png"))
    assert "base64 data is invalid" in msg(example("data:image/png;base64,@@@@"))
    assert "not base64" in msg(example("data:image/png,abc"))
    assert "'medium'" in msg(example(detail="medium"))


def test_allow_http_urls_option_and_together_profile() -> None:
    assert mine(example(), {"profile": "together"})[0].code == "TL602"
    assert mine(example(data_url("image/png", png())), {"profile": "together"}) == []


def test_image_too_large_from_base64_length() -> None:
    big = data_url("image/png", png() + b"\0" * 3000)
    settings = {"rules": {"image-too-large": {"max_bytes": 2000}}}
    [d] = [d for d in mine(example(big), settings) if d.code == "TL603"]
    assert "the limit is 2,000 bytes" in d.message
    assert mine(example(data_url("image/png", png())), settings) == []


def test_images_per_example_points_at_the_eleventh() -> None:
    line = example(n=11)
    [d] = mine(line)
    assert d.code == "TL604" and "11 images; at most 10" in d.message
    assert mine(example(n=10)) == []


def test_image_examples_limit() -> None:
    text = "\n".join([example()] * 3)
    settings = {"rules": {"image-examples-limit": {"max_image_examples": 2}}}
    assert "TL605" in codes(mine(text, settings))
    settings = {"rules": {"image-examples-limit": {"max_image_examples": 3}}}
    assert "TL605" not in codes(mine(text, settings))


def test_vision_model() -> None:
    text = json.dumps({"messages": [{"role": "user", "content": "Hi"},
                                    {"role": "assistant", "content": "Hello"}]}) + "\n" + example()
    found = [d for d in lint(text, {"model": "gpt-4o-mini-2024-07-18"}) if d.code == "TL606"]
    assert len(found) == 1 and found[0].line == 1 and "gpt-4o-2024-08-06" in found[0].message
    assert not [d for d in lint(text, VISION) if d.code == "TL606"]
    assert not [d for d in lint(text, {"model": "my-own-model"}) if d.code == "TL606"]
