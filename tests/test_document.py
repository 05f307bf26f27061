"""The document model: line ends, BOM, blank lines, invalid UTF-8, NUL bytes, huge lines."""

from __future__ import annotations

from helpers import codes, lint

from tunelint.config import Settings
from tunelint.engine import Analyzer, Document, split_lines

CHAT = '{"messages": [{"role": "user", "content": "Q%d"}, {"role": "assistant", "content": "A%d"}]}'


def ten(sep: str = "\n") -> str:
    return sep.join(CHAT % (i, i) for i in range(10))


def test_split_lines_keeps_each_ending() -> None:
    assert split_lines("a\r\nb\rc\nd") == (["a", "b", "c", "d"], ["\r\n", "\r", "\n", ""])
    assert split_lines("a\n") == (["a", ""], ["\n", ""])
    assert split_lines("") == ([""], [""])


def test_clean_file_with_and_without_final_newline() -> None:
    assert [d for d in lint(ten() + "\n") if d.severity == 1] == []
    assert [d for d in lint(ten()) if d.severity == 1] == []
    assert "TL006" not in codes(lint(ten() + "\n"))


def test_crlf_and_lone_cr_are_line_ends() -> None:
    for sep in ("\r\n", "\r"):
        diags = lint(ten(sep) + sep)
        assert not [d for d in diags if d.severity == 1], diags
    doc = Document(Analyzer(Settings()), ten("\r\n") + "\r\n")
    assert doc.text == ten("\r\n") + "\r\n"  # round-trips byte for byte


def test_bom_is_stripped_and_reported_not_a_syntax_error() -> None:
    diags = lint("\ufeff" + ten() + "\n")
    assert "TL005" in codes(diags)
    assert "TL101" not in codes(diags) and "TL103" not in codes(diags)
    doc = Document(Analyzer(Settings()), "\ufeff" + ten())
    assert doc.text.startswith("\ufeff")


def test_blank_lines_reported_except_the_final_newline() -> None:
    diags = lint(ten() + "\n\n   \n")
    blank = [d.line for d in diags if d.code == "TL006"]
    assert blank == [10, 11]


def test_invalid_utf8_reported_at_its_byte_and_rest_still_linted() -> None:
    raw = (ten() + "\n").encode() + b'{"messages": [{"role": "user", "content": "caf\xe9"}]}\n'
    raw += b'{"messages": [}\n'
    text = raw.decode("utf-8", "surrogateescape")
    diags = lint(text)
    enc = [d for d in diags if d.code == "TL004"]
    assert len(enc) == 1 and enc[0].line == 10
    assert "0xE9" in enc[0].message and "byte offset 46" in enc[0].message
    assert any(d.code == "TL101" and d.line == 11 for d in diags)


def test_nul_byte_in_a_line() -> None:
    diags = lint(ten() + '\n{"messages": \x00}\n')
    syntax = [d for d in diags if d.code == "TL101"]
    assert syntax and syntax[0].line == 10 and syntax[0].column == 13


def test_syntax_error_messages_and_columns() -> None:
    cases = {
        '{"a": 1,}': ("trailing comma", 8),
        '{"a" 1}': ("expected ':'", 5),
        '{"a": "b}': ("unterminated string", 6),
        '{"a": NaN}': ("NaN is not valid JSON", 6),
        '{"a": True}': ("Python, not JSON", 6),
        "{'a': 1}": ("double quotes", 1),
        '{"a": 1} {"b": 2}': ("one JSON value per line", 9),
        '{"a": "\\ud800"}': ("lone surrogate", 7),
        '{"a": [1 2]}': ("expected ',' or ']'", 9),
    }
    for line, (fragment, col) in cases.items():
        diags = [d for d in lint(line) if d.code == "TL101"]
        assert diags, line
        assert fragment in diags[0].message, (line, diags[0].message)
        assert diags[0].column == col, (line, diags[0].column)


def test_deep_nesting_does_not_crash() -> None:
    deep = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
    diags = lint(deep)
    assert "TL101" in codes(diags)
    ok_deep = '{"messages": [], "x": ' + "[" * 200 + "]" * 200 + "}"
    assert "TL101" not in codes(lint(ok_deep))


def test_huge_line_is_handled() -> None:
    # 100 MB in one line: parsed, not tokenized beyond need, positions still exact.
    big = "word " * 20_000_000
    line = '{"messages": [{"role": "user", "content": "' + big + '"}, ' \
           '{"role": "assistant", "content": "ok"}]}'
    doc = Document(Analyzer(Settings()), line + "\n" + '{"messages": [}' + "\n")
    diags = doc.diagnostics()
    assert any(d.code == "TL101" and d.line == 1 for d in diags)
    assert any(d.code == "TL901" and d.line == 0 for d in diags)


def test_utf8_is_the_text_encoded() -> None:
    for text in ("\ufeff" + ten("\r\n") + "\r\n", ten("\r") + "\n日本 🙂", "", "\n\n",
                 '{"a": "\ud800"}\n' + ten()):
        doc = Document(Analyzer(Settings()), text)
        assert doc.utf8() == text.encode("utf-8", "surrogatepass")


def test_utf8_pieces_end_at_line_ends_and_join_to_the_text() -> None:
    text = "\ufeff" + ten("\r\n") + "\r\n" + "日本 🙂\n" * 50 + "no final line end"
    doc = Document(Analyzer(Settings()), text)
    pieces = list(doc.utf8_pieces(10, 300))
    assert len(pieces) > 5 and b"".join(pieces) == doc.utf8()
    assert all(p.endswith(b"\n") for p in pieces[:-1])
