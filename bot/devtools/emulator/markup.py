"""Telegram-like parsing of ``parse_mode`` markup (HTML, MarkdownV2, legacy Markdown).

Telegram rejects badly formed markup with ``400 Bad Request: can't parse entities: ...``; a bot that
forgets to escape user-provided text fails in production exactly like that, so the emulator parses
the markup too.  The parser returns the plain text and the list of MessageEntity dicts (offsets and
lengths in UTF-16 code units, as Telegram uses them).  It is deliberately strict where Telegram is
strict (unknown tags, unescaped reserved MarkdownV2 characters, unclosed entities) and lenient in the
corner cases where Telegram's exact behaviour is not worth emulating.
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["MarkupError", "parse_markup", "utf16_len"]

# HTML tag -> entity type.  "a", "span", "tg-emoji", "pre" and "code" get extra handling.
_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)?((?:\s+[^>]*)?)\s*/?>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_CHAR_REF_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "`": "Code",
    "[": "TextUrl",
}
_MD_TYPES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
    "`": "code",
}


class MarkupError(ValueError):
    """The text cannot be parsed; ``str(exc)`` is Telegram's reason (after "can't parse entities: ")."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


class _Builder:
    """Accumulates output text and entities, tracking the UTF-16 length of the output so far."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos16 = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos16 += utf16_len(text)

    def entity(self, kind: str, start16: int, **extra: Any) -> None:
        if self.pos16 > start16:
            self.entities.append({"type": kind, "offset": start16, "length": self.pos16 - start16, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def parse_markup(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Return ``(plain_text, entities)``; raise :class:`MarkupError` for malformed markup.

    ``parse_mode`` is case-insensitive like in Telegram; ``None``/empty means plain text.  An unknown
    parse mode raises ``ValueError("unsupported parse_mode")``.
    """
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown(text, v2=True)
    if mode == "markdown":
        return _parse_markdown(text, v2=False)
    raise ValueError("unsupported parse_mode")


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: _HtmlStack = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "&":
            ref = _CHAR_REF_RE.match(text, i)
            if ref:
                out.add(html.unescape(ref.group(0)))
                i = ref.end()
                continue
            out.add(char)
            i += 1
            continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        tag = _TAG_RE.match(text, i)
        if tag is None:
            raise MarkupError(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
        closing, name, attr_text = tag.group(1), (tag.group(2) or "").lower(), tag.group(3)
        if closing:
            if not stack:
                raise MarkupError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            open_name, start16, extra = stack.pop()
            if name != open_name:
                raise MarkupError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            _close_html_entity(out, open_name, start16, extra, stack)
        else:
            if name not in _HTML_TAGS:
                raise MarkupError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}')
            attrs = {
                m.group(1).lower(): next((g for g in m.groups()[1:] if g is not None), "")
                for m in _ATTR_RE.finditer(attr_text)
            }
            stack.append((name, out.pos16, _html_extras(name, attrs, _byte_offset(text, i))))
        i = tag.end()
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _html_extras(name: str, attrs: dict[str, str], byte_offset: int) -> dict[str, Any]:
    if name == "a":
        if "href" not in attrs:
            return {}  # Telegram ignores <a> without href (no entity), we do the same
        return {"url": html.unescape(attrs["href"])}
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}')
    if name == "tg-emoji":
        return {"custom_emoji_id": attrs.get("emoji-id", "")}
    if name == "code" and attrs.get("class", "").startswith("language-"):
        return {"language": attrs["class"][len("language-") :]}
    if name == "blockquote" and "expandable" in attrs:
        return {"expandable": True}
    return {}


_HtmlStack = list[tuple[str, int, dict[str, Any]]]  # (tag, start16, entity extras)


def _close_html_entity(
    out: _Builder, name: str, start16: int, extra: dict[str, Any], stack: _HtmlStack
) -> None:
    kind = _HTML_TAGS[name]
    if name == "a" and "url" not in extra:
        return
    if name == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> -> the language belongs to the enclosing pre entity.
        if "language" in extra:
            stack[-1][2]["language"] = extra["language"]
        return
    if name == "blockquote" and extra.pop("expandable", False):
        kind = "expandable_blockquote"
    out.entity(kind, start16, **extra)


def _parse_markdown(text: str, *, v2: bool) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # (marker, start16, byte offset of the marker)
    quote_start: int | None = None
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        if v2 and at_line_start:
            if char == ">" and quote_start is None:
                quote_start = out.pos16
            if char != ">" and quote_start is not None:
                _end_quote(out, quote_start)
                quote_start = None
            if char == ">":
                i += 1
                continue
        if char == "\\" and (v2 or (i + 1 < n and text[i + 1] in "_*`[")):
            if i + 1 >= n:
                raise MarkupError("Character '\\' is reserved and must be escaped with the preceding '\\'")
            out.add(text[i + 1])
            i += 2
            continue
        if char == "`" and text.startswith("```", i):
            i = _parse_pre(text, i, out, v2=v2)
            continue
        marker = text[i : i + 2] if v2 and text[i : i + 2] in ("__", "||") else char
        if marker in _MD_TYPES and (v2 or marker in "*_`"):
            open_markers = [entry[0] for entry in stack]
            if marker in open_markers:
                index = len(open_markers) - 1 - open_markers[::-1].index(marker)
                _, start16, _ = stack.pop(index)
                out.entity(_MD_TYPES[marker], start16)
            else:
                stack.append((marker, out.pos16, _byte_offset(text, i)))
            i += len(marker)
            if marker == "`":
                i = _copy_code(text, i, out, stack, v2=v2)
            continue
        if char == "[" and not v2:
            i = _legacy_link(text, i, out)
            continue
        if char == "[":
            stack.append(("[", out.pos16, _byte_offset(text, i)))
            i += 1
            continue
        if char == "]" and any(entry[0] == "[" for entry in stack):
            i = _close_link(text, i, out, stack)
            continue
        if v2 and char in _MDV2_RESERVED:
            raise MarkupError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        out.add(char)
        i += 1
    if quote_start is not None:
        _end_quote(out, quote_start)
    if stack:
        marker, _, byte_offset = stack[-1]
        if v2:
            raise MarkupError(f"Can't find end of {_MD_NAMES[marker]} entity at byte offset {byte_offset}")
        raise MarkupError(f"Can't find end of the entity starting at byte offset {byte_offset}")
    return out.result()


def _end_quote(out: _Builder, start16: int) -> None:
    # The newline that ends the quoted block is not part of the blockquote entity.
    trailing = 1 if out.parts and out.parts[-1] == "\n" else 0
    if out.pos16 - trailing > start16:
        length = out.pos16 - trailing - start16
        out.entities.append({"type": "blockquote", "offset": start16, "length": length})


def _copy_code(text: str, i: int, out: _Builder, stack: list[tuple[str, int, int]], *, v2: bool) -> int:
    """Inside inline code only ``\\``-escapes and the closing backtick are special."""
    while i < len(text):
        if v2 and text[i] == "\\" and i + 1 < len(text):
            out.add(text[i + 1])
            i += 2
        elif text[i] == "`":
            _, start16, _ = stack.pop()
            out.entity("code", start16)
            return i + 1
        else:
            out.add(text[i])
            i += 1
    return i  # unclosed: reported by the caller because the marker is still on the stack


def _parse_pre(text: str, i: int, out: _Builder, *, v2: bool) -> int:
    end = text.find("```", i + 3)
    if end < 0:
        name = "Pre" if v2 else "the"
        suffix = "entity" if v2 else "entity starting"
        raise MarkupError(f"Can't find end of {name} {suffix} at byte offset {_byte_offset(text, i)}")
    body = text[i + 3 : end]
    language = None
    first_line, newline, rest = body.partition("\n")
    if newline and first_line and " " not in first_line:
        language, body = first_line, rest
    elif newline and not first_line:
        body = rest
    if v2:
        body = re.sub(r"\\(.)", r"\1", body)
    start16 = out.pos16
    out.add(body)
    out.entity("pre", start16, **({"language": language} if language else {}))
    return end + 3


_LEGACY_LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


def _legacy_link(text: str, i: int, out: _Builder) -> int:
    """Legacy Markdown: ``[text](url)`` is a link, any other ``[`` is just a character."""
    link = _LEGACY_LINK_RE.match(text, i)
    if link is None:
        out.add("[")
        return i + 1
    start16 = out.pos16
    out.add(link.group(1))
    out.entity("text_link", start16, url=link.group(2))
    return link.end()


def _close_link(text: str, i: int, out: _Builder, stack: list[tuple[str, int, int]]) -> int:
    index = max(k for k, entry in enumerate(stack) if entry[0] == "[")
    _, start16, byte_offset = stack.pop(index)
    if not text.startswith("(", i + 1):
        raise MarkupError(f"Can't find end of a URL at byte offset {byte_offset}")
    end = text.find(")", i + 2)
    if end < 0:
        raise MarkupError(f"Can't find end of a URL at byte offset {byte_offset}")
    url = text[i + 2 : end].replace("\\)", ")").replace("\\\\", "\\")
    out.entity("text_link", start16, url=url)
    return end + 1
