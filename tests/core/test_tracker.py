"""The tracker against the simulator: faults, offline, account problems, sync, resume."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import httpx

from deerdesk.core import events as ev
from deerdesk.core.library import verify_audio
from deerdesk.core.states import LocalState
from deerdesk.core.sync import sync_account
from tests.conftest import TEST_KEY


def assert_files_verified(record) -> None:
    assert {f.format for f in record.files} == {"wav", "mp3"}, record
    for file in record.files:
        path = Path(file.path)
        assert path.stat().st_size == file.bytes
        verify_audio(path, file.format, record.duration if file.format == "wav" else None)


def test_two_hundred_tasks_under_twenty_percent_faults(make_sim, engine_for, run):
    sim = make_sim(fault_rate=0.2, seed=42)

    async def go():
        async with engine_for(sim, attempts=10) as engine:
            records = []
            for i in range(200):
                records += engine.tracker.submit(f"storm {i}", 3 + (i % 8) / 10)
            done = await asyncio.wait_for(engine.tracker.wait_for([r.id for r in records]), 240)
            return done, engine

    done, engine = run(go())
    stats = sim.stats()
    assert len(done) == 200
    assert all(r.state is LocalState.SUCCEED for r in done), {r.state for r in done}
    assert stats["tasks"] == 200, "exactly one service task per submission"
    assert sum(stats["faults"].values()) > 50
    for record in done:
        assert_files_verified(record)
    assert not list((engine.library.root).glob(".*.part"))


def test_offline_then_online_loses_nothing(make_sim, engine_for, run):
    sim = make_sim(offline=True)

    async def go():
        async with engine_for(sim, attempts=2) as engine:
            (record,) = engine.tracker.submit("wind", 3)
            while not engine.of_type(ev.ConnectionChanged):
                await asyncio.sleep(0.02)
            assert engine.tracker.connection is ev.ConnectionState.OFFLINE
            assert engine.store.get(record.id).state is LocalState.QUEUED
            sim.config.offline = False
            (final,) = await asyncio.wait_for(engine.tracker.wait_for([record.id]), 30)
            return final, engine

    final, engine = run(go())
    assert final.state is LocalState.SUCCEED
    assert_files_verified(final)
    assert engine.tracker.connection is ev.ConnectionState.ONLINE
    assert sim.created_tasks() == 1


def test_bad_key_stops_the_queue_with_one_clear_error(make_sim, engine_for, run):
    sim = make_sim()

    async def go():
        async with engine_for(sim, key="sk-not-valid") as engine:
            records = engine.tracker.submit("rain", 3, takes=3)
            while engine.tracker.halted_by is None:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0)  # let the other workers reach the stopped queue
            return [engine.store.get(r.id) for r in records], engine

    records, engine = run(go())
    problems = engine.of_type(ev.AccountProblem)
    assert len(problems) == 1
    assert problems[0].kind == "AuthError" and "API key" in problems[0].error.message
    states = sorted(r.state.value for r in records)
    assert states.count("rejected") >= 1 and "succeed" not in states
    assert sim.stats()["requests"]["create"] <= 3
    assert sim.created_tasks() == 0


def test_content_safety_rejects_one_task_and_the_queue_goes_on(make_sim, engine_for, run):
    sim = make_sim()

    async def go():
        async with engine_for(sim) as engine:
            bad = engine.tracker.submit("forbidden noise", 3)[0]
            good = engine.tracker.submit("bell", 3)[0]
            return await engine.tracker.wait_for([bad.id, good.id]), engine

    (bad, good), engine = run(go())
    assert bad.state is LocalState.REJECTED and bad.error.code == 1301
    assert "change the prompt" in bad.error.message and bad.error.request_id
    assert good.state is LocalState.SUCCEED
    assert engine.tracker.halted_by is None


def test_failed_task_keeps_the_services_message(make_sim, engine_for, run):
    sim = make_sim()

    async def go():
        async with engine_for(sim) as engine:
            (record,) = engine.tracker.submit("unsafe noise", 3)
            return (await engine.tracker.wait_for([record.id]))[0]

    record = run(go())
    assert record.state is LocalState.FAILED
    assert record.status_msg and record.error.message == record.status_msg
    assert record.files == ()


def test_takes_are_grouped_and_external_ids_checked_locally(make_sim, engine_for, run):
    import pytest

    from deerdesk.core.tracker import DuplicateExternalIdError

    sim = make_sim()

    async def go():
        async with engine_for(sim) as engine:
            takes = engine.tracker.submit("door knock", 4.5, external_id="knock", takes=3)
            with pytest.raises(DuplicateExternalIdError):
                engine.tracker.submit("door knock", 4.5, external_id="knock-t2")
            return await engine.tracker.wait_for([t.id for t in takes])

    takes = run(go())
    assert len({t.group_id for t in takes}) == 1 and takes[0].group_id
    assert [t.take_index for t in takes] == [0, 1, 2]
    assert [t.external_task_id for t in takes] == ["knock-t1", "knock-t2", "knock-t3"]
    assert all(t.state is LocalState.SUCCEED and t.takes == 3 for t in takes)


def test_sync_imports_tasks_made_elsewhere_and_fetches_their_audio(make_sim, engine_for, run):
    sim = make_sim()
    headers = {"Authorization": f"Bearer {TEST_KEY}"}
    for prompt in ("made by curl", "made elsewhere"):
        body = {"prompt": prompt, "duration": 3.4}
        httpx.post(f"{sim.url}/kling/v1/audio/text-to-audio", json=body, headers=headers)

    async def go():
        async with engine_for(sim) as engine:
            (local,) = engine.tracker.submit("local one", 3)
            await engine.tracker.wait_for([local.id])
            report = await sync_account(engine.store, engine.client, page_size=1)
            engine.tracker.adopt(report.imported)
            done = await engine.tracker.wait_for([r.id for r in report.imported])
            again = await sync_account(engine.store, engine.client)
            return report, done, again

    report, done, again = run(go())
    assert report.seen == 3 and len(report.imported) == 2
    assert again.imported == ()
    for record in done:
        assert record.origin == "sync" and record.state is LocalState.SUCCEED
        assert record.duration == 3.4
        assert 29.9 < record.days_left(record.created_at) <= 30
        with wave.open(record.file("wav").path) as wav:
            assert wav.getnframes() / wav.getframerate() == 3.4


def test_missing_files_are_downloaded_again_on_start(make_sim, engine_for, run):
    sim = make_sim()

    async def first():
        async with engine_for(sim) as engine:
            (record,) = engine.tracker.submit("engine hum", 3)
            return (await engine.tracker.wait_for([record.id]))[0]

    record = run(first())
    Path(record.file("wav").path).unlink()

    async def second():
        async with engine_for(sim) as engine:
            engine.tracker.retry(record.id)
            return (await engine.tracker.wait_for([record.id]))[0]

    again = run(second())
    assert_files_verified(again)
    assert sim.created_tasks() == 1
