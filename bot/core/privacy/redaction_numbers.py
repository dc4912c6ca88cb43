"""De-identification rules for numbers and contact details: NHS and hospital numbers, e-mails, phones, postcodes.

Split out of :mod:`bot.core.privacy.redaction_rules` for size; :class:`bot.core.privacy.redaction_rules.RuleSet`
runs them (reading its configuration through :class:`RuleHost`). Pure functions over ``str`` (the folded text):
no I/O, no telegram, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import (
    _HAS_DIGIT,
    EIRCODE,
    NHS_LOOSE,
    PHONE_EXTENSION,
    Candidate,
    RuleHost,
    _alt,
    is_valid_nhs_number,
)

NHS_4_3_3 = re.compile(r"(?<![\w\-/.])([0-9]{4})([\-–])([0-9]{3})\2([0-9]{3})(?![\w\-/]|\.\d)")


class NumberRules:
    """The rules for identifiers that are numbers or addresses to write to, compiled once for a :class:`RuleSet`."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.postcode_areas = frozenset(a.upper() for a in cfg.postcode_areas)
        self.nhs_re = re.compile(r"(?<![\w\-/.])([0-9]{3})([ \u00a0\-–]?)([0-9]{3})\2([0-9]{4})(?![\w\-/]|\.\d)")
        id_token = r"(?:[A-Za-z]{1,4}[0-9]?[ \-]?)?[0-9]{2,}(?:[ \-][0-9]{3,}){0,3}[A-Za-z]?"
        self.id_kw_re = re.compile(
            rf"(?<![\w])(?:{_alt(cfg.id_keywords, ignore_case=True)})\.?(?:\s*(?:is|was|of|=|:|#|-|,|\()\s*|\s+)"
            rf"(?:no\.?\s*|number\s*)?[:#]?\s*(?P<id>{id_token})(?![\w])"
        )
        self.alnum_id_re = re.compile(r"(?<![\w\-/])[A-Z]{1,3}[0-9]{6,9}(?![\w\-/])")
        self.email_re = re.compile(
            r"(?<![\w.+\-'’])[\w.%+\-'’]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
            r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w\-@])"
        )
        self.phone_re = re.compile(
            r"(?<![\w+/.\-])(?:(?:\+|00)[ \u00a0]?44[ \u00a0\-]?(?:\(0\)[ \u00a0\-]?)?[1-9]|\(0[1-9]|0[ \u00a0]?[1-9])"
            # digits, spaces, dashes, brackets, and (round 11) dots: "07700.900.217"
            r"(?:[0-9]|(?:[ \u00a0]{1,3}|-|\.)(?=[0-9])|\)[ \u00a0\-]?(?=[0-9])){7,16}(?<=[0-9])(?![0-9]|\.[0-9])"
        )
        self.intl_phone_re = re.compile(
            r"(?<![\w+])\+(?!44)[1-9][0-9]{0,2}(?:[ \u00a0\-]?\(?[0-9]{1,4}\)?){2,6}(?![0-9])"
        )
        self.postcode_re = re.compile(
            r"(?<![\w\-/])([A-Za-z]{1,2})[0-9][A-Za-z0-9]?[ \u00a0]?"
            r"([0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}|[0-9] [ABD-HJLNP-UW-Z]{2})(?![\w\-/])"  # "EH3 9 DE" (round 11)
        )

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "nhs_number": self.nhs_number,
            "nhs_like_invalid_checksum": self.nhs_like_invalid,
            "id_after_keyword": self.id_after_keyword,
            "alphanumeric_id": self.alphanumeric_id,
            "email": self.email,
            "uk_phone": self.uk_phone,
            "international_phone": self.international_phone,
            "uk_postcode": self.uk_postcode,
            "hospital_number_seven_digits": self.seven_digits,
        }

    def nhs_number(self, text: str) -> Iterator[Candidate]:
        for m in self.nhs_re.finditer(text):
            if is_valid_nhs_number(m.group(1) + m.group(3) + m.group(4)):
                yield Candidate(m.start(), m.end(), "NHS_NUMBER", "nhs_number")
        for m in NHS_4_3_3.finditer(text):  # "4500-398-015", hyphenated 4-3-3, valid check digit
            if is_valid_nhs_number(m.group(1) + m.group(3) + m.group(4)):
                yield Candidate(m.start(), m.end(), "NHS_NUMBER", "nhs_number")
        for m in NHS_LOOSE.finditer(text):  # "721.044.3894", "9434 7659 19", "4 0 1 2 3 4 5 6 7 2", "943  476  5919"
            digits = re.sub(r"\D", "", m.group())
            if len(digits) == 10 and is_valid_nhs_number(digits):
                yield Candidate(m.start(), m.end(), "NHS_NUMBER", "nhs_number")

    def nhs_like_invalid(self, text: str) -> Iterator[Candidate]:
        for m in self.nhs_re.finditer(text):
            if not is_valid_nhs_number(m.group(1) + m.group(3) + m.group(4)):
                yield Candidate(m.start(), m.end(), "HOSPITAL_NUMBER", "nhs_like_invalid_checksum")

    def id_after_keyword(self, text: str) -> Iterator[Candidate]:
        for m in self.id_kw_re.finditer(text):
            token = m.group("id")
            digits = re.sub(r"\D", "", token)
            if len(digits) < 5:
                continue
            compact = re.sub(r"[ \-]", "", token)
            typ = "NHS_NUMBER" if compact.isdigit() and is_valid_nhs_number(compact) else "HOSPITAL_NUMBER"
            yield Candidate(m.start("id"), m.end("id"), typ, "id_after_keyword")

    def alphanumeric_id(self, text: str) -> Iterator[Candidate]:
        for m in self.alnum_id_re.finditer(text):
            yield Candidate(m.start(), m.end(), "HOSPITAL_NUMBER", "alphanumeric_id")

    def email(self, text: str) -> Iterator[Candidate]:
        for m in self.email_re.finditer(text):
            start = m.start()
            while start < m.end() and text[start] in ".-+'’":
                start += 1
            yield Candidate(start, m.end(), "EMAIL", "email")

    def uk_phone(self, text: str) -> Iterator[Candidate]:
        for m in self.phone_re.finditer(text):
            start = m.start()
            end = self._valid_phone_end(text, start, m.end())
            if end is None and text[start] == "(":  # "(0113 496 0555)": the bracket opens the aside
                start += 1
                end = self._valid_phone_end(text, start, m.end())
            if end is not None:
                ext = PHONE_EXTENSION.match(text, end)  # "0161 496 0742 ext 213": the extension reaches the person
                yield Candidate(start, ext.end() if ext else end, "PHONE", "uk_phone")

    @staticmethod
    def _valid_phone_end(text: str, start: int, end: int) -> int | None:
        """Shorten a phone-shaped match at separators until it has a UK number of digits."""
        while end > start:
            raw = text[start:end]
            if raw.count("(") != raw.count(")"):
                return None
            digits = re.sub(r"\D", "", raw)
            if raw.startswith("+") or raw.startswith("00"):
                national = digits[2:] if raw.startswith("+") else digits[4:]
                national = national[1:] if national.startswith("0") else national
            else:
                national = digits[1:]
            if len(national) in (9, 10) and national[0] in "1235789":
                return end
            if len(national) < 9:
                return None
            cut = max(raw.rfind(" "), raw.rfind("-"), raw.rfind("\u00a0"), raw.rfind("."))
            if cut <= 0:
                return None
            end = start + cut
        return None

    def international_phone(self, text: str) -> Iterator[Candidate]:
        for m in self.intl_phone_re.finditer(text):
            if 8 <= len(re.sub(r"\D", "", m.group())) <= 15:
                yield Candidate(m.start(), m.end(), "PHONE", "international_phone")

    def uk_postcode(self, text: str) -> Iterator[Candidate]:
        for m in self.postcode_re.finditer(text):
            area, inward = m.group(1), m.group(2).replace(" ", "")
            if self.postcode_areas and area.upper() not in self.postcode_areas:
                continue
            if inward[1:] in ("st", "nd", "rd", "th"):  # "ST3 1st", "L5 2nd": ordinals, not postcodes
                continue
            yield Candidate(m.start(), m.end(), "POSTCODE", "uk_postcode")
        for m in EIRCODE.finditer(text):  # Ireland: "H91 E2K3", "D6W 1A2B"
            if any(c.isdigit() for c in m.group(2)) and any(c.isalpha() for c in m.group(2)):
                yield Candidate(m.start(), m.end(), "POSTCODE", "uk_postcode")

    def seven_digits(self, text: str) -> Iterator[Candidate]:
        if not _HAS_DIGIT.search(text):
            return
        for m in re.finditer(r"(?<![\w\-/.,:£$+])[0-9]{7,8}(?![\w\-/%]|[.,][0-9])", text):
            yield Candidate(m.start(), m.end(), "HOSPITAL_NUMBER", "hospital_number_seven_digits")
