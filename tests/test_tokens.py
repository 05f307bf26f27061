"""The shipped encodings load to exactly the ranks tiktoken's own loader reads from them."""

from __future__ import annotations

from importlib import resources

import pytest
from tiktoken.load import load_tiktoken_bpe

from tunelint import tokens


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_shipped_ranks_equal_tiktokens_own_reading(name: str) -> None:
    path = resources.files("tunelint") / "data" / "encodings" / f"{name}.tiktoken"
    expected = load_tiktoken_bpe(str(path), tokens._EXPECTED_SHA256[name])
    assert tokens._load_ranks(name) == expected


def test_a_damaged_encoding_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tokens._EXPECTED_SHA256, "o200k_base", "0" * 64)
    with pytest.raises(tokens.EncodingError, match="corrupt"):
        tokens._load_ranks("o200k_base")
