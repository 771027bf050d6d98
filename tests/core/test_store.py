from __future__ import annotations

import sqlite3

import pytest

from deerdesk.core.records import ErrorInfo, FileRecord
from deerdesk.core.states import LocalState
from deerdesk.core.store import MIGRATIONS, SCHEMA_VERSION, NewTask, Store, StoreError


def new(prompt: str, i: int = 0) -> NewTask:
    return NewTask(prompt=prompt, duration_tenths=50, external_task_id=f"ext-{prompt}-{i}")


def test_pages_are_newest_first_and_keyset_paged(tmp_path):
    store = Store(tmp_path / "h.sqlite3")
    store.add_tasks([new(f"sound {i}", i) for i in range(25)])
    first = store.page(limit=10)
    second = store.page(limit=10, before_id=first[-1].id)
    assert [r.prompt for r in first] == [f"sound {i}" for i in range(24, 14, -1)]
    assert second[0].id == first[-1].id - 1
    assert store.count() == 25


def test_search_filters_and_favourites(tmp_path):
    store = Store(tmp_path / "h.sqlite3")
    a, b, c = store.add_tasks([new("Ocean waves"), new("rain on a tin roof"), new("ocean 100%")])
    store.update(b.id, state=LocalState.SUBMITTED)
    store.update(c.id, favourite=True)
    assert {r.id for r in store.page(search="ocean")} == {a.id, c.id}
    assert {r.id for r in store.page(search="ce")} == {a.id, c.id}  # short: LIKE path
    assert [r.id for r in store.page(search="0%")] == [c.id]  # LIKE wildcards are literal
    assert [r.id for r in store.page(search="tin roof")] == [b.id]
    assert [r.id for r in store.page(states=[LocalState.SUBMITTED])] == [b.id]
    assert [r.id for r in store.page(favourites_only=True)] == [c.id]
    assert store.count(search="ocean", favourites_only=True) == 1


def test_transitions_are_checked(tmp_path):
    store = Store(tmp_path / "h.sqlite3")
    (record,) = store.add_tasks([new("x")])
    store.update(record.id, state=LocalState.SUCCEED)
    with pytest.raises(ValueError, match="cannot go from succeed to queued"):
        store.update(record.id, state=LocalState.QUEUED)


def test_remove_and_restore_is_exact(tmp_path):
    store = Store(tmp_path / "h.sqlite3")
    (record,) = store.add_tasks([new("bell")])
    record = store.update(record.id, error=ErrorInfo(1301, "nope", "rid"), favourite=True)
    record = store.set_file(record.id, FileRecord("wav", "/l/a.wav", 10, 3.0))
    removed = store.remove(record.id)
    assert store.get(record.id) is None and store.page(search="bell") == []
    assert store.restore(removed) == record
    assert [r.id for r in store.page(search="bell")] == [record.id]


def test_migration_from_version_one_keeps_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    db.execute(
        "INSERT INTO tasks (external_task_id, task_id, prompt, duration_tenths, state, "
        "created_at, updated_at, cost, error_message) "
        "VALUES ('e1', '861', 'old rain', 73, 'succeed', 1.0, 2.0, '1.46', NULL)"
    )
    db.execute(
        "INSERT INTO files (task_local_id, format, path, bytes, duration) "
        "VALUES (1, 'wav', '/lib/old.wav', 123, 7.3)"
    )
    db.commit()
    db.close()
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    (record,) = store.page()
    assert (record.prompt, record.task_id, record.cost, record.duration) == (
        "old rain",
        "861",
        "1.46",
        7.3,
    )
    assert record.files == (FileRecord("wav", "/lib/old.wav", 123, 7.3),)
    assert record.favourite is False
    assert [r.id for r in store.page(search="old r")] == [record.id], "FTS covers old rows"


def test_corrupt_or_newer_database_gives_a_clear_error(tmp_path):
    garbage = tmp_path / "bad.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        Store(garbage)
    assert garbage.read_bytes().startswith(b"this is not"), "the file is left for rescue"
    newer = tmp_path / "newer.sqlite3"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(StoreError, match="newer DeerDesk"):
        Store(newer)
