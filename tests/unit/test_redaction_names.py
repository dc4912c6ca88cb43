"""Tests for the redaction rules of names: after a title, by context, from the name lists, propagated; the new
forms of issue 10; and the words that are names only sometimes (kept when no person is meant)."""

from __future__ import annotations

import pytest

from bot.core.privacy.redaction import Redactor
from tests.support.redaction_support import found, types_of

# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mr Smith came in", "Smith"),
        ("Mrs O'Neill smiled", "O'Neill"),
        ("Miss Fairbairn-Jones", "Fairbairn-Jones"),
        ("Mx Taylor said", "Taylor"),
        ("Dr. Patel said", "Patel"),
        ("Prof Okoye", "Okoye"),
        ("Professor Lindqvist", "Lindqvist"),
        ("Sister Agnes Byrne", "Agnes Byrne"),
        ("Nurse Adeyemi", "Adeyemi"),
        ("Dr J. R. Hartley", "J. R. Hartley"),
        ("Dr de Souza", "de Souza"),
        ("Mrs Van der Merwe", "Van der Merwe"),
        ("Mr al-Hassan", "al-Hassan"),
        ("Mr McAllister", "McAllister"),
        ("I'll call him Mr A to protect him", "A"),
        ("Mrs Bell and Mr Parkinson", "Bell"),
    ],
)
def test_titled_names(r: Redactor, text: str, name: str) -> None:
    assert (name, "NAME") in found(r, text)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("There was a patient called Sarah.", ["Sarah"]),
        ("a man named John Smith arrived", ["John Smith"]),
        ("Her son Tom sat in the corner.", ["Tom"]),
        ("His wife, Margaret, stayed.", ["Margaret"]),
        ("my consultant Dr Patel", ["Patel"]),
        ("Mrs Jones' daughter Emily was furious", ["Jones", "Emily"]),
        ("I'll call her Anna.", ["Anna"]),
        ("Patient X, Fred, waited six weeks.", ["Fred"]),
        ("The patient (let's call her Maya) left.", ["Maya"]),
        ("The nurse in charge, Grace, told me.", ["Grace"]),
        ("Her husband Bill sat with her.", ["Bill"]),
        ("her son tom was there", ["tom"]),
        ("a woman called Zorblax", ["Zorblax"]),
        ("I asked Will whether he was ok.", ["Will"]),
        ("Mark said he had not slept.", ["Mark"]),
        ("Will's mum came to every appointment.", ["Will"]),
        ("Grace Okafor is the SHO.", ["Grace Okafor"]),
        ("Siobhan had been told.", ["Siobhan"]),
        ("I met Mohammed Al-Amin on Tuesday.", ["Mohammed Al-Amin"]),
        ("i think jess was the only one who noticed", ["jess"]),
    ],
)
def test_context_and_list_names(r: Redactor, text: str, names: list[str]) -> None:
    got = [t for t, typ in found(r, text) if typ == "NAME"]
    assert got == names


def test_name_propagation(r: Redactor) -> None:
    text = "Her daughter Hope visited. Hope was upset, and Mrs Okoro said Okoro is a common name."
    got = [t for t, typ in found(r, text) if typ == "NAME"]
    assert got == ["Hope", "Hope", "Okoro", "Okoro"]


@pytest.mark.parametrize(
    "text",
    [
        "May I say something?",
        "Will power is not enough.",
        "Grace under pressure is rare.",
        "I felt awful.",
        "Joy was not a word I expected.",
        "Hope is not a plan.",
        "Bill payments piled up.",
        "Mark the chart.",
        "Rose Ward is quiet.",
        "Patients on Rose Ward stay for months.",
        "The Queen Elizabeth Hospital.",
        "A week at St Thomas' and St Mary's.",
        "The John Radcliffe was big.",
        "Ward 7 and bed 12.",
        "The F1, the ST3 and the GP on A&E.",
        "The NHS and the Mental Health Act.",
        "Section 2 on ward round.",
        "Will you be joining us?",
        "In May the rota changes.",
        "a condition called Parkinson's",
        "I called Security and then Resus.",
        "The Nurse Practitioner saw him.",
        "Christmas Eve on the ward.",
        "We called Ward 12 to ask.",
        "Dr I think said that.",
        "The consultant Psychiatrist came.",
        "Our May exams were looming.",
        "my nan always says",
        "The Grace Ward at the hospice",
    ],
)
def test_name_negatives(r: Redactor, text: str) -> None:
    assert "NAME" not in types_of(r, text), found(r, text)


# --------------------------------------------------------------------------- issue 10: new forms, and words not names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I shadowed Okonkwo on the ward round.", "Okonkwo"),  # a surname alone, in no list
        ("Brennan from the pain team came up twice.", "Brennan"),  # listed surname, sentence start
        ("the patient was called siobhan and she wanted to go home", "siobhan"),
        ("her husband tomasz kept asking when she could eat", "tomasz"),
        ("Mr O’Connor refused the cannula.", "O’Connor"),
        ("Mrs D’Souza asked me whether I was a real doctor.", "D’Souza"),
        ("The student nurse, Ngozi Eze-Williams, was braver than me.", "Ngozi Eze-Williams"),
        ("Łukasz was translating for his grandmother.", "Łukasz"),
        ("I met Agnès Dubois at the memory clinic.", "Agnès Dubois"),
        ("The nurse, Rose, showed me how to talk to families.", "Rose"),
        ("My patient Bill had been a miner.", "Bill"),
        ("Faith told me she had raised four children.", "Faith"),
        ("I saw Mr K. again in clinic.", "K."),
        ("Patient JD had been admitted four times.", "JD"),
        ("I'll refer to him as R. to protect him.", "R."),
        ("Paddy O’Shea (the porter) showed me a shortcut.", "Paddy O’Shea"),
        ("Ms Amara N'Diaye was frightened.", "Amara N'Diaye"),
        ("Rose, the patient in bed 2, was 88.", "Rose"),
        ("Bill kept asking for his wife.", "Bill"),
        ("Precious was the nurse in charge.", "Precious"),
        ("I spoke to Sunny about his drinking.", "Sunny"),
        ("We looked after Patience, who had dementia.", "Patience"),
        ("JB, 45, presented with chest pain.", "JB"),
        ("We saw TK in clinic.", "TK"),
        ("i saw oluwadamilola today and she was upset", "oluwadamilola"),
        ("chatted with nkemdirim about the exam", "nkemdirim"),
        ("The F2 (Ravindra) stayed late.", "Ravindra"),
        ("Ahmadzai waited four hours in A&E.", "Ahmadzai"),
        ("The patient, JT, had been in and out.", "JT"),
    ],
)
def test_new_name_forms(r: Redactor, text: str, name: str) -> None:
    assert (name, "NAME") in found(r, text)


@pytest.mark.parametrize(
    "text",
    [
        "I will try to speak up more next time.",
        "He paid the bill with coins.",
        "I have faith in the team.",
        "She rose from the chair slowly.",
        "There is hope for him, the consultant said.",
        "In May the rota changes.",
        "My placement in Manchester was the first time I saw real deprivation.",
        "She lives on a farm near Brecon.",  # a town not in any list, after "near": kept
        "He was prescribed Oramorph and spoke only Tigrinya.",
        "We used Google Translate because the interpreter didn't come.",
        "Hope was all she had left.",
        "Summer was busy on the ward.",
        "Patience is needed in this job.",
        "Will power kept him going.",
        "We saw CT and MRI results.",
        "pt came in with dka and nstemi, gave paracetamol with cyclizine",
    ],
)
def test_words_that_are_names_stay_when_no_person_is_meant(r: Redactor, text: str) -> None:
    assert "NAME" not in types_of(r, text)


@pytest.mark.parametrize(
    "word",
    ["Tinzaparin", "Rheumatology", "Endoscopy", "Gentamicin", "Quetiapine", "Lamotrigine", "Spotify", "Quran",
     "Datix", "Propofol", "Hartmann's"],
)  # fmt: skip
def test_capitalised_medicines_specialties_and_brands_are_not_names(r: Redactor, word: str) -> None:
    assert r.find(f"After the shift we talked about {word} for a while.") == []
