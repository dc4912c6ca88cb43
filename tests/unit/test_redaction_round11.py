"""Round 11 of the redactor (issue 10): the shapes and context cues the `gen-r11` development lines showed slipping,
checked with other names, numbers and frames than those lines hold; and the look-alikes that must stay readable."""

from __future__ import annotations

import pytest

from bot.core.privacy.redaction import Redactor
from tests.support.redaction_support import hidden, shown


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # each part of a double-barrelled name may carry its own prefix
        ("we saw Mrs Doherty-McCann in clinic", "Doherty-McCann"),
        ("Dr Byrne-O'Hara was on call", "Byrne-O'Hara"),
        # a lower-case syllable after an apostrophe belongs to the name
        ("Mr Ka'iulani asked for water", "Ka'iulani"),
        # camel-case prefixes
        ("I met LaKeisha on the ward round", "LaKeisha"),
        # particles opening a sentence or between names
        ("das Neves was the patient in bed 3", "das Neves"),
        ("Nurul binti Ismail was her mother", "Nurul binti Ismail"),
        ("Nic an Bhreithimh was the name on her letter", "Nic an Bhreithimh"),
    ],
)
def test_round_eleven_name_shapes(r: Redactor, text: str, name: str) -> None:
    assert hidden(r, text, name), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a naming predicate: whatever the word, it is a name
        ("Spring was her name and she hated it", "Spring"),
        ("Holly and Robin were the names of the two porters", "Holly"),
        ("Holly and Robin were the names of the two porters", "Robin"),
        ("Archer was the name of the F1 on nights", "Archer"),
        ("Ní Dhomhnaill was her surname", "Ní Dhomhnaill"),
        # a role said of a capitalised word that could be a name: listed, unknown, or a word the lists hold
        ("Fletcher was the anaesthetist on the list", "Fletcher"),
        ("Tunmise was the Nigerian HCA on nights", "Tunmise"),
        ("Mercy is a staff nurse on the renal ward", "Mercy"),
        ("Delphine was the student nurse with me", "Delphine"),
        # an age said of it
        ("Albertine was eighty-eight and still sharp", "Albertine"),
        # a surname that is a word, before a verb of speech and its listener
        ("Carpenter told us to go for lunch", "Carpenter"),
        # an unlisted word before a person's irregular past tense
        ("Oyinlola brought cake for the nurses", "Oyinlola"),
        ("Nkemdirim spent an hour with the family", "Nkemdirim"),
    ],
)
def test_round_eleven_names_by_predicate(r: Redactor, text: str, name: str) -> None:
    assert hidden(r, text, name), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # text typed in lower case: a chat word before the name still opens the sentence
        ("lol zinhle just asked if i want her shift", "zinhle"),
        ("tbh olamiposi never complains", "olamiposi"),
        # a present-tense request to a person
        ("can you ask funmbi about the rota", "funmbi"),
        ("pls remind adaobi about the teaching", "adaobi"),
        # a lower-case word that belongs to a group, in text with capitals too
        ("nkiruka from my PBL group has the notes", "nkiruka"),
        # a sentence opened by the word, then a past tense in -ed
        ("tamuka signed the consent form", "tamuka"),
    ],
)
def test_round_eleven_lower_case_chat(r: Redactor, text: str, name: str) -> None:
    assert hidden(r, text, name), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # a naming predicate of a thing, or a name for something
        ("Pearl was the name of the boat he sailed", "Pearl"),
        ("Grief was her name for it, and I understood", "Grief"),
        # a role that is no one's: a possessive, a preposition before it, a thing as subject
        ("Lunch was the highlight for the patient", "Lunch"),
        ("Pneumonia was the patient's main problem", "Pneumonia"),
        ("The Surgery was a nurse's dream", "Surgery"),
        # groups and plurals before a verb of speech
        ("Police told us to wait outside", "Police"),
        ("Nurses told me to go home", "Nurses"),
        # chat words and Scots words are no names
        ("sooo tired of nights", "sooo"),
        ("Naebody saw what he did", "Naebody"),
        ("someone posted pics from our placement", "pics"),
        # word-names without a person's predicate
        ("Hope made the difference in the end", "Hope"),
    ],
)
def test_round_eleven_predicates_leave_words(r: Redactor, text: str, kept: str) -> None:
    assert shown(r, text, kept), r.redact(text).text
