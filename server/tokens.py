"""Exact token counts with tiktoken, from encodings shipped inside the package.

Nothing here downloads: the BPE rank files live in ``tunelint/data/encodings`` and are checked
against the sha256 that tiktoken itself expects before use. For both encodings a compiled counter
(``server/_bpe.c``: each split pattern written out by hand, and the same byte-pair merge) counts
without tiktoken, 2-3 times as fast and in a fifth of the memory; it declines the rare text it
cannot count exactly, which tiktoken then counts (tests/test_bpe.py compares the two).

Counting follows the way OpenAI's cookbook counts a chat example for billing: each message costs
3 tokens plus the tokens of each of its string values (+1 for a ``name``), and the reply is primed
with 3 more. Tool definitions are counted as the tokens of their compact JSON plus 3 per tool, and
images by their detail level (see docs/tokens.md). Repeated strings (system prompts) are encoded
once per process.
"""

from __future__ import annotations

import binascii
import hashlib
import threading
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import tiktoken

try:
    from tunelint import _bpe
except ImportError:  # built without a C compiler: tiktoken counts everything
    _bpe = None

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
TOKENS_PER_TOOL = 3
IMAGE_LOW_DETAIL = 85
IMAGE_TILE = 170

# sha256 of the official files, equal to tiktoken's expected_hash for each.
_EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}

_lock = threading.Lock()
_UNLOADED = object()


class EncodingError(RuntimeError):
    pass


class TokensDeferred(Exception):
    """Raised by a DeferredCounter: this line needs exact tokens, counted elsewhere."""


def _verified_file(name: str) -> bytes:
    """The shipped rank file of an encoding, after its sha256 is checked."""
    if name not in _EXPECTED_SHA256:
        raise EncodingError(f"encoding {name!r} is not shipped with tunelint")
    data = (resources.files("tunelint") / "data" / "encodings" / f"{name}.tiktoken").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != _EXPECTED_SHA256[name]:
        raise EncodingError(
            f"the shipped {name} encoding is corrupt (sha256 {digest}); reinstall tunelint"
        )
    return data


def _load_ranks(name: str) -> dict[bytes, int]:
    data = _verified_file(name)
    # "token rank" lines; the file is verified above, so the lenient C decoder is safe to use
    # (half the time of a loop over lines with base64.b64decode).
    fields = data.split()
    if len(fields) % 2:
        raise EncodingError(f"the shipped {name} encoding is malformed; reinstall tunelint")
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2])))


@cache
def get_encoding(name: str) -> tiktoken.Encoding:
    """Build the encoding from the shipped ranks and tiktoken's own definition of it.

    tiktoken's constructors (``tiktoken_ext.openai_public``) fetch their rank file by URL; we let
    them supply the split pattern and special tokens but hand them the verified local ranks.
    """
    from tiktoken_ext import openai_public

    ranks = _load_ranks(name)
    with _lock:
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = lambda *_a, **_k: ranks
        try:
            spec = getattr(openai_public, name)()
        finally:
            openai_public.load_tiktoken_bpe = original
    enc = tiktoken.Encoding(
        name=spec["name"],
        pat_str=spec["pat_str"],
        mergeable_ranks=spec["mergeable_ranks"],
        special_tokens=spec["special_tokens"],
        explicit_n_vocab=spec.get("explicit_n_vocab"),
    )
    # The Rust core has its own copy of the ranks; tiktoken keeps this dict only for pickling
    # an Encoding, which we never do. Dropping it frees ~28 MB per process (o200k).
    enc._mergeable_ranks = {}
    del spec
    return enc


# Encodings the compiled counter knows the split pattern of (server/_bpe.c).
COMPILED_ENCODINGS = frozenset({"o200k_base", "cl100k_base"})


def has_compiled_counter(name: str) -> bool:
    """Whether ``compiled_counter(name)`` would give a counter (without loading it)."""
    return _bpe is not None and name in COMPILED_ENCODINGS


@cache
def compiled_counter(name: str) -> _bpe.Counter | None:
    """The compiled counter of an encoding (about 10 MB, against tiktoken's 50-75), or None
    where there is none: tiktoken counts then. It declines the rare text it cannot count
    exactly (a code point its Unicode table does not know, a very long piece): tiktoken counts
    those too, loaded only then."""
    if not has_compiled_counter(name):
        return None
    return _bpe.Counter(_verified_file(name), name)


@cache
def special_tokens(name: str) -> frozenset[str]:
    """The encoding's special tokens, without loading its 100+ MB of ranks."""
    from tiktoken_ext import openai_public

    if name not in _EXPECTED_SHA256:
        raise EncodingError(f"encoding {name!r} is not shipped with tunelint")
    with _lock:
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = lambda *_a, **_k: {}
        try:
            spec = getattr(openai_public, name)()
        finally:
            openai_public.load_tiktoken_bpe = original
    return frozenset(spec["special_tokens"])


# Strings worth remembering are the repeated ones (system prompts, tool definitions); a long
# one is rarely repeated, and keeping it would hold its text (a 100 MB file's long examples).
CACHE_MAX_CHARS = 16_384
# The cache holds the text of what it remembers: past this many characters in all it starts
# over (a whole-file count would otherwise keep most of the file's short strings).
CACHE_TOTAL_CHARS = 1_000_000
PREFETCH_SLICE = 2_000


class TokenCounter:
    """Counts tokens of strings with a per-string cache (repeated prompts are encoded once).

    ``compiled_only``: never load tiktoken; a string the compiled counter declines (or every
    string, for an encoding it does not know) raises TokensDeferred, for the caller to count
    elsewhere (the language server hands those to its token worker)."""

    def __init__(self, encoding: str, cache_size: int = 200_000,
                 compiled_only: bool = False) -> None:
        self.encoding_name = encoding
        self.compiled_only = compiled_only
        self._enc: tiktoken.Encoding | None = None
        self._cache: dict[str, int] = {}
        self._cache_size = cache_size
        self._cache_chars = 0
        self._batch: dict[str, int] = {}  # what the current prefetch counted
        self._compiled: Any = _UNLOADED

    @property
    def enc(self) -> tiktoken.Encoding:
        if self._enc is None:
            if self.compiled_only:
                raise TokensDeferred()
            self._enc = get_encoding(self.encoding_name)
        return self._enc

    @property
    def compiled(self) -> _bpe.Counter | None:
        if self._compiled is _UNLOADED:
            self._compiled = compiled_counter(self.encoding_name)
        return self._compiled

    def count(self, text: str) -> int:
        if not text:
            return 0
        hit = self._cache.get(text)
        if hit is None and self._batch:
            hit = self._batch.get(text)
        if hit is not None:
            return hit
        compiled = self.compiled
        n = compiled.count(text) if compiled is not None else -1
        if n < 0:
            n = len(self.enc.encode_ordinary(text))
        if len(text) <= CACHE_MAX_CHARS:
            self._remember(text, n)
        return n

    def _remember(self, text: str, n: int) -> None:
        if len(self._cache) >= self._cache_size or self._cache_chars > CACHE_TOTAL_CHARS:
            self._cache = {}
            self._cache_chars = 0
        self._cache[text] = n
        self._cache_chars += len(text)

    def prefetch(self, texts: Iterable[str], num_threads: int = 2) -> None:
        """Batch-encode strings not yet cached, with tiktoken's threads (whole-file stats)."""
        todo = list({t for t in texts if t and t not in self._cache})
        compiled = self.compiled
        # tiktoken returns every token id as a Python int: a slice at a time keeps that to a few
        # MB (50k strings at once held ~200 MB of ints only to take their lengths).
        for at in range(0, len(todo), PREFETCH_SLICE):
            part = todo[at:at + PREFETCH_SLICE]
            if compiled is not None:
                counts = _count_in_threads(compiled, part, num_threads)
                declined = [i for i, n in enumerate(counts) if n < 0]
            else:
                counts, declined = [-1] * len(part), list(range(len(part)))
            if declined and not self.compiled_only:
                encoded = self.enc.encode_ordinary_batch([part[i] for i in declined],
                                                         num_threads=num_threads)
                for i, tokens in zip(declined, encoded):
                    counts[i] = len(tokens)
            for text, n in zip(part, counts):
                if n < 0:
                    continue  # declined, and compiled_only: count() raises for it
                # Kept for this batch whatever the cache does; the short ones also stay after.
                self._batch[text] = n
                if len(text) <= CACHE_MAX_CHARS:
                    self._remember(text, n)

    def end_batch(self) -> None:
        """Forget what the prefetches of a batch counted (the cache keeps the short ones)."""
        self._batch = {}


def _count_in_threads(compiled: _bpe.Counter, texts: list[str], num_threads: int) -> list[int]:
    """``compiled.count`` of each text, the list cut in one part per thread (each part is
    counted without the GIL)."""
    if num_threads <= 1 or len(texts) < 2 * num_threads:
        return compiled.count_many(texts)
    from concurrent.futures import ThreadPoolExecutor

    size = -(-len(texts) // num_threads)
    parts = [texts[i:i + size] for i in range(0, len(texts), size)]
    with ThreadPoolExecutor(len(parts)) as pool:
        return [n for counts in pool.map(compiled.count_many, parts) for n in counts]


class DeferredCounter(TokenCounter):
    """A counter for worker processes that must not load the tokenizer (about 75 MB each).

    The rare line that needs exact tokens is marked and analysed again by the parent.
    """

    def count(self, text: str) -> int:
        raise TokensDeferred()

    def prefetch(self, texts: Iterable[str], num_threads: int = 2) -> None:
        raise TokensDeferred()


def message_strings(message: Any) -> Iterable[str]:
    """The strings of a message that are billed (content text, name, tool-call fields)."""
    if not isinstance(message, dict):
        return
    for key, value in message.items():
        if key == "weight":
            continue
        # Most values are strings: yielded here, without a nested generator each.
        if type(value) is str:
            yield value
        else:
            yield from _strings(value)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            if type(item) is str:
                yield item
            elif not (isinstance(item, dict) and item.get("type") == "image_url"):
                yield from _strings(item)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "type":
                continue
            if type(v) is str:
                yield v
            else:
                yield from _strings(v)


def image_tokens(part: dict[str, Any]) -> int:
    """Tokens an image part costs: 85 at low detail; high/auto assumed 4 tiles when unknown."""
    image = part.get("image_url")
    detail = image.get("detail", "auto") if isinstance(image, dict) else "auto"
    if detail == "low":
        return IMAGE_LOW_DETAIL
    # Without decoding the image its size is unknown; 512px tiles of a 1024x1024 image.
    return IMAGE_LOW_DETAIL + IMAGE_TILE * 4


def _images(message: Any) -> Iterable[dict[str, Any]]:
    if isinstance(message, dict) and isinstance(message.get("content"), list):
        for part in message["content"]:
            if isinstance(part, dict) and part.get("type") == "image_url":
                yield part


def count_message(counter: TokenCounter, message: Any) -> int:
    n = TOKENS_PER_MESSAGE
    for s in message_strings(message):
        n += counter.count(s)
    if isinstance(message, dict) and "name" in message:
        n += TOKENS_PER_NAME
    for part in _images(message):
        n += image_tokens(part)
    return n


def count_tools(counter: TokenCounter, tools: Any) -> int:
    if not isinstance(tools, list):
        return 0
    import orjson

    n = 0
    for tool in tools:
        n += TOKENS_PER_TOOL + counter.count(orjson.dumps(tool).decode())
    return n


def count_messages(counter: TokenCounter, messages: list[Any], tools: Any = None) -> int:
    return sum(count_message(counter, m) for m in messages) + REPLY_PRIMING + count_tools(
        counter, tools
    )
