"""The Bot API emulator's markup parser: HTML, MarkdownV2 and Markdown to plain text and entities, and the
errors Telegram gives for markup it cannot parse."""

from __future__ import annotations

import pytest

from bot.devtools.emulator import MarkupError, parse_markup


# ---------------------------------------------------------------------------------------- markup parser
@pytest.mark.parametrize(
    ("text", "mode", "plain", "entity_types"),
    [
        ("<b>bold</b> &lt;3 <a href='https://x.org'>x</a>", "HTML", "bold <3 x", ["bold", "text_link"]),
        ("<pre><code class='language-py'>1</code></pre>", "html", "1", ["pre"]),
        (
            "*b* _i_ __u__ ~s~ ||sp|| `c` [l](https://x.org) 1\\.5\\!",
            "MarkdownV2",
            "b i u s sp c l 1.5!",
            ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link"],
        ),
        (">quoted\nplain", "MarkdownV2", "quoted\nplain", ["blockquote"]),
        ("*b* 1.5 [x]", "Markdown", "b 1.5 [x]", ["bold"]),
        ("plain <b>", None, "plain <b>", []),
    ],
)
def test_markup_parsing(text: str, mode: str | None, plain: str, entity_types: list[str]) -> None:
    parsed, entities = parse_markup(text, mode)
    assert parsed == plain
    assert [e["type"] for e in entities] == entity_types


@pytest.mark.parametrize(
    ("text", "mode", "error"),
    [
        ("a < b", "HTML", "Unclosed start tag at byte offset 2"),
        ("<b>x</i>", "HTML", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("Done!", "MarkdownV2", "Character '!' is reserved"),
        ("*open", "MarkdownV2", "Can't find end of Bold entity at byte offset 0"),
    ],
)
def test_markup_errors(text: str, mode: str, error: str) -> None:
    with pytest.raises(MarkupError, match="^" + error.replace("(", r"\(")):
        parse_markup(text, mode)
