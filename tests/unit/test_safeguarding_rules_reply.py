"""Safeguarding: the support resources (default and an institution's) and the reply rendered from them, as
Telegram's HTML, escaped and sandboxed."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.core.safety.safeguarding_rules import Category, Resource, load_resources, render_support_reply

# --------------------------------------------------------------------------------------------
# resources and the reply
# --------------------------------------------------------------------------------------------


def test_default_resources() -> None:
    res = {r.id: r for r in load_resources()}
    assert "116 123" in res["samaritans"].contact and "jo@samaritans.org" in res["samaritans"].contact
    assert "free" in res["samaritans"].hours and "24/7" in res["samaritans"].hours
    assert "85258" in res["shout"].contact
    assert "111" in res["nhs111"].contact
    assert "0330 123 1245" in res["bma"].contact and "24/7" in res["bma"].hours
    assert "medical students" in res["bma"].description
    assert "999" in res["emergency"].contact and "A&E" in res["emergency"].contact
    assert res["emergency"].kind == "urgent"
    assert res["wellbeing"].placeholder
    assert {r.kind for r in res.values()} == {"urgent", "support", "concern"}
    assert all(r.url is None or r.url.startswith("https://") for r in res.values())


def test_institution_resources() -> None:
    res = {r.id: r for r in load_resources(institution="example")}
    assert res["wellbeing"].name == "Example Medical School Student Wellbeing"
    assert not res["wellbeing"].placeholder
    assert res["wellbeing"].kind == "support"  # kept from the default entry
    assert "samaritans" in res
    with pytest.raises(KeyError):
        load_resources(institution="nowhere")


def test_institution_omit_and_bad_url(tmp_path: Path) -> None:
    path = tmp_path / "resources.toml"
    path.write_text(
        """
[[resource]]
id = "a"
name = "A"
contact = "call 1"

[[resource]]
id = "b"
name = "B"
contact = "call 2"

[institution.x]
omit = ["a"]
""",
        encoding="utf-8",
    )
    assert [r.id for r in load_resources(path, institution="x")] == ["b"]
    path.write_text('[[resource]]\nid = "a"\nname = "A"\ncontact = "1"\nurl = "javascript:alert(1)"\n')
    with pytest.raises(ValueError, match="https://"):
        load_resources(path)


TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote"}


class _TagCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    def handle_data(self, data: str) -> None:
        self.text += data


def _parse(html: str) -> _TagCheck:
    parser = _TagCheck()
    parser.feed(html)
    parser.close()
    assert not parser.stack, f"unclosed tags {parser.stack}"
    assert parser.tags <= TELEGRAM_TAGS, parser.tags
    return parser


@pytest.mark.parametrize("variant", ["self", "someone_else", "patient_safety"])
@pytest.mark.parametrize("category", [None, *Category])
def test_reply_renders_as_telegram_html(variant: str, category: Category | None) -> None:
    html = render_support_reply(load_resources(), student_name="Priya", variant=variant, category=category)  # type: ignore[arg-type]
    parsed = _parse(html)
    assert parsed.text.startswith("Priya, thank you")
    assert "{{" not in html and "{%" not in html
    assert "\n\n\n" not in html


def test_reply_self_says_a_tutor_will_be_in_touch() -> None:
    text = _parse(render_support_reply(load_resources(), category=Category.SUICIDAL)).text
    assert text.startswith("Thank you for telling me")
    assert "participant information" in text and "facilitator" in text and "not what you wrote" in text
    for needle in ("116 123", "jo@samaritans.org", "85258", "111", "0330 123 1245", "999", "A&E"):
        assert needle in text, needle
    assert "act on these thoughts" in text


def test_reply_variants_do_not_claim_an_alert() -> None:
    for variant in ("someone_else", "patient_safety"):
        text = _parse(render_support_reply(load_resources(), variant=variant)).text  # type: ignore[arg-type]
        assert "facilitator know" not in text
        assert "haven't passed" in text
    concern = _parse(render_support_reply(load_resources(), variant="patient_safety")).text
    assert "Freedom to Speak Up" in concern and "Samaritans" not in concern


def test_reply_escapes_everything() -> None:
    evil = Resource(
        id="x",
        name="<script>alert(1)</script>",
        contact='call <b>0800</b> & "ask"',
        description="<i>hi</i>",
        url='https://example.org/?a=1&b="><script>',
    )
    html = render_support_reply([evil], student_name="<b>Tom & Jerry</b>")
    assert "<script>" not in html and "<b>Tom" not in html and "<i>hi" not in html
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "call &lt;b&gt;0800&lt;/b&gt; &amp; &#34;ask&#34;" in html
    assert 'href="https://example.org/?a=1&amp;b=&#34;&gt;&lt;script&gt;"' in html
    _parse(html)


def test_reply_rejects_unknown_variant() -> None:
    with pytest.raises(ValueError):
        render_support_reply(load_resources(), variant="nope")  # type: ignore[arg-type]


def test_reply_template_is_sandboxed(tmp_path: Path) -> None:
    from jinja2.exceptions import SecurityError

    template = tmp_path / "t.j2"
    template.write_text("{{ support[0].__class__.__mro__ }}", encoding="utf-8")
    with pytest.raises(SecurityError):
        render_support_reply(load_resources(), template_path=template)
