"""Streaming building blocks for the REFI-QDA writer: a deterministic zip writer and a disk-backed sorter.

Why not :mod:`zipfile`: ``ZipFile`` keeps a ``ZipInfo`` per member (~400 bytes) until it writes the
central directory, so an export of 100,000 sources would grow by tens of MB. :class:`StreamingZipWriter`
spools central-directory records to a temporary file instead, so memory stays flat in the number of
members. It writes plain deflate members with sizes in the local headers (no data descriptors), fixed
timestamps and permissions, and ZIP64 end records when there are 65,535 members or more.

:class:`RecordSorter` sorts fixed-size binary records with bounded memory (sorted runs in a temporary
file, merged lazily); the writer uses it to check GUID uniqueness and to group sources by case.
"""

from __future__ import annotations

import heapq
import shutil
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from types import TracebackType
from typing import IO, BinaryIO, Final

from .model import RefiQdaError

__all__ = ["RecordSorter", "StreamingZipWriter"]

_LOCAL_SIG: Final = 0x04034B50
_CENTRAL_SIG: Final = 0x02014B50
_EOCD_SIG: Final = 0x06054B50
_ZIP64_EOCD_SIG: Final = 0x06064B50
_ZIP64_LOCATOR_SIG: Final = 0x07064B50
_U32_MAX: Final = 0xFFFFFFFF
_U16_MAX: Final = 0xFFFF
_MADE_BY: Final = (3 << 8) | 45  # Unix, spec 4.5
_FILE_ATTR: Final = 0o100644 << 16
_DIR_ATTR: Final = (0o040755 << 16) | 0x10
_COMPRESS_LEVEL: Final = 6
_COPY_CHUNK: Final = 1 << 16

# Overridable in tests to exercise the ZIP64 paths without writing 65,535 members or 4 GiB.
ZIP64_COUNT_LIMIT = _U16_MAX
ZIP64_OFFSET_LIMIT = _U32_MAX


def _dos_datetime(when: datetime) -> tuple[int, int]:
    """(DOS time, DOS date) of the calendar fields of ``when``, clamped to the 1980-2107 DOS range."""
    fields = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    fields = min(max(fields, (1980, 1, 1, 0, 0, 0)), (2107, 12, 31, 23, 59, 58))
    year, month, day, hour, minute, second = fields
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


class StreamingZipWriter:
    """Write a zip archive member by member to ``out``, which only needs ``write`` (no seeking).

    Output is a pure function of the member names, contents and ``timestamp``: byte-identical on
    every run with the same zlib.
    """

    def __init__(self, out: BinaryIO, timestamp: datetime) -> None:
        self._out = out
        self._pos = 0
        self._count = 0
        self._names_sealed = False
        self._time, self._date = _dos_datetime(timestamp)
        self._central: IO[bytes] = tempfile.TemporaryFile()
        self._central_size = 0
        self._closed = False

    def __enter__(self) -> StreamingZipWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._central.close()

    @property
    def count(self) -> int:
        return self._count

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._pos += len(data)

    def _member(self, name: str, method: int, crc: int, csize: int, usize: int, attr: int) -> int:
        """Write a local header and record the central-directory entry; returns the header offset."""
        if csize >= _U32_MAX or usize >= _U32_MAX:
            raise RefiQdaError(f"zip member {name!r} is 4 GiB or larger; split the export")
        raw_name = name.encode("utf-8")
        flags = 0 if raw_name.isascii() else 0x800
        offset = self._pos
        need = 20
        self._write(
            struct.pack(
                "<IHHHHHIIIHH",
                _LOCAL_SIG,
                need,
                flags,
                method,
                self._time,
                self._date,
                crc,
                csize,
                usize,
                len(raw_name),
                0,
            )
            + raw_name
        )
        extra = b""
        central_offset = offset
        if offset >= ZIP64_OFFSET_LIMIT:
            extra = struct.pack("<HHQ", 0x0001, 8, offset)
            central_offset = _U32_MAX
            need = 45
        record = (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                _CENTRAL_SIG,
                _MADE_BY,
                need,
                flags,
                method,
                self._time,
                self._date,
                crc,
                csize,
                usize,
                len(raw_name),
                len(extra),
                0,
                0,
                0,
                attr,
                central_offset,
            )
            + raw_name
            + extra
        )
        self._central.write(record)
        self._central_size += len(record)
        self._count += 1
        return offset

    def add_directory(self, name: str) -> None:
        self._member(name.rstrip("/") + "/", 0, 0, 0, 0, _DIR_ATTR)

    def add_bytes(self, name: str, data: bytes) -> None:
        """Add a small member held in memory (deflated)."""
        comp = zlib.compressobj(_COMPRESS_LEVEL, zlib.DEFLATED, -15)
        packed = comp.compress(data) + comp.flush()
        self._member(name, 8, zlib.crc32(data), len(packed), len(data), _FILE_ATTR)
        self._write(packed)

    def add_stream(self, name: str, chunks: Iterable[bytes]) -> None:
        """Add a member of any size: chunks are deflated into a temporary file, then copied."""
        comp = zlib.compressobj(_COMPRESS_LEVEL, zlib.DEFLATED, -15)
        crc = 0
        usize = 0
        with tempfile.TemporaryFile() as spool:
            for chunk in chunks:
                crc = zlib.crc32(chunk, crc)
                usize += len(chunk)
                spool.write(comp.compress(chunk))
            spool.write(comp.flush())
            csize = spool.tell()
            self._member(name, 8, crc, csize, usize, _FILE_ATTR)
            spool.seek(0)
            while block := spool.read(_COPY_CHUNK):
                self._write(block)

    def close(self) -> None:
        """Write the central directory and end records. The output stream is left open."""
        if self._closed:
            return
        self._closed = True
        cd_offset = self._pos
        self._central.seek(0)
        shutil.copyfileobj(self._central, self._out, _COPY_CHUNK)
        self._pos += self._central_size
        self._central.close()
        count, cd_size = self._count, self._central_size
        big_count = count >= ZIP64_COUNT_LIMIT
        big_offset = cd_offset >= ZIP64_OFFSET_LIMIT
        big_size = cd_size >= ZIP64_OFFSET_LIMIT
        if big_count or big_offset or big_size:
            zip64_offset = self._pos
            self._write(
                struct.pack("<IQHHIIQQQQ", _ZIP64_EOCD_SIG, 44, _MADE_BY, 45, 0, 0, count, count, cd_size, cd_offset)
            )
            self._write(struct.pack("<IIQI", _ZIP64_LOCATOR_SIG, 0, zip64_offset, 1))
        count16 = _U16_MAX if big_count else count
        self._write(
            struct.pack(
                "<IHHHHIIH",
                _EOCD_SIG,
                0,
                0,
                count16,
                count16,
                _U32_MAX if big_size else cd_size,
                _U32_MAX if big_offset else cd_offset,
                0,
            )
        )


class RecordSorter:
    """Collect fixed-size byte records and iterate them in sorted order with bounded memory.

    Up to ``chunk`` records are kept in memory; beyond that, sorted runs go to a temporary file and
    :meth:`sorted_records` merges them lazily.
    """

    def __init__(self, record_size: int, chunk: int = 32768) -> None:
        self._size = record_size
        self._chunk = chunk
        self._buf: list[bytes] = []
        self._file: IO[bytes] | None = None
        self._runs: list[tuple[int, int]] = []  # (byte offset, record count)
        self.total = 0

    def add(self, record: bytes) -> None:
        if len(record) != self._size:
            raise ValueError(f"record of {len(record)} bytes, expected {self._size}")
        self._buf.append(record)
        self.total += 1
        if len(self._buf) >= self._chunk:
            self._spill()

    def _spill(self) -> None:
        if not self._buf:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile()
        self._buf.sort()
        self._file.seek(0, 2)
        self._runs.append((self._file.tell(), len(self._buf)))
        self._file.write(b"".join(self._buf))
        self._buf = []

    def _read_run(self, offset: int, count: int) -> Iterator[bytes]:
        assert self._file is not None
        size, block = self._size, 1024
        while count:
            n = min(block, count)
            self._file.seek(offset)
            data = self._file.read(n * size)
            offset += n * size
            count -= n
            for i in range(0, n * size, size):
                yield data[i : i + size]

    def sorted_records(self) -> Iterator[bytes]:
        """All records in ascending byte order (may be called once)."""
        if self._file is None:
            self._buf.sort()
            yield from self._buf
            return
        self._spill()
        yield from heapq.merge(*(self._read_run(off, n) for off, n in self._runs))

    def close(self) -> None:
        self._buf = []
        if self._file is not None:
            self._file.close()
            self._file = None
