"""How the workbench cuts an item's text for highlighting and widens a selection to whole words."""

from __future__ import annotations

from bot.research.web_views import Piece, pieces, snap

TEXT = "I met Mrs [NAME] on the ward; she smiled 😊 at me."


def test_a_selection_widens_to_whole_words_and_drops_outer_spaces() -> None:
    at = TEXT.index("ward")
    assert snap(TEXT, at + 1, at + 3) == (at, at + 4)  # "ar" → "ward"
    assert snap(TEXT, at - 1, at + 5) == (at, at + 5)  # " ward;": the space goes, what was selected stays
    smiled = TEXT.index("smiled")
    assert TEXT[slice(*snap(TEXT, smiled + 2, TEXT.index("me.") + 1))] == "smiled 😊 at me"
    assert snap(TEXT, 3, 3) == (3, 3)  # nothing selected stays nothing


def test_pieces_mark_placeholders_and_overlapping_codes() -> None:
    ph = (TEXT.index("[NAME]"), TEXT.index("[NAME]") + 6)
    ward = TEXT.index("ward")
    out = pieces(TEXT, [ph], [(ward - 4, ward + 4, "Place", "#111111"), (ward, ward + 4, "Work", "#222222")])
    assert "".join(p.text for p in out) == TEXT
    assert Piece("[NAME]", placeholder=True) in out
    assert Piece("the ", codes=("Place",), colour="#111111") in out
    assert Piece("ward", codes=("Place", "Work"), colour="#111111") in out
    assert pieces("", [], []) == []
