"""Untrusted text (LLM answers, server errors, shared run folders) made safe to print and to save."""

from __future__ import annotations

import pytest

from sweepdeck.engine.safe_text import CleanStream, neutralise_html, safe_markdown, strip_control

# window title, clear screen, an OSC 8 link hiding its target, the alternate screen
PAYLOAD = "\x1b]0;pwned\x07\x1b[2J\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\\x1b[?1049h"
CONTROL = [chr(c) for c in range(0x20) if c not in (9, 10)] + [chr(c) for c in range(0x7f, 0xa0)] \
    + ["\u202a", "\u202e", "\u2066", "\u2069"]


def control_chars(text: object) -> list[str]:
    """The control characters in `text`: shared by the tests of everything that shows untrusted text."""
    return [c for c in str(text) if c in CONTROL]


def assert_clean(text: str) -> None:
    bad = control_chars(text)
    assert not bad, f"control characters left: {bad!r} in {text!r}"


def test_the_payload_loses_every_sequence_and_keeps_its_text():
    assert strip_control(f"before {PAYLOAD} after") == "before link after"


@pytest.mark.parametrize("seq", [
    "\x1b[31m", "\x1b[?25l", "\x9b2J",                      # CSI, 7- and 8-bit
    "\x1b]0;title\x1b\\", "\x9d0;title\x9c",                 # OSC ended by ST
    "\x1bPq#0;2;0;0;0\x1b\\", "\x1b_apc\x1b\\", "\x1b^pm\x1b\\", "\x1bXsos\x1b\\",  # DCS (sixel), APC, PM, SOS
    "\x1bc", "\x1b(0", "\x1b7",                              # reset, charset, save cursor
    "\r", "\x08", "\x07", "\x00", "\x85", "\u202e", "\u2066",
])
def test_each_kind_of_sequence_is_removed(seq):
    out = strip_control(f"a{seq}b")
    assert out == "ab", repr(out)


def test_a_lone_escape_at_the_end_goes():
    assert strip_control("a\x1b") == "a"


def test_tabs_newlines_and_ordinary_unicode_stay():
    text = "| a\t| b |\n## Überblick: 86.00% ⚠[1] → t001 ≈ 0.5 ± 0.1 — done\n"
    assert strip_control(text) == text


def test_an_unterminated_string_shows_its_text_without_the_introducer():
    out = strip_control("ok \x1b]0;never ends")
    assert_clean(out)
    assert out == "ok ]0;never ends"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_sequences_split_across_pieces_are_still_removed(size):
    text = f"ok {PAYLOAD} done \x1b[1mbold\x1b[0m \x9b2J end"
    stream = CleanStream()
    out = "".join(stream.feed(text[i:i + size]) for i in range(0, len(text), size)) + stream.finish()
    assert out == strip_control(text) == "ok link done bold  end"


def test_stripping_each_piece_alone_would_not_be_enough():
    # the stream's state matters: the OSC introducer and its terminator arrive apart
    pieces = ["ok \x1b]8;;http://ev", "il\x1b", "\\link"]
    assert "http://evil" in "".join(strip_control(p) for p in pieces)
    stream = CleanStream()
    out = "".join(stream.feed(p) for p in pieces) + stream.finish()
    assert out == "ok link"


def test_the_stream_holds_back_enough_for_a_split_secret():
    secret = "sk-test-0123456789abcdef"
    text = f"the key is {secret}, twice: {secret}."
    for size in (1, 4, 7, 23):
        stream = CleanStream(lambda s: s.replace(secret, "[key]"), hold=len(secret) - 1)
        out = "".join(stream.feed(text[i:i + size]) for i in range(0, len(text), size)) + stream.finish()
        assert out == "the key is [key], twice: [key].", size


def test_an_endless_unterminated_string_is_not_held_forever():
    stream = CleanStream()
    out = stream.feed("\x1b]0;" + "x" * 10_000)
    assert len(out) > 5000 and "\x1b" not in out


def test_active_html_is_escaped_and_ordinary_markdown_is_not():
    md = ("## Overview\n\n<script>alert(1)</script> <STYLE>body{}</style> <iframe src=//evil>\n"
          "<img src=x onerror=alert(1)> [click](javascript:alert(1)) [b](JaVa\tScRiPt:x) [c](java&#115;cript:x)\n"
          "| lr | acc |\n| --- | --- |\n| 0.01 | 86.00% |\n\n**bold**, `a < b`, <b>fine</b>, [docs](https://example.com/x?a=1&b=2)\n")
    out = neutralise_html(md)
    low = out.lower()
    for bad in ("<script", "</script", "<style", "<iframe", "<img", "javascript:", "&#115;cript"):
        assert bad not in low.replace("\t", ""), bad
    assert "| 0.01 | 86.00% |" in out and "**bold**" in out and "`a < b`" in out and "<b>fine</b>" in out
    assert "[docs](https://example.com/x?a=1&b=2)" in out


def test_safe_markdown_does_both():
    out = safe_markdown(f"# Report {PAYLOAD}\n<script>x</script>\n")
    assert_clean(out)
    assert "<script" not in out and out.startswith("# Report link")
