"""Data model, identifiers and value checks shared by the REFI-QDA writer and reader.

Pure module: standard library only, no Telegram or database imports. See :mod:`bot.research.refi_qda`
for the public API and the conventions callers must follow.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final, Literal, get_args

__all__ = [
    "GUID_NAMESPACE",
    "QdaCase",
    "QdaCode",
    "QdaNote",
    "QdaSelection",
    "QdaSource",
    "QdaUser",
    "QdaVariable",
    "RefiQdaError",
    "VariableType",
    "VariableValue",
    "guid",
]

VariableType = Literal["Text", "Boolean", "Integer", "Float", "Date", "DateTime"]
VARIABLE_TYPES: Final[frozenset[str]] = frozenset(get_args(VariableType))

# ``None`` means "no value for this case/source": the VariableValue element is left out.
VariableValue = str | bool | int | float | Decimal | date | datetime | None


class RefiQdaError(ValueError):
    """Input that would produce an invalid or misleading REFI-QDA file, or a malformed file being read."""


@dataclass(frozen=True)
class QdaUser:
    """A coder/researcher (REFI ``User``). QualCoder attributes codings to ``name``."""

    key: str
    name: str


@dataclass(frozen=True)
class QdaCode:
    """A code of the codebook. ``parent_key`` nests it under another code; ``color`` is ``#RRGGBB``.

    ``description`` is written verbatim as the code's ``Description`` (callers compose definition,
    inclusion/exclusion criteria and examples into it). ``is_codable=False`` marks a pure category.
    """

    key: str
    name: str
    color: str | None = None
    description: str | None = None
    parent_key: str | None = None
    is_codable: bool = True


@dataclass(frozen=True)
class QdaSelection:
    """One coding: code points ``[start, end)`` of the source text, coded ``code_key`` by ``coder_key``.

    Offsets are Python string indices into :attr:`QdaSource.text` (end exclusive). A whole-document
    code is ``start=0, end=len(text)``. ``created`` must be timezone-aware.
    """

    key: str
    start: int
    end: int
    code_key: str
    coder_key: str
    created: datetime
    name: str | None = None  # a label, e.g. the step of a week's document the passage lies in


@dataclass(frozen=True)
class QdaSource:
    """A plain-text source (one de-identified reflection).

    ``text`` is stored byte-for-byte as UTF-8 without BOM: it must use LF line endings (no ``'\\r'``)
    and must not start with U+FEFF, because selection offsets refer to exactly this string.
    ``variables`` maps :attr:`QdaVariable.key` to a value (source-level attributes).
    """

    key: str
    name: str
    text: str
    created: datetime
    selections: Sequence[QdaSelection] = ()
    case_key: str | None = None
    note_keys: Sequence[str] = ()
    creator_key: str | None = None
    variables: Mapping[str, VariableValue] = field(default_factory=dict)
    case_keys: Sequence[str] = ()  # further cases the source belongs to (every speaker of a group session)


@dataclass(frozen=True)
class QdaNote:
    """A memo (REFI ``Note``), stored as a text file. Sources can refer to it through ``note_keys``.

    CR and CRLF line endings are normalised to LF (notes carry no offsets).
    """

    key: str
    name: str
    text: str
    created: datetime
    creator_key: str | None = None


@dataclass(frozen=True)
class QdaVariable:
    """An attribute definition (REFI ``Variable``), e.g. cohort (Text) or number of weeks (Integer)."""

    key: str
    name: str
    type: VariableType = "Text"
    description: str | None = None


@dataclass(frozen=True)
class QdaCase:
    """A participant (pseudonym). ``variables`` maps :attr:`QdaVariable.key` to the participant's value.

    The participant's sources are linked by :attr:`QdaSource.case_key` (and :attr:`QdaSource.case_keys`).
    """

    key: str
    name: str
    variables: Mapping[str, VariableValue] = field(default_factory=dict)
    description: str | None = None


# --------------------------------------------------------------------------------------------------
# Identifiers

#: Fixed namespace of every GUID this project derives (uuid5 of a project URL). Changing it changes
#: every GUID and so breaks the link between repeated exports of the same data.
GUID_NAMESPACE: Final[uuid.UUID] = uuid.UUID("8D652921-8FE4-5AB7-B398-AD45879CAD58")
_NAMESPACE_BYTES: Final = GUID_NAMESPACE.bytes

_GUID_BODY: Final = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_GUID_RE: Final = re.compile(rf"({_GUID_BODY})|\{{({_GUID_BODY})\}}")


def guid(namespace_key: str, *parts: object) -> str:
    """Deterministic GUID: uuid5 under :data:`GUID_NAMESPACE`, uppercase ``8-4-4-4-12`` like NVivo/MAXQDA.

    ``guid("code", 12)`` is stable across runs and machines. Parts are length-prefixed before hashing, so
    ``guid("a", "b:c")`` and ``guid("a", "b", "c")`` differ. Same value as ``uuid.uuid5`` (computed
    without building ``UUID`` objects, as exports derive hundreds of thousands of GUIDs).
    """
    name = "".join(f"{len(s)}:{s}" for s in (namespace_key, *(str(p) for p in parts)))
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    x = digest.hex().upper()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def normalize_guid(value: str) -> str | None:
    """``value`` as an uppercase GUID without braces, or ``None`` when it is not GUID-shaped."""
    m = _GUID_RE.fullmatch(value.strip())
    if m is None:
        return None
    return (m.group(1) or m.group(2)).upper()


def object_guid(kind: str, key: str) -> str:
    """The GUID written for the object ``key`` of ``kind`` (``"code"``, ``"source"``...).

    Keys that already are GUIDs (for instance codes read back by ``read_qdc``) are kept as they are
    (uppercased), so a codebook imported from NVivo/ATLAS.ti keeps its identities when exported again;
    any other key is hashed with :func:`guid`.
    """
    return normalize_guid(key) or guid(kind, key)


# --------------------------------------------------------------------------------------------------
# Value checks and formatting

_XML_INVALID_RE: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_COLOR_RE: Final = re.compile(r"#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")


def check_xml_text(value: str, what: str) -> str:
    """``value`` unchanged; raises if it holds a character XML 1.0 cannot carry (controls, surrogates)."""
    if not isinstance(value, str):
        raise RefiQdaError(f"{what}: expected a string, got {type(value).__name__}")
    m = _XML_INVALID_RE.search(value)
    if m is not None:
        raise RefiQdaError(f"{what}: character U+{ord(m.group()):04X} at index {m.start()} cannot be stored in XML")
    return value


def check_key(key: str, what: str) -> str:
    if not isinstance(key, str) or not key:
        raise RefiQdaError(f"{what}: key must be a non-empty string, got {key!r}")
    return key


def check_name(name: str, what: str) -> str:
    check_xml_text(name, what)
    if not name.strip():
        raise RefiQdaError(f"{what}: name must not be empty")
    return name


def normalize_color(color: str, what: str) -> str:
    """``#RGB``/``#RRGGBB`` (any case) -> ``#RRGGBB`` uppercase; raises otherwise."""
    if not isinstance(color, str) or _COLOR_RE.fullmatch(color) is None:
        raise RefiQdaError(f"{what}: colour must be '#RRGGBB', got {color!r}")
    digits = color[1:].upper()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def format_datetime(value: datetime, what: str) -> str:
    """Aware datetime -> ``YYYY-MM-DDTHH:MM:SSZ`` in UTC (seconds precision, as QualCoder expects)."""
    if not isinstance(value, datetime):
        raise RefiQdaError(f"{what}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise RefiQdaError(f"{what}: naive datetime {value.isoformat()}; pass an aware (UTC) datetime")
    u = value.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def format_variable_value(value: VariableValue, type_: str, what: str) -> tuple[str, str]:
    """(value element name, lexical value) for a ``VariableValue`` of a variable of type ``type_``."""
    if type_ == "Text":
        if not isinstance(value, str):
            raise RefiQdaError(f"{what}: Text variable needs a str, got {type(value).__name__}")
        return "TextValue", check_xml_text(value, what)
    if type_ == "Boolean":
        if not isinstance(value, bool):
            raise RefiQdaError(f"{what}: Boolean variable needs a bool, got {type(value).__name__}")
        return "BooleanValue", "true" if value else "false"
    if type_ == "Integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise RefiQdaError(f"{what}: Integer variable needs an int, got {type(value).__name__}")
        return "IntegerValue", str(value)
    if type_ == "Float":
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise RefiQdaError(f"{what}: Float variable needs a number, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise RefiQdaError(f"{what}: Float variable value must be finite, got {value!r}")
        dec = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
        if not dec.is_finite():
            raise RefiQdaError(f"{what}: Float variable value must be finite, got {value!r}")
        return "FloatValue", format(dec, "f")  # xsd:decimal: no exponent
    if type_ == "Date":
        if isinstance(value, datetime) or not isinstance(value, date):
            raise RefiQdaError(f"{what}: Date variable needs a datetime.date, got {type(value).__name__}")
        return "DateValue", f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if type_ == "DateTime":
        if not isinstance(value, datetime):
            raise RefiQdaError(f"{what}: DateTime variable needs a datetime, got {type(value).__name__}")
        return "DateTimeValue", format_datetime(value, what)
    raise RefiQdaError(f"{what}: unknown variable type {type_!r}; expected one of {sorted(VARIABLE_TYPES)}")
