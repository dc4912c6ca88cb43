"""REFI-QDA (QDA-XML 1.0) export/import for NVivo, ATLAS.ti, MAXQDA and QualCoder.

Public API (pure: standard library only, no Telegram or database imports)::

    write_qdpx(out, *, project_name, origin="balintbot", users=(), codes=(), variables=(), cases=(),
               sources, notes=(), created, description=None, progress=None) -> int
    write_qdc(out, *, codes, origin="balintbot") -> None
    read_qdc(path_or_file) -> list[QdaCode]
    guid(namespace_key, *parts) -> str

Conventions callers must follow:

* Offsets are code points (Python ``str`` indices) into ``QdaSource.text``, end exclusive. The text
  is written exactly as given (UTF-8, no BOM), so it must be LF-only: a ``'\\r'`` or a leading U+FEFF
  raises :class:`RefiQdaError` instead of silently shifting every offset in some importers.
* Datetimes must be timezone-aware; they are written in UTC as ``YYYY-MM-DDTHH:MM:SSZ``.
* Keys are the caller's identifiers (DB ids...). GUIDs are derived from them with uuid5 under a fixed
  namespace (:func:`guid`, per object kind), so repeated exports give the same GUIDs; keys that already
  are GUIDs (e.g. codes from :func:`read_qdc`) are kept.
* What the XSD does not check is checked here and raises :class:`RefiQdaError`: unique keys and GUIDs,
  references to known codes/users/cases/notes/variables, ``0 <= start <= end <= len(text)``, codings
  only on codable codes, unique user/variable/case names and sibling code names (importers merge
  equal names), aware datetimes, ``#RRGGBB`` colours, characters XML can carry.
"""

from __future__ import annotations

from .model import (
    GUID_NAMESPACE,
    QdaCase,
    QdaCode,
    QdaNote,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdaVariable,
    RefiQdaError,
    VariableType,
    VariableValue,
    guid,
)
from .read import read_qdc
from .write import CODEBOOK_NS, PROJECT_NS, write_qdc, write_qdpx

__all__ = [
    "CODEBOOK_NS",
    "GUID_NAMESPACE",
    "PROJECT_NS",
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
    "read_qdc",
    "write_qdc",
    "write_qdpx",
]
