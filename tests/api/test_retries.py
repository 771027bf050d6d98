"""Retries, Retry-After, idempotent create and atomic downloads against injected faults."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import pytest

from deerdesk.api import errors
from deerdesk.api.models import CreateTaskRequest, RemoteTask
from tests.conftest import TEST_KEY


def stop_faults_after_first_backoff(client, sim, waits):
    def listener(error, delay):
        waits.append((type(error), delay))
        sim.config.fault_rate = 0.0

    client.add_backoff_listener(listener)


@pytest.mark.parametrize(
    "fault",
    [
        "rate_limit_1302",
        "rate_limit_1303",
        "http_500",
        "http_503",
        "http_504",
        "ok_nonzero",
        "drop",
        "malformed_json",
    ],
)
def test_retryable_faults_on_read_are_retried(make_sim, client_for, run, fault):
    sim = make_sim()
    waits: list = []

    async def go():
        async with client_for(sim) as client:
            created = await client.create_task(CreateTaskRequest.build("rain", 5))
            sim.config.faults, sim.config.fault_rate = (fault,), 1.0
            stop_faults_after_first_backoff(client, sim, waits)
            return await client.get_task(created.task_id)

    task = run(go())
    assert isinstance(task, RemoteTask)
    assert len(waits) == 1
    assert sim.stats()["requests"]["read"] == 2


def test_retry_after_is_honoured(make_sim, client_for, run):
    sim = make_sim(faults=("rate_limit_1302_retry_after",), retry_after_seconds=0.07)
    waits: list = []

    async def go():
        async with client_for(sim, base_delay=20, max_delay=20) as client:
            sim.config.fault_rate = 1.0
            stop_faults_after_first_backoff(client, sim, waits)
            await client.list_tasks()
            return client.rate_limiter.paused_for

    run(go())
    assert waits == [(errors.RateLimitError, pytest.approx(0.07))]


def test_rate_limit_gives_up_after_the_attempt_budget(make_sim, client_for, run):
    sim = make_sim(faults=("rate_limit_1303",), fault_rate=1.0)

    async def go():
        async with client_for(sim, max_attempts=3) as client:
            await client.list_tasks()

    with pytest.raises(errors.RateLimitError) as caught:
        run(go())
    assert caught.value.code == 1303
    assert sim.stats()["requests"]["list"] == 3


def test_backoff_grows_and_is_capped():
    import random

    from deerdesk.api.retry import RetryPolicy

    policy = RetryPolicy(base_delay=1, max_delay=8, rng=random.Random(3))
    delays = [policy.delay(attempt) for attempt in range(1, 9)]
    assert all(0.1 <= d <= 8 for d in delays)
    assert max(delays[4:]) <= 8 and max(delays[4:]) > 1
    assert policy.delay(1, errors.RateLimitError(429, 1302, "", None, retry_after=500)) == 120


@pytest.mark.parametrize("fault", ["drop_after_create", "drop", "http_500", "malformed_json"])
def test_create_is_never_double_billed(make_sim, client_for, run, fault):
    sim = make_sim(faults=(fault,))
    waits: list = []

    async def go():
        async with client_for(sim) as client:
            sim.config.fault_rate = 1.0
            stop_faults_after_first_backoff(client, sim, waits)
            return await client.create_task(CreateTaskRequest.build("rain", 5, "ext-once"))

    task = run(go())
    stats = sim.stats()
    assert task.external_task_id == "ext-once"
    assert stats["tasks"] == 1, f"{fault}: {stats}"
    assert stats["external_id_submissions"]["ext-once"] == 1
    if fault in ("drop_after_create", "malformed_json"):
        # the service recorded the first create: the client found it by external id
        assert stats["requests"]["create"] == 1 and stats["requests"]["read"] == 1


def test_many_creates_under_mixed_faults_create_one_task_each(make_sim, client_for, run):
    import asyncio

    sim = make_sim(fault_rate=0.4, seed=7)
    sim.config.faults = tuple(f for f in sim.config.faults if not f.startswith("file_"))

    async def go():
        async with client_for(sim, max_attempts=12) as client:
            requests = [CreateTaskRequest.build(f"rain {i}", 5) for i in range(40)]
            return await asyncio.gather(*(client.create_task(r) for r in requests)), requests

    tasks, requests = run(go())
    stats = sim.stats()
    assert stats["tasks"] == 40, stats
    assert {t.external_task_id for t in tasks} == {r.external_task_id for r in requests}
    assert sum(stats["faults"].values()) > 10


def test_truncated_download_leaves_no_file(make_sim, client_for, run, tmp_path: Path):
    sim = make_sim(faults=("file_truncated",))

    async def go():
        async with client_for(sim, max_attempts=2) as client:
            task = await client.create_task(CreateTaskRequest.build("rain", 5))
            while not (task := await client.get_task(task.task_id)).status.is_final:
                await asyncio.sleep(0.05)
            sim.config.fault_rate = 1.0
            await client.download(task.audios[0].url_wav, tmp_path / "take.wav")

    import asyncio

    with pytest.raises(errors.DownloadError) as caught:
        run(go())
    assert "could not be downloaded completely" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_download_recovers_from_a_truncation(make_sim, client_for, run, tmp_path: Path):
    import asyncio

    sim = make_sim(faults=("file_truncated",))
    waits: list = []

    async def go():
        async with client_for(sim) as client:
            task = await client.create_task(CreateTaskRequest.build("rain", 7.3))
            while not (task := await client.get_task(task.task_id)).status.is_final:
                await asyncio.sleep(0.05)
            sim.config.fault_rate = 1.0
            stop_faults_after_first_backoff(client, sim, waits)
            return await client.download(task.audios[0].url_wav, tmp_path / "take.wav")

    size = run(go())
    assert [name for name in (p.name for p in tmp_path.iterdir())] == ["take.wav"]
    assert (tmp_path / "take.wav").stat().st_size == size
    with wave.open(str(tmp_path / "take.wav")) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(7.3)
    assert waits and waits[0][0] is errors.DownloadError


def test_expired_result_is_a_clear_error(make_sim, client_for, run, tmp_path):
    import asyncio

    sim = make_sim(expire_seconds=0.3)

    async def go():
        async with client_for(sim) as client:
            task = await client.create_task(CreateTaskRequest.build("rain", 3))
            while not (task := await client.get_task(task.task_id)).status.is_final:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.4)  # let the simulated 30 days pass
            await client.download(task.audios[0].url_mp3, tmp_path / "a.mp3")

    with pytest.raises(errors.ExpiredResultError) as caught:
        run(go())
    assert "30 days" in str(caught.value)
    assert sim.stats()["requests"]["file"] == 1
    assert list(tmp_path.iterdir()) == []


def test_unreachable_service_is_a_connection_error(client_for, run, sim):
    import random

    from deerdesk.api.client import DeerApiClient
    from deerdesk.api.retry import RetryPolicy

    async def go():
        policy = RetryPolicy(max_attempts=2, base_delay=0.01, rng=random.Random(0))
        async with DeerApiClient("http://127.0.0.1:9", TEST_KEY, retry_policy=policy) as c:
            await c.list_tasks()

    with pytest.raises(errors.ConnectionFailedError) as caught:
        run(go())
    assert "could not be reached" in str(caught.value)


def test_wrong_base_url_says_so(client_for, run, sim):
    import httpx

    from deerdesk.api.client import DeerApiClient

    def not_deerapi(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="<html>Not Found</html>")

    async def go():
        async with DeerApiClient(sim.url, TEST_KEY) as client:
            client._http._transport = httpx.MockTransport(not_deerapi)
            await client.list_tasks()

    with pytest.raises(errors.NotDeerApiError) as caught:
        run(go())
    assert "base URL" in str(caught.value)


def test_key_never_reaches_logs_reprs_or_errors(make_sim, client_for, run, caplog):
    import asyncio

    sim = make_sim(fault_rate=0.3, seed=3)
    caplog.set_level(logging.DEBUG)

    async def go():
        async with client_for(sim, max_attempts=30) as client:
            texts = [repr(client), repr(client._auth)]
            task = await client.create_task(CreateTaskRequest.build("rain", 3))
            while not (task := await client.get_task(task.task_id)).status.is_final:
                await asyncio.sleep(0.05)
            try:
                await client.get_task("missing")
            except errors.ApiError as error:
                texts += [str(error), repr(error)]
            return texts

    texts = run(go())
    assert sim.stats()["faults"], "faults should have produced failure logs"
    assert "request_id" in caplog.text
    assert TEST_KEY not in caplog.text
    assert all(TEST_KEY not in text for text in texts)
