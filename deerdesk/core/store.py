"""The history in SQLite: schema versions with forward migrations, WAL, indexed for 100 000 tasks.

No Qt. Every write is one short transaction; the tracker calls it from its event loop.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deerdesk.core.records import ErrorInfo, FileRecord, ResultAudio, TaskRecord
from deerdesk.core.states import CreateOutcome, LocalState, check_transition


class StoreError(Exception):
    """The history database cannot be used (corrupt, newer than this DeerDesk, locked)."""


_V1 = """
        CREATE TABLE tasks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            external_task_id TEXT NOT NULL UNIQUE,
            task_id TEXT UNIQUE,
            prompt TEXT NOT NULL,
            duration_tenths INTEGER NOT NULL,
            callback_url TEXT,
            state TEXT NOT NULL,
            status_msg TEXT NOT NULL DEFAULT '',
            cost TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            remote_created_at_ms INTEGER,
            create_outcome TEXT NOT NULL DEFAULT 'pending',
            result_json TEXT,
            error_code INTEGER,
            error_message TEXT
        );
        CREATE TABLE files (
            task_local_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            audio_index INTEGER NOT NULL DEFAULT 0,
            format TEXT NOT NULL,
            path TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            duration REAL,
            PRIMARY KEY (task_local_id, audio_index, format)
        );
        CREATE INDEX tasks_state ON tasks(state, id);
"""

# v2: favourites, takes, origin, the request id of errors, and full-text prompt search
_V2 = """
        ALTER TABLE tasks ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tasks ADD COLUMN group_id TEXT;
        ALTER TABLE tasks ADD COLUMN take_index INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tasks ADD COLUMN takes INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE tasks ADD COLUMN origin TEXT NOT NULL DEFAULT 'local';
        ALTER TABLE tasks ADD COLUMN error_request_id TEXT;
        CREATE INDEX tasks_favourite ON tasks(favourite, id) WHERE favourite = 1;
        CREATE VIRTUAL TABLE prompts USING fts5(
            prompt, content='tasks', content_rowid='id', tokenize='trigram'
        );
        INSERT INTO prompts(rowid, prompt) SELECT id, prompt FROM tasks;
        CREATE TRIGGER tasks_ai AFTER INSERT ON tasks BEGIN
            INSERT INTO prompts(rowid, prompt) VALUES (new.id, new.prompt);
        END;
        CREATE TRIGGER tasks_ad AFTER DELETE ON tasks BEGIN
            INSERT INTO prompts(prompts, rowid, prompt) VALUES ('delete', old.id, old.prompt);
        END;
"""

#: forward migrations; MIGRATIONS[n] takes schema version n to n + 1
MIGRATIONS = [_V1, _V2]
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = (
    "id, external_task_id, task_id, prompt, duration_tenths, callback_url, state, status_msg, "
    "cost, created_at, updated_at, remote_created_at_ms, create_outcome, result_json, "
    "error_code, error_message, error_request_id, favourite, group_id, take_index, takes, origin"
)
_UPDATABLE = {
    "task_id",
    "state",
    "status_msg",
    "cost",
    "remote_created_at_ms",
    "create_outcome",
    "audios",
    "error",
    "favourite",
    "callback_url",
}


@dataclass(frozen=True)
class NewTask:
    prompt: str
    duration_tenths: int
    external_task_id: str
    callback_url: str | None = None
    group_id: str | None = None
    take_index: int = 0
    takes: int = 1
    state: LocalState = LocalState.QUEUED
    task_id: str | None = None
    origin: str = "local"
    remote_created_at_ms: int | None = None


class Store:
    """The history database of one data directory."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=10)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"The history database {self.path} cannot be opened ({exc}). "
                "Move it aside to start a new history; your audio files are not affected."
            ) from None

    def close(self) -> None:
        self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, target: int = SCHEMA_VERSION) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"The history database {self.path} was written by a newer DeerDesk "
                f"(schema {current}; this one knows {SCHEMA_VERSION}). Update DeerDesk."
            )
        for version in range(current + 1, target + 1):
            # executescript commits first, so the transaction is written into the script
            try:
                self._db.executescript(
                    f"BEGIN IMMEDIATE; {MIGRATIONS[version - 1]}; "
                    f"PRAGMA user_version = {version}; COMMIT;"
                )
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # -- writes -----------------------------------------------------------------------------

    def add_tasks(self, tasks: Sequence[NewTask]) -> list[TaskRecord]:
        """Inserts all or none (one transaction): the outbox rows of a submission."""
        now = time.time()
        ids = []
        with self._transaction():
            for task in tasks:
                cursor = self._db.execute(
                    "INSERT INTO tasks (external_task_id, task_id, prompt, duration_tenths, "
                    "callback_url, state, created_at, updated_at, group_id, take_index, takes, "
                    "origin, remote_created_at_ms, create_outcome) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        task.external_task_id,
                        task.task_id,
                        task.prompt,
                        task.duration_tenths,
                        task.callback_url,
                        task.state.value,
                        now,
                        now,
                        task.group_id,
                        task.take_index,
                        task.takes,
                        task.origin,
                        task.remote_created_at_ms,
                        (CreateOutcome.KNOWN if task.task_id else CreateOutcome.PENDING).value,
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
        return [self._require(i) for i in ids]

    def update(self, local_id: int, **changes: Any) -> TaskRecord:
        """Changes the named fields; a state change must be an allowed transition."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        sets: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "state":
                check_transition(self._require(local_id).state, value)
                sets["state"] = value.value
            elif name == "create_outcome":
                sets["create_outcome"] = value.value
            elif name == "audios":
                sets["result_json"] = json.dumps([a.__dict__ for a in value])
            elif name == "error":
                sets["error_code"] = value.code if value else None
                sets["error_message"] = value.message if value else None
                sets["error_request_id"] = value.request_id if value else None
            elif name == "favourite":
                sets["favourite"] = int(bool(value))
            else:
                sets[name] = value
        sets["updated_at"] = time.time()
        assignments = ", ".join(f"{column} = ?" for column in sets)
        with self._transaction():
            self._db.execute(
                f"UPDATE tasks SET {assignments} WHERE id = ?", (*sets.values(), local_id)
            )
        return self._require(local_id)

    def set_file(self, local_id: int, file: FileRecord) -> TaskRecord:
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO files (task_local_id, audio_index, format, path, bytes, "
                "duration) VALUES (?, ?, ?, ?, ?, ?)",
                (local_id, file.audio_index, file.format, file.path, file.bytes, file.duration),
            )
            self._db.execute(
                "UPDATE tasks SET updated_at = ? WHERE id = ?", (time.time(), local_id)
            )
        return self._require(local_id)

    def forget_file(self, local_id: int, fmt: str, audio_index: int = 0) -> None:
        with self._transaction():
            self._db.execute(
                "DELETE FROM files WHERE task_local_id = ? AND format = ? AND audio_index = ?",
                (local_id, fmt, audio_index),
            )

    def remove(self, local_id: int) -> TaskRecord | None:
        """Deletes a task from the history (files on disk are the caller's business)."""
        record = self.get(local_id)
        if record is not None:
            with self._transaction():
                self._db.execute("DELETE FROM tasks WHERE id = ?", (local_id,))
        return record

    def restore(self, record: TaskRecord) -> TaskRecord:
        """Puts a removed task back exactly as it was (undo of `remove`)."""
        error = record.error
        with self._transaction():
            self._db.execute(
                f"INSERT INTO tasks ({_COLUMNS}) VALUES ({', '.join('?' * 22)})",
                (
                    record.id,
                    record.external_task_id,
                    record.task_id,
                    record.prompt,
                    record.duration_tenths,
                    record.callback_url,
                    record.state.value,
                    record.status_msg,
                    record.cost,
                    record.created_at,
                    record.updated_at,
                    record.remote_created_at_ms,
                    record.create_outcome.value,
                    json.dumps([a.__dict__ for a in record.audios]) if record.audios else None,
                    error.code if error else None,
                    error.message if error else None,
                    error.request_id if error else None,
                    int(record.favourite),
                    record.group_id,
                    record.take_index,
                    record.takes,
                    record.origin,
                ),
            )
            for file in record.files:
                self._db.execute(
                    "INSERT INTO files (task_local_id, audio_index, format, path, bytes, duration)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        record.id,
                        file.audio_index,
                        file.format,
                        file.path,
                        file.bytes,
                        file.duration,
                    ),
                )
        return self._require(record.id)

    # -- reads ------------------------------------------------------------------------------

    def get(self, local_id: int) -> TaskRecord | None:
        rows = self._select("WHERE id = ?", (local_id,))
        return rows[0] if rows else None

    def _require(self, local_id: int) -> TaskRecord:
        record = self.get(local_id)
        if record is None:
            raise KeyError(f"no task {local_id} in the history")
        return record

    def find(self, identifier: str) -> TaskRecord | None:
        """A task by external id, service task id, or local id (in that order)."""
        rows = self._select("WHERE external_task_id = ? OR task_id = ?", (identifier, identifier))
        if rows:
            return rows[0]
        return self.get(int(identifier)) if identifier.isdigit() else None

    def external_id_exists(self, external_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM tasks WHERE external_task_id = ?", (external_id,)
        ).fetchone()
        return row is not None

    def known_task_ids(self, task_ids: Iterable[str]) -> set[str]:
        wanted = list(task_ids)
        known: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self._db.execute(
                f"SELECT task_id FROM tasks WHERE task_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            known.update(row[0] for row in rows)
        return known

    def page(
        self,
        *,
        before_id: int | None = None,
        limit: int = 100,
        states: Iterable[LocalState] | None = None,
        search: str | None = None,
        favourites_only: bool = False,
    ) -> list[TaskRecord]:
        """Newest first, keyset-paged: pass the last id of a page as `before_id`."""
        where, params = self._filters(before_id, states, search, favourites_only)
        return self._select(f"{where} ORDER BY id DESC LIMIT ?", (*params, limit))

    def count(
        self,
        *,
        states: Iterable[LocalState] | None = None,
        search: str | None = None,
        favourites_only: bool = False,
    ) -> int:
        where, params = self._filters(None, states, search, favourites_only)
        return int(self._db.execute(f"SELECT count(*) FROM tasks {where}", params).fetchone()[0])

    def unfinished(self) -> list[TaskRecord]:
        states = [s for s in LocalState if s.in_flight]
        return self._select(
            f"WHERE state IN ({', '.join('?' * len(states))}) ORDER BY id",
            [s.value for s in states],
        )

    def succeeded_without(self, formats: Sequence[str]) -> list[TaskRecord]:
        """Succeeded tasks that lack a file of one of `formats` for one of their audios."""
        candidates = self._select(
            "WHERE state = 'succeed' AND result_json IS NOT NULL AND ("
            "SELECT count(*) FROM files WHERE task_local_id = tasks.id) < "
            f"{len(formats)} * json_array_length(result_json) ORDER BY id",
            (),
        )
        return candidates

    def cost_history(self, limit: int = 50) -> list[tuple[int, str]]:
        rows = self._db.execute(
            "SELECT duration_tenths, cost FROM tasks WHERE cost IS NOT NULL "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [(int(d), str(c)) for d, c in rows]

    def recent_prompts(self, limit: int = 20) -> list[str]:
        rows = self._db.execute(
            "SELECT prompt FROM tasks GROUP BY prompt ORDER BY max(id) DESC LIMIT ?", (limit,)
        )
        return [row[0] for row in rows]

    def _filters(
        self,
        before_id: int | None,
        states: Iterable[LocalState] | None,
        search: str | None,
        favourites_only: bool,
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        if states is not None:
            values = [s.value for s in states]
            clauses.append(f"state IN ({', '.join('?' * len(values))})")
            params.extend(values)
        if favourites_only:
            clauses.append("favourite = 1")
        text = (search or "").strip()
        if text:
            if len(text) >= 3:  # the trigram index answers substrings of 3+ characters
                clauses.append("id IN (SELECT rowid FROM prompts WHERE prompts MATCH ?)")
                params.append('"' + text.replace('"', '""') + '"')
            else:
                clauses.append("prompt LIKE ? ESCAPE '\\'")
                escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                params.append(f"%{escaped}%")
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _select(self, tail: str, params: Sequence[Any]) -> list[TaskRecord]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM tasks {tail}", params).fetchall()
        if not rows:
            return []
        ids = [row[0] for row in rows]
        files: dict[int, list[FileRecord]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for task_id, index, fmt, path, size, duration in self._db.execute(
                "SELECT task_local_id, audio_index, format, path, bytes, duration FROM files "
                f"WHERE task_local_id IN ({', '.join('?' * len(chunk))}) "
                "ORDER BY audio_index, format DESC",
                chunk,
            ):
                files.setdefault(task_id, []).append(FileRecord(fmt, path, size, duration, index))
        return [_record(row, tuple(files.get(row[0], ()))) for row in rows]


def _record(row: Sequence[Any], files: tuple[FileRecord, ...]) -> TaskRecord:
    (
        local_id,
        external_id,
        task_id,
        prompt,
        tenths,
        callback,
        state,
        status_msg,
        cost,
        created,
        updated,
        remote_created,
        outcome,
        result_json,
        error_code,
        error_message,
        error_request_id,
        favourite,
        group_id,
        take_index,
        takes,
        origin,
    ) = row
    audios = tuple(ResultAudio(**a) for a in json.loads(result_json)) if result_json else ()
    error = ErrorInfo(error_code, error_message, error_request_id) if error_message else None
    return TaskRecord(
        id=local_id,
        external_task_id=external_id,
        task_id=task_id,
        prompt=prompt,
        duration_tenths=tenths,
        callback_url=callback,
        state=LocalState(state),
        status_msg=status_msg,
        cost=cost,
        created_at=created,
        updated_at=updated,
        remote_created_at_ms=remote_created,
        create_outcome=CreateOutcome(outcome),
        error=error,
        favourite=bool(favourite),
        group_id=group_id,
        take_index=take_index,
        takes=takes,
        origin=origin,
        audios=audios,
        files=files,
    )


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
