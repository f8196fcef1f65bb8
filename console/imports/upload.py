"""Storing an uploaded CSV file in the database, and reading it back a batch at a time.

The upload is read as a stream (64 KB at a time through an incremental UTF-8 decoder) and
never held whole: its records are rewritten as comma-separated UTF-8, each with its row
number first, into chunks of about CHUNK_BYTES that never split a record, and each row's
canonical address and username go to a key table, so that duplicates within the file are
found by the database. A reader starts at the chunk that holds the row after its cursor.

The format: UTF-8 with or without a byte order mark; a header line naming the columns, in
any order; the delimiter is a comma or a semicolon, whichever the header line has more of;
quotes as Excel writes them. Row numbers count the header as row 1, as a spreadsheet does;
blank lines are ignored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from flask_security import naive_utcnow
from sqlalchemy import insert, select

from ..core.emails import canonical_email
from ..extensions import db
from ..settings import setting
from .errors import UploadError
from .models import ImportChunk, ImportKey, ImportUpload

CHUNK_BYTES = 64 * 1024
READ_BYTES = 64 * 1024
# The longest header line read before it is refused.
HEADER_CHARS = 64 * 1024

# Column names as a header may spell them (lower case, spaces and "_" or "-" alike).
COLUMNS = ("email", "name", "username", "roles", "language", "timezone")
ALIASES = {
    "email": "email",
    "e mail": "email",
    "email address": "email",
    "mail": "email",
    "name": "name",
    "full name": "name",
    "username": "username",
    "user name": "username",
    "roles": "roles",
    "role": "roles",
    "language": "language",
    "locale": "language",
    "time zone": "timezone",
    "timezone": "timezone",
    "tz": "timezone",
}
# What a `roles` cell separates role names with.
ROLE_SEPARATOR = "|"


@dataclass(frozen=True)
class Row:
    """One data row: its number (the header is row 1), its cells by column, and how many
    cells it had (a row with more or fewer than the header names is an error)."""

    number: int
    cells: dict[str, str]
    found: int

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


class _Limited(io.RawIOBase):
    """The upload's bytes, refused past `limit` (an over-size file stops being read)."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw = raw
        self.limit = limit
        self.read_so_far = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise UploadError("too_large", size=_size_text(self.limit))
        buffer[: len(data)] = data
        return len(data)


def _size_text(size: int) -> str:
    from flask_babel import format_decimal

    if size >= 1024 * 1024:
        return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"
    return f"{format_decimal(round(size / 1024, 1))} KB"


def _column(name: str) -> str | None:
    key = " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())
    return ALIASES.get(key)


def delimiter_of(line: str) -> str:
    """The header line's delimiter: a semicolon when it has more of them than commas."""
    return ";" if line.count(";") > line.count(",") else ","


def parse_header(line: str) -> tuple[str, list[str]]:
    """(delimiter, the columns in file order) of a header line, or UploadError."""
    if not line.strip():
        raise UploadError("empty")
    delimiter = delimiter_of(line)
    cells = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter))
    columns: list[str] = []
    for cell in cells:
        column = _column(cell)
        if column is None:
            shown = cell.strip()[:80]
            if "@" in cell or not shown:
                raise UploadError("no_header", cell=repr(shown))
            raise UploadError("unknown_column", column=repr(shown))
        if column in columns:
            raise UploadError("duplicate_column", column=repr(cell.strip()[:80]))
        columns.append(column)
    if "email" not in columns:
        raise UploadError("no_email_column")
    return delimiter, columns


def _keys(upload_id: int, row: Row) -> list[dict[str, Any]]:
    keys = []
    email = row.get("email")
    if email:
        keys.append(
            {
                "upload_id": upload_id,
                "row": row.number,
                "kind": "email",
                "key": canonical_email(email)[:320],
                "value": email[:320],
            }
        )
    username = row.get("username")
    if username:
        keys.append(
            {
                "upload_id": upload_id,
                "row": row.number,
                "kind": "username",
                "key": username.lower()[:320],
                "value": username[:320],
            }
        )
    return keys


def _make_row(number: int, cells: list[str], columns: list[str]) -> Row:
    values = {column: cell.strip() for column, cell in zip(columns, cells, strict=False)}
    return Row(number, values, len(cells))


class _Chunks:
    """Records written out a chunk at a time, with their keys."""

    def __init__(self, upload_id: int) -> None:
        self.upload_id = upload_id
        self.seq = 0
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.first_row: int | None = None
        self.last_row = 0
        self.keys: list[dict[str, Any]] = []

    def add(self, number: int, cells: list[str], row: Row) -> None:
        if self.first_row is None:
            self.first_row = number
        self.last_row = number
        self.writer.writerow([number, *cells])
        self.keys.extend(_keys(self.upload_id, row))
        if self.buffer.tell() >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.first_row is None:
            return
        self.seq += 1
        db.session.execute(
            insert(ImportChunk).values(
                upload_id=self.upload_id,
                seq=self.seq,
                first_row=self.first_row,
                last_row=self.last_row,
                data=self.buffer.getvalue().encode("utf-8"),
            )
        )
        if self.keys:
            db.session.execute(insert(ImportKey), self.keys)
        self.buffer.seek(0)
        self.buffer.truncate()
        self.first_row = None
        self.keys = []


def store(stream: IO[bytes], *, filename: str, actor: Any, invite: bool = False) -> ImportUpload:
    """Store the CSV file `stream` for `actor` (None: the shell); committed when the whole
    file was read, nothing written when it is refused (UploadError)."""
    limit = int(setting("CONSOLE_IMPORT_MAX_BYTES"))
    max_rows = int(setting("CONSOLE_IMPORT_MAX_ROWS"))
    limited = _Limited(stream, limit)
    text = io.TextIOWrapper(
        io.BufferedReader(limited, READ_BYTES), encoding="utf-8-sig", errors="strict", newline=""
    )
    number = 1
    count = 0
    try:
        try:
            header = text.readline(HEADER_CHARS)
            delimiter, columns = parse_header(header)
            upload = ImportUpload(
                created_by_id=getattr(actor, "id", None),
                created_at=naive_utcnow(),
                filename=(filename or "")[:255],
                columns=columns,
                invite=bool(invite),
            )
            db.session.add(upload)
            db.session.flush()
            chunks = _Chunks(upload.id)
            reader = csv.reader(text, delimiter=delimiter)
            for cells in reader:
                number += 1
                if not any(cell.strip() for cell in cells):
                    continue
                count += 1
                if count > max_rows:
                    raise UploadError("too_many_rows", num=max_rows)
                chunks.add(number, cells, _make_row(number, cells, columns))
            chunks.flush()
        except UnicodeDecodeError as error:
            raise UploadError("not_utf8") from error
        except csv.Error as error:
            raise UploadError("malformed", row=number + 1, reason=str(error)) from error
        if not count:
            raise UploadError("no_rows")
        upload.rows = count
        upload.size = limited.read_so_far
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return upload


def rows(upload: ImportUpload, after: int = 0) -> Iterator[Row]:
    """The upload's data rows after row number `after`, in order, read a chunk at a time."""
    columns = list(upload.columns or [])
    seq = None
    while True:
        stmt = select(ImportChunk.seq, ImportChunk.data).where(ImportChunk.upload_id == upload.id)
        if seq is None:
            stmt = stmt.where(ImportChunk.last_row > after)
        else:
            stmt = stmt.where(ImportChunk.seq > seq)
        found = db.session.execute(stmt.order_by(ImportChunk.seq).limit(1)).first()
        if found is None:
            return
        seq, data = found
        for record in csv.reader(io.StringIO(bytes(data).decode("utf-8"))):
            number = int(record[0])
            if number > after:
                yield _make_row(number, record[1:], columns)


def stored(upload: ImportUpload) -> bool:
    """True while the upload's rows are still in the database."""
    stmt = select(ImportChunk.seq).where(ImportChunk.upload_id == upload.id).limit(1)
    return db.session.scalar(stmt) is not None
