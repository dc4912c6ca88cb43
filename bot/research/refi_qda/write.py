"""REFI-QDA (QDA-XML 1.0) writers: ``.qdpx`` projects streamed source by source, and ``.qdc`` codebooks.

Layout of a ``.qdpx`` written here::

    sources/                      directory entry
    sources/<NOTE-GUID>.txt       one per note (UTF-8, no BOM, LF)
    sources/<SOURCE-GUID>.txt     one per source, written as the sources iterable yields them
    project.qde                   written last: Users, CodeBook, Variables, Cases, Sources, Notes, Description

Memory stays flat in the number of sources: each source's text goes to the zip when it arrives, its
``TextSource`` XML goes to a temporary file, and the bookkeeping that cannot be decided before the end
(GUID uniqueness, the ``SourceRef`` list of each case, which must precede ``Sources`` in the XML) is
kept as fixed-size records sorted on disk. Only users, codes, variables, cases and notes are held in
memory. Two exports of the same input are byte-identical.
"""

from __future__ import annotations

import os
import struct
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from .codebook import (
    _CHUNK,
    _KIND_NAMES,
    _XML_DECL,
    CODEBOOK_NS,
    PROJECT_NS,
    PathOrBinary,
    _attr,
    _batched,
    _Codebook,
    _description,
    _guid_bytes,
    _text,
    write_qdc,
)
from .model import (
    VARIABLE_TYPES,
    QdaCase,
    QdaCode,
    QdaNote,
    QdaSource,
    QdaUser,
    QdaVariable,
    RefiQdaError,
    VariableValue,
    check_key,
    check_name,
    check_xml_text,
    format_datetime,
    format_variable_value,
    object_guid,
)
from .zip import RecordSorter, StreamingZipWriter

__all__ = ["CODEBOOK_NS", "PROJECT_NS", "write_qdc", "write_qdpx"]


@dataclass
class _Project:
    """Validated small collections plus the streaming state of one export."""

    name: str
    origin: str
    created: str
    description: str | None
    users: dict[str, tuple[QdaUser, str]]  # key -> (user, GUID)
    codebook: _Codebook
    variables: dict[str, tuple[QdaVariable, str]]
    cases: dict[str, tuple[int, QdaCase, str]]  # key -> (index, case, GUID)
    notes: dict[str, tuple[QdaNote, str, bytes]]  # key -> (note, GUID, file content)
    fixed_guids: dict[str, str]  # GUID -> "kind 'key'" for everything held in memory
    seen: RecordSorter = field(default_factory=lambda: RecordSorter(17))  # GUID + kind byte
    case_sources: RecordSorter = field(default_factory=lambda: RecordSorter(28))  # case, seq, GUID

    # ---- validation of the in-memory collections -------------------------------------------------

    @classmethod
    def build(
        cls,
        *,
        project_name: str,
        origin: str,
        users: Iterable[QdaUser],
        codes: Iterable[QdaCode],
        variables: Iterable[QdaVariable],
        cases: Iterable[QdaCase],
        notes: Iterable[QdaNote],
        created: datetime,
        description: str | None,
    ) -> _Project:
        check_name(project_name, "project_name")
        check_xml_text(origin, "origin")
        if description is not None:
            check_xml_text(description, "project description")
        fixed: dict[str, str] = {}

        def register(g: str, label: str) -> str:
            if g in fixed:
                raise RefiQdaError(f"GUID {g} of {label} is also the GUID of {fixed[g]}")
            fixed[g] = label
            return g

        user_map: dict[str, tuple[QdaUser, str]] = {}
        user_names: set[str] = set()
        for user in users:
            check_key(user.key, "user")
            if user.key in user_map:
                raise RefiQdaError(f"duplicate user key {user.key!r}")
            check_name(user.name, f"user {user.key!r}")
            if user.name in user_names:
                raise RefiQdaError(
                    f"two users named {user.name!r}; importers identify coders by name, names must be unique"
                )
            user_names.add(user.name)
            user_map[user.key] = (user, register(object_guid("user", user.key), f"user {user.key!r}"))

        book = _Codebook.build(codes)
        for key, g in book.guids.items():
            register(g, f"code {key!r}")

        var_map: dict[str, tuple[QdaVariable, str]] = {}
        var_names: set[str] = set()
        for var in variables:
            check_key(var.key, "variable")
            if var.key in var_map:
                raise RefiQdaError(f"duplicate variable key {var.key!r}")
            check_name(var.name, f"variable {var.key!r}")
            if var.name in var_names:
                raise RefiQdaError(f"two variables named {var.name!r}; variable names must be unique")
            var_names.add(var.name)
            if var.type not in VARIABLE_TYPES:
                raise RefiQdaError(
                    f"variable {var.key!r}: unknown type {var.type!r}; expected one of {sorted(VARIABLE_TYPES)}"
                )
            if var.description is not None:
                check_xml_text(var.description, f"variable {var.key!r} description")
            var_map[var.key] = (var, register(object_guid("variable", var.key), f"variable {var.key!r}"))

        case_map: dict[str, tuple[int, QdaCase, str]] = {}
        case_names: set[str] = set()
        for index, case in enumerate(cases):
            check_key(case.key, "case")
            if case.key in case_map:
                raise RefiQdaError(f"duplicate case key {case.key!r}")
            check_name(case.name, f"case {case.key!r}")
            if case.name in case_names:
                raise RefiQdaError(f"two cases named {case.name!r}; case names must be unique")
            case_names.add(case.name)
            if case.description is not None:
                check_xml_text(case.description, f"case {case.key!r} description")
            case_map[case.key] = (index, case, register(object_guid("case", case.key), f"case {case.key!r}"))

        note_map: dict[str, tuple[QdaNote, str, bytes]] = {}
        for note in notes:
            check_key(note.key, "note")
            if note.key in note_map:
                raise RefiQdaError(f"duplicate note key {note.key!r}")
            what = f"note {note.key!r}"
            check_name(note.name, what)
            format_datetime(note.created, f"{what} created")
            if note.creator_key is not None and note.creator_key not in user_map:
                raise RefiQdaError(f"{what}: unknown creator_key {note.creator_key!r}")
            if not isinstance(note.text, str):
                raise RefiQdaError(f"{what}: text must be a str")
            text = note.text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
            try:
                content = text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise RefiQdaError(f"{what}: text is not valid Unicode ({exc.reason} at index {exc.start})") from exc
            note_map[note.key] = (note, register(object_guid("note", note.key), what), content)

        project = cls(
            name=project_name,
            origin=origin,
            created=format_datetime(created, "created"),
            description=description,
            users=user_map,
            codebook=book,
            variables=var_map,
            cases=case_map,
            notes=note_map,
            fixed_guids=fixed,
        )
        for _, case, _g in case_map.values():
            project.variable_values(case.variables, f"case {case.key!r}", "")  # validate values now
        return project

    # ---- XML pieces -----------------------------------------------------------------------------

    def variable_values(self, values: Mapping[str, VariableValue], what: str, pad: str) -> list[str]:
        if not isinstance(values, Mapping):
            raise RefiQdaError(f"{what}: variables must be a mapping of variable key to value")
        out: list[str] = []
        for var_key, value in values.items():
            if var_key not in self.variables:
                raise RefiQdaError(f"{what}: unknown variable key {var_key!r}")
            if value is None:
                continue
            var, g = self.variables[var_key]
            element, lexical = format_variable_value(value, var.type, f"{what} variable {var_key!r}")
            out.append(
                f'{pad}<VariableValue>\n{pad}  <VariableRef targetGUID="{g}"/>\n'
                f"{pad}  <{element}>{_text(lexical)}</{element}>\n{pad}</VariableValue>\n"
            )
        return out

    def _track(self, g: str, kind: int, label: str) -> None:
        if g in self.fixed_guids:
            raise RefiQdaError(f"GUID {g} of {label} is also the GUID of {self.fixed_guids[g]}")
        self.seen.add(_guid_bytes(g) + bytes((kind,)))

    def source(self, src: QdaSource, seq: int) -> tuple[str, bytes, str]:
        """Validate one source; returns (TextSource XML, file content, GUID) and records its bookkeeping."""
        if not isinstance(src, QdaSource):
            raise RefiQdaError(f"sources must yield QdaSource objects, got {type(src).__name__}")
        check_key(src.key, "source")
        what = f"source {src.key!r}"
        check_name(src.name, what)
        text = src.text
        if not isinstance(text, str):
            raise RefiQdaError(f"{what}: text must be a str")
        if "\r" in text:
            raise RefiQdaError(
                f"{what}: text contains '\\r' (index {text.index(chr(13))}); pass LF-only text and compute "
                "offsets on it, since importers count CRLF inconsistently"
            )
        if text.startswith("\ufeff"):
            raise RefiQdaError(f"{what}: text starts with U+FEFF (a BOM); strip it before computing offsets")
        try:
            content = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RefiQdaError(f"{what}: text is not valid Unicode ({exc.reason} at index {exc.start})") from exc
        created = format_datetime(src.created, f"{what} created")
        g = object_guid("source", src.key)
        self._track(g, 1, what)

        attrs = f'guid="{g}" name="{_attr(src.name)}" plainTextPath="internal://{g}.txt"'
        if src.creator_key is not None:
            if src.creator_key not in self.users:
                raise RefiQdaError(f"{what}: unknown creator_key {src.creator_key!r}")
            attrs += f' creatingUser="{self.users[src.creator_key][1]}"'
        attrs += f' creationDateTime="{created}"'

        body: list[str] = []
        length = len(text)
        for sel in src.selections:
            check_key(sel.key, f"{what} selection")
            swhat = f"{what} selection {sel.key!r}"
            start, end = sel.start, sel.end
            if (
                isinstance(start, bool)
                or isinstance(end, bool)
                or not isinstance(start, int)
                or not isinstance(end, int)
            ):
                raise RefiQdaError(f"{swhat}: start and end must be ints")
            if not 0 <= start <= end <= length:
                raise RefiQdaError(
                    f"{swhat}: need 0 <= start <= end <= len(text) = {length}, got start={start} end={end}"
                )
            if sel.code_key not in self.codebook.guids:
                raise RefiQdaError(f"{swhat}: unknown code_key {sel.code_key!r}")
            if sel.code_key not in self.codebook.codable:
                raise RefiQdaError(f"{swhat}: code {sel.code_key!r} is not codable (is_codable=False)")
            if sel.coder_key not in self.users:
                raise RefiQdaError(f"{swhat}: unknown coder_key {sel.coder_key!r}; add the coder to users")
            screated = format_datetime(sel.created, f"{swhat} created")
            coder = self.users[sel.coder_key][1]
            sg = object_guid("selection", sel.key)
            name_attr = f' name="{_attr(sel.name)}"' if sel.name else ""
            cg = object_guid("coding", sel.key)
            self._track(sg, 2, swhat)
            self._track(cg, 3, f"the coding of {swhat}")
            body.append(
                f'      <PlainTextSelection guid="{sg}"{name_attr} startPosition="{start}" endPosition="{end}" '
                f'creatingUser="{coder}" creationDateTime="{screated}">\n'
                f'        <Coding guid="{cg}" creatingUser="{coder}" creationDateTime="{screated}">\n'
                f'          <CodeRef targetGUID="{self.codebook.guids[sel.code_key]}"/>\n'
                "        </Coding>\n"
                "      </PlainTextSelection>\n"
            )
        if isinstance(src.note_keys, str):
            raise RefiQdaError(f"{what}: note_keys must be a sequence of keys, not a str")
        for note_key in dict.fromkeys(src.note_keys):
            if note_key not in self.notes:
                raise RefiQdaError(f"{what}: unknown note key {note_key!r}")
            body.append(f'      <NoteRef targetGUID="{self.notes[note_key][1]}"/>\n')
        body.extend(self.variable_values(src.variables, what, "      "))

        if isinstance(src.case_keys, str):
            raise RefiQdaError(f"{what}: case_keys must be a sequence of keys, not a str")
        for case_key in dict.fromkeys([*([src.case_key] if src.case_key is not None else []), *src.case_keys]):
            if case_key not in self.cases:
                raise RefiQdaError(f"{what}: unknown case_key {case_key!r}")
            index = self.cases[case_key][0]
            self.case_sources.add(struct.pack(">IQ", index, seq) + _guid_bytes(g))

        if body:
            xml = f"    <TextSource {attrs}>\n{''.join(body)}    </TextSource>\n"
        else:
            xml = f"    <TextSource {attrs}/>\n"
        return xml, content, g

    def check_streamed_guids(self) -> None:
        previous: bytes | None = None
        for record in self.seen.sorted_records():
            if previous is not None and record[:16] == previous[:16]:
                g = str(uuid.UUID(bytes=record[:16])).upper()
                kinds = sorted({_KIND_NAMES[previous[16]], _KIND_NAMES[record[16]]})
                raise RefiQdaError(
                    f"GUID {g} is used twice ({' and '.join(kinds)}); source and selection keys must be unique"
                )
            previous = record

    def _case_refs(self) -> Iterator[tuple[int, str]]:
        for record in self.case_sources.sorted_records():
            index = struct.unpack(">I", record[:4])[0]
            yield index, str(uuid.UUID(bytes=record[12:])).upper()

    def project_xml(self, sources_xml: IO[bytes], source_count: int) -> Iterator[bytes]:
        yield from _batched(self._head())
        yield from _batched(self._cases())
        if source_count:
            yield b"  <Sources>\n"
            sources_xml.seek(0)
            while block := sources_xml.read(_CHUNK):
                yield block
            yield b"  </Sources>\n"
        yield from _batched(self._tail())

    def _head(self) -> Iterator[str]:
        yield _XML_DECL
        yield (
            f'<Project xmlns="{PROJECT_NS}" name="{_attr(self.name)}" origin="{_attr(self.origin)}" '
            f'creationDateTime="{self.created}">\n'
        )
        if self.users:
            yield "  <Users>\n"
            for user, g in self.users.values():
                yield f'    <User guid="{g}" name="{_attr(user.name)}"/>\n'
            yield "  </Users>\n"
        if self.codebook.roots:
            yield "  <CodeBook>\n    <Codes>\n"
            yield from self.codebook.xml(3)
            yield "    </Codes>\n  </CodeBook>\n"
        if self.variables:
            yield "  <Variables>\n"
            for var, g in self.variables.values():
                attrs = f'guid="{g}" name="{_attr(var.name)}" typeOfVariable="{var.type}"'
                if var.description:
                    yield f"    <Variable {attrs}>\n"
                    yield _description(var.description, "      ", "")
                    yield "    </Variable>\n"
                else:
                    yield f"    <Variable {attrs}/>\n"
            yield "  </Variables>\n"

    def _cases(self) -> Iterator[str]:
        """``Cases``; each case's ``SourceRef``s come from the disk-sorted (case, sequence) records."""
        if not self.cases:
            return
        refs = self._case_refs()
        pending = next(refs, None)
        yield "  <Cases>\n"
        for index, case, g in self.cases.values():
            body = [_description(case.description, "      ", "")]
            body.extend(self.variable_values(case.variables, f"case {case.key!r}", "      "))
            body = [piece for piece in body if piece]
            head = f'    <Case guid="{g}" name="{_attr(case.name)}"'
            if not body and (pending is None or pending[0] != index):
                yield head + "/>\n"
                continue
            yield head + ">\n"
            yield from body
            while pending is not None and pending[0] == index:
                yield f'      <SourceRef targetGUID="{pending[1]}"/>\n'
                pending = next(refs, None)
            yield "    </Case>\n"
        yield "  </Cases>\n"

    def _tail(self) -> Iterator[str]:
        if self.notes:
            yield "  <Notes>\n"
            for note, g, _content in self.notes.values():
                attrs = f'guid="{g}" name="{_attr(note.name)}" plainTextPath="internal://{g}.txt"'
                if note.creator_key is not None:
                    attrs += f' creatingUser="{self.users[note.creator_key][1]}"'
                attrs += f' creationDateTime="{format_datetime(note.created, "")}"'
                yield f"    <Note {attrs}/>\n"
            yield "  </Notes>\n"
        if self.description:
            yield f"  <Description>{_text(self.description)}</Description>\n"
        yield "</Project>\n"

    def close(self) -> None:
        self.seen.close()
        self.case_sources.close()


def write_qdpx(
    out: PathOrBinary,
    *,
    project_name: str,
    origin: str = "balintbot",
    users: Iterable[QdaUser] = (),
    codes: Iterable[QdaCode] = (),
    variables: Iterable[QdaVariable] = (),
    cases: Iterable[QdaCase] = (),
    sources: Iterable[QdaSource],
    notes: Iterable[QdaNote] = (),
    created: datetime,
    description: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write a REFI-QDA project (``.qdpx``) and return the number of sources written.

    ``out`` is a binary file object (written sequentially, no seeking needed) or a path; a path is
    written through ``<path>.part`` and renamed on success, and the partial file is removed on error.
    ``sources`` may be a generator of any length: it is consumed once, and memory stays flat.
    ``progress`` is called with the running number of sources after each one.

    Everything in memory (users, codes, variables, cases, notes) is validated before anything is
    written; a bad source raises :class:`RefiQdaError` when it is reached, leaving the content of a
    file object unspecified. The zip timestamps are ``created`` (UTC), so output is byte-identical for
    identical input.
    """
    args: dict[str, Any] = {
        "project_name": project_name, "origin": origin, "users": users, "codes": codes, "variables": variables,
        "cases": cases, "sources": sources, "notes": notes, "created": created, "description": description,
        "progress": progress,
    }
    if not isinstance(out, str | os.PathLike):
        return _write_qdpx_stream(out, **args)
    path = Path(out)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as fh:
            count = _write_qdpx_stream(fh, **args)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count


def _write_qdpx_stream(
    out: BinaryIO,
    *,
    project_name: str,
    origin: str,
    users: Iterable[QdaUser],
    codes: Iterable[QdaCode],
    variables: Iterable[QdaVariable],
    cases: Iterable[QdaCase],
    sources: Iterable[QdaSource],
    notes: Iterable[QdaNote],
    created: datetime,
    description: str | None,
    progress: Callable[[int], None] | None,
) -> int:
    project = _Project.build(
        project_name=project_name,
        origin=origin,
        users=users,
        codes=codes,
        variables=variables,
        cases=cases,
        notes=notes,
        created=created,
        description=description,
    )
    stamp = created.astimezone(UTC)
    try:
        with StreamingZipWriter(out, stamp) as zf, tempfile.TemporaryFile() as sources_xml:
            zf.add_directory("sources")
            for _note, g, content in project.notes.values():
                zf.add_bytes(f"sources/{g}.txt", content)
            count = 0
            for src in sources:
                xml, content, g = project.source(src, count)
                zf.add_bytes(f"sources/{g}.txt", content)
                sources_xml.write(xml.encode("utf-8"))
                count += 1
                if progress is not None:
                    progress(count)
            project.check_streamed_guids()
            zf.add_stream("project.qde", project.project_xml(sources_xml, count))
    finally:
        project.close()
    return count
