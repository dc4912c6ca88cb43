"""What the redaction rules are switched and fed with: :class:`RedactionConfig`, from ``prompts/redaction.toml``.

The names of every type and every rule live here too, so the config can check a TOML against them without importing
the rules (which take a config: the one arrow runs rules → config).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.paths import PROMPTS

ALL_TYPES: tuple[str, ...] = (
    "NHS_NUMBER",
    "EMAIL",
    "PHONE",
    "HOSPITAL_NUMBER",
    "POSTCODE",
    "DATE",
    "ADDRESS",
    "AGE",
    "LOCATION",
    "NAME",
)


ALL_RULES: tuple[str, ...] = (
    "nhs_number",
    "nhs_like_invalid_checksum",
    "id_after_keyword",
    "alphanumeric_id",
    "email",
    "uk_phone",
    "international_phone",
    "uk_postcode",
    "date_numeric",
    "date_iso",
    "date_day_month",
    "date_month_day",
    "date_month_year",
    "date_dashed",
    "date_weekday_ordinal",
    "date_ordinal_in_context",
    "age_n_year_old",
    "age_keyword",
    "age_yo",
    "age_pronoun",
    "age_was_n_and",
    "age_in_words",
    "age_birthday",
    "address_numbered",
    "address_lowercase",
    "address_before_postcode",
    "name_title",
    "name_intro",
    "name_relation",
    "name_list",
    "name_list_lowercase",
    "name_ambiguous_in_context",
    "location_named",
    "location_known",
    "location_in_care_context",
    "address_house_name",
    "address_street",
    "address_home_named",
    "date_occasion",
    "date_partial",
    "hospital_number_seven_digits",
    "age_future",
    "age_and_date_lists",
    "name_initials",
    "name_coordinated",
    "name_lexicon",
    "name_unknown_capitalised",
    "name_lexicon_lowercase",
    "name_lowercase_in_context",
    "age_sex_shorthand",
    "age_words_in_brackets",
    "age_after_person",
    "location_lowercase_ward",
    "location_ward_number",
    "location_gazetteer",
    "location_lowercase_saint",
    "name_by_role",
    "location_possessive",
    "name_initial_in_context",
    "name_particles",
    "name_after_lowercase_title",
    "name_propagation",
    "address_joined",
    "age_after_name",
    "age_forms",
    "name_by_belonging",
    "name_naming_predicate",
    "name_role_predicate",
    "name_surname_speaks",
    "location_lowercase_named_ward",
    "location_the_name",
    "date_loose",
    "location_told",
    "location_code_again",
    "age_opening",
    "age_cue",
    "date_cue",
    "date_series",
    "address_cue",
    "name_cue",
    "ner",
)


DEFAULT_TOML = PROMPTS / "redaction.toml"


def _fs(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)



@dataclass(frozen=True)
class RedactionConfig:
    """Switches and word lists; normally loaded from ``prompts/redaction.toml``.

    Constructed directly, all word lists are empty (the structural rules - numbers, e-mails, phones,
    postcodes, dates - still work, the word-driven name rules find little).
    """

    enabled_types: frozenset[str] = frozenset(ALL_TYPES)
    disabled_rules: frozenset[str] = frozenset()
    priority: tuple[str, ...] = ALL_TYPES
    placeholder: str = "[{type}]"
    id_keywords: frozenset[str] = frozenset()
    postcode_areas: frozenset[str] = frozenset()  # empty: any area is accepted
    street_suffixes: frozenset[str] = frozenset()
    not_age_units: frozenset[str] = frozenset()
    age_followers: frozenset[str] = frozenset()
    age_subjects: frozenset[str] = frozenset()
    ordinal_followers: frozenset[str] = frozenset()
    titles: frozenset[str] = frozenset()
    relation_words: frozenset[str] = frozenset()
    intro_phrases: frozenset[str] = frozenset()
    speech_verbs: frozenset[str] = frozenset()
    person_verbs: frozenset[str] = frozenset()
    object_verbs: frozenset[str] = frozenset()
    function_words: frozenset[str] = frozenset()
    not_names: frozenset[str] = frozenset()
    not_names_untitled: frozenset[str] = frozenset()
    institution_after: frozenset[str] = frozenset()
    institution_before: frozenset[str] = frozenset()
    ambiguous_first_names: frozenset[str] = frozenset()
    first_names: frozenset[str] = frozenset()
    # from the files named in [names] files (prompts/names/*.txt), lower case
    listed_first_names: frozenset[str] = frozenset()
    surnames: frozenset[str] = frozenset()
    english_words: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    not_name_suffixes: tuple[str, ...] = ()
    # [locations] and [addresses]
    location_suffixes: frozenset[str] = frozenset()
    known_locations: frozenset[str] = frozenset()
    ward_name_words: frozenset[str] = frozenset()  # "cedar ward": words wards are named after (round 11)
    gazetteer: frozenset[str] = frozenset()  # names/places.txt, as written (see location_gazetteer)
    house_suffixes: frozenset[str] = frozenset()
    welsh_place_words: frozenset[str] = frozenset()
    occasions: frozenset[str] = frozenset()
    ordinal_nouns: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = set(self.enabled_types) - set(ALL_TYPES)
        if unknown:
            raise ValueError(f"unknown identifier types: {sorted(unknown)}")
        bad_rules = set(self.disabled_rules) - set(ALL_RULES)
        if bad_rules:
            raise ValueError(f"unknown rule names: {sorted(bad_rules)}")
        if set(self.priority) != set(ALL_TYPES) or len(self.priority) != len(ALL_TYPES):
            raise ValueError(f"priority must list each of {list(ALL_TYPES)} once")
        if "{type}" not in self.placeholder:
            raise ValueError("placeholder must contain {type}")

    @classmethod
    def from_toml(cls, path: Path | None = None) -> RedactionConfig:
        path = path or DEFAULT_TOML
        with path.open("rb") as fh:
            return cls.from_mapping(tomllib.load(fh), base=path.parent)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: Path | None = None) -> RedactionConfig:
        """Build from the parsed TOML structure (missing sections give empty lists / defaults)."""

        def section(name: str) -> Mapping[str, Any]:
            value = data.get(name, {})
            if not isinstance(value, Mapping):
                raise ValueError(f"[{name}] must be a table")
            return value

        def words(sec: str, key: str) -> frozenset[str]:
            value = section(sec).get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"[{sec}] {key} must be a list of strings")
            return _fs(value)

        def list_file(key: str) -> frozenset[str]:
            """A list file named in [names] files, relative to the TOML's folder (one entry a line), as written."""
            files = section("names").get("files", {})
            name = files.get(key) if isinstance(files, Mapping) else None
            if not name:
                return frozenset()
            text = ((base or DEFAULT_TOML.parent) / str(name)).read_text(encoding="utf-8")
            return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))

        def word_file(key: str) -> frozenset[str]:
            """The same list file, case folded (the name and word lists are matched in any case)."""
            return frozenset(w.casefold() for w in list_file(key))

        types = section("types")
        unknown = set(types) - set(ALL_TYPES)
        if unknown:
            raise ValueError(f"unknown identifier types in [types]: {sorted(unknown)}")
        names = "names"
        return cls(
            enabled_types=_fs(t for t in ALL_TYPES if bool(types.get(t, True))),
            disabled_rules=words("rules", "disabled"),
            priority=tuple(section("rules").get("priority", ALL_TYPES)),
            placeholder=str(data.get("placeholder", "[{type}]")),
            id_keywords=words("ids", "keywords"),
            postcode_areas=words("postcodes", "areas"),
            street_suffixes=words("addresses", "street_suffixes"),
            not_age_units=words("ages", "not_age_units"),
            age_followers=words("ages", "age_followers"),
            age_subjects=words("ages", "subjects"),
            ordinal_followers=words("dates", "ordinal_followers"),
            titles=words(names, "titles"),
            relation_words=words(names, "relation_words"),
            intro_phrases=words(names, "intro_phrases"),
            speech_verbs=words(names, "speech_verbs"),
            person_verbs=words(names, "person_verbs"),
            object_verbs=words(names, "object_verbs"),
            function_words=words(names, "function_words"),
            not_names=words(names, "not_names"),
            not_names_untitled=words(names, "not_names_untitled"),
            institution_after=words(names, "institution_after"),
            institution_before=words(names, "institution_before"),
            ambiguous_first_names=words(names, "ambiguous_first_names"),
            first_names=words(names, "first_names"),
            listed_first_names=word_file("first_names") | word_file("world_first_names"),
            surnames=word_file("surnames") | word_file("world_surnames") | words(names, "surnames"),
            english_words=word_file("english_words") | _fs(w.casefold() for w in words(names, "english_words")),
            places=words(names, "places"),
            not_name_suffixes=tuple(sorted(w.casefold() for w in words(names, "not_name_suffixes"))),
            location_suffixes=words("locations", "suffixes"),
            known_locations=words("locations", "known"),
            ward_name_words=words("locations", "ward_name_words"),
            gazetteer=list_file("places"),
            house_suffixes=words("addresses", "house_suffixes"),
            welsh_place_words=words("addresses", "welsh_words"),
            occasions=words("dates", "occasions"),
            ordinal_nouns=words("dates", "ordinal_nouns"),
        )

