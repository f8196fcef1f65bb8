"""The uploads of CSV imports, kept in the database so that a worker on any host reads them:
the file's records in chunks of about 64 KB, and each row's keys for the duplicate checks."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)

from ..core.schema import ConsoleModel, user_key


class ImportUpload(ConsoleModel):
    """One uploaded file: its header (the columns in file order), how many data rows it
    has, the dry run's counts and first errors, and the job that applies it."""

    __tablename__ = "console_import"

    id = Column(Integer, primary_key=True)
    created_by_id = Column(Integer, nullable=True, index=True, info=user_key("CASCADE"))
    created_at = Column(DateTime, nullable=False, index=True)
    filename = Column(String(255), nullable=False, default="")
    size = Column(Integer, nullable=False, default=0)
    rows = Column(Integer, nullable=False, default=0)
    columns = Column(JSON, nullable=False, default=list)
    invite = Column(Boolean, nullable=False, default=False)
    # {"counts": {...}, "errors": [{"row", "email", "code", "message"}...], "error_count"}
    preview = Column(JSON, nullable=True)
    applied_at = Column(DateTime, nullable=True)
    job_id = Column(Integer, nullable=True)


class ImportChunk(ConsoleModel):
    """Whole records of an upload, rewritten as comma-separated UTF-8 with each record's row
    number first; a chunk never splits a record, so a batch starts reading at any row."""

    __tablename__ = "console_import_chunk"

    upload_id = Column(
        Integer, ForeignKey("console_import.id", ondelete="CASCADE"), primary_key=True
    )
    seq = Column(Integer, primary_key=True, autoincrement=False)
    first_row = Column(Integer, nullable=False)
    last_row = Column(Integer, nullable=False)
    data = Column(LargeBinary, nullable=False)


# A batch finds the chunk holding the row after its cursor.
Index("ix_console_import_chunk_upload_id_last_row", ImportChunk.upload_id, ImportChunk.last_row)


class ImportKey(ConsoleModel):
    """A row's canonical address ("email") or lower-cased username ("username"): two rows
    with one key are duplicates, found by the database rather than a set in memory."""

    __tablename__ = "console_import_key"

    upload_id = Column(
        Integer, ForeignKey("console_import.id", ondelete="CASCADE"), primary_key=True
    )
    row = Column(Integer, primary_key=True, autoincrement=False)
    kind = Column(String(8), primary_key=True)
    key = Column(String(320), nullable=False)
    value = Column(String(320), nullable=False)


Index(
    "ix_console_import_key_upload_id_kind_key",
    ImportKey.upload_id,
    ImportKey.kind,
    ImportKey.key,
    ImportKey.row,
)
