"""The simulator over real HTTP: lifecycle, listing, audio, callbacks, expiry, the command."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import wave

import httpx
import numpy as np
import pytest

from deerdesk.sim.audio import count_mp3_frames, render
from deerdesk.sim.http import HttpServer, Reply
from tests.conftest import TEST_KEY

API = "/kling/v1/audio/text-to-audio"
AUTH = {"Authorization": f"Bearer {TEST_KEY}"}


def create(sim, key=TEST_KEY, **body):
    answer = httpx.post(f"{sim.url}{API}", json=body, headers={"Authorization": f"Bearer {key}"})
    return answer.json()


def wait_final(sim, task_id, key=TEST_KEY):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        data = httpx.get(f"{sim.url}{API}/{task_id}", headers={"Authorization": f"Bearer {key}"})
        task = data.json()["data"]
        if task["task_status"] in ("succeed", "failed"):
            return task
    raise AssertionError("task did not finish")


def test_task_goes_through_the_states_and_yields_exact_audio(sim):
    answer = create(sim, prompt="ocean waves at sunrise", duration=7.3, external_task_id="e1")
    assert answer["code"] == 0 and answer["data"]["task_status"] == "submitted"
    assert answer["data"]["task_id"].isdigit()
    seen = set()
    deadline = time.monotonic() + 10
    while "succeed" not in seen and time.monotonic() < deadline:
        body = httpx.get(f"{sim.url}{API}/e1", headers=AUTH).json()["data"]
        seen.add(body["task_status"])
    assert {"processing", "succeed"} <= seen
    audio = body["task_result"]["audios"][0]
    assert audio["duration_wav"] == "7.30"
    assert body["final_unit_deduction"]
    wav_bytes = httpx.get(audio["url_wav"]).content
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        assert wav.getnframes() / wav.getframerate() == 7.3
    mp3 = httpx.get(audio["url_mp3"])
    assert mp3.headers["content-type"] == "audio/mpeg"
    assert count_mp3_frames(mp3.content) * 576 / 24000 == pytest.approx(
        float(audio["duration_mp3"]), abs=0.01
    )


def test_different_prompts_sound_different():
    def spectrum_centroid(prompt):
        audio = render(prompt, 30)
        with wave.open(io.BytesIO(audio.wav)) as wav:
            samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(float)
        magnitude = np.abs(np.fft.rfft(samples))
        freqs = np.fft.rfftfreq(len(samples), 1 / 24000)
        return float((magnitude * freqs).sum() / magnitude.sum())

    rain, siren, thunder = (spectrum_centroid(p) for p in ("rain", "police siren", "thunder"))
    assert thunder < siren < rain or abs(rain - siren) > 300
    assert abs(thunder - siren) > 300
    assert render("rain", 30).wav == render("rain", 30).wav
    assert render("rain", 30).wav != render("rain on leaves", 30).wav


def test_list_is_newest_first_and_paged(sim):
    ids = [create(sim, prompt=f"p{i}", duration=3)["data"]["task_id"] for i in range(5)]
    page1 = httpx.get(f"{sim.url}{API}", params={"pageNum": 1, "pageSize": 2}, headers=AUTH)
    page3 = httpx.get(f"{sim.url}{API}", params={"pageNum": 3, "pageSize": 2}, headers=AUTH)
    assert [t["task_id"] for t in page1.json()["data"]] == ids[::-1][:2]
    assert [t["task_id"] for t in page3.json()["data"]] == ids[:1]
    bad = httpx.get(f"{sim.url}{API}", params={"pageSize": 501}, headers=AUTH).json()
    assert bad["code"] == 1201 and "pageSize" in bad["message"]


def test_external_ids_are_unique_per_account(make_sim):
    sim = make_sim(keys={TEST_KEY: "ok", "other-key": "ok"})
    assert create(sim, prompt="a", duration=3, external_task_id="same")["code"] == 0
    again = create(sim, prompt="a", duration=3, external_task_id="same")
    assert again["code"] == 1201 and "external_task_id" in again["message"]
    assert create(sim, "other-key", prompt="a", duration=3, external_task_id="same")["code"] == 0
    # each account reads only its own tasks
    other = httpx.get(f"{sim.url}{API}/same", headers={"Authorization": "Bearer other-key"})
    mine = httpx.get(f"{sim.url}{API}/same", headers=AUTH)
    assert other.json()["data"]["task_id"] != mine.json()["data"]["task_id"]
    stats = sim.stats()
    assert stats["external_id_submissions"]["same"] == 3
    assert sorted(stats["created_per_key"].values()) == [1, 1]


def test_content_policy_fails_the_task_with_a_message(sim):
    task_id = create(sim, prompt="an unsafe sound", duration=3)["data"]["task_id"]
    task = wait_final(sim, task_id)
    assert task["task_status"] == "failed"
    assert task["task_status_msg"]
    assert "task_result" not in task


def test_result_files_expire(make_sim):
    sim = make_sim(expire_seconds=0.5)
    task = wait_final(sim, create(sim, prompt="rain", duration=3)["data"]["task_id"])
    url = task["task_result"]["audios"][0]["url_wav"]
    assert httpx.get(url).status_code == 200
    deadline = time.monotonic() + 5
    while httpx.get(url).status_code == 200:
        assert time.monotonic() < deadline
    assert httpx.get(url).status_code == 404


def test_callbacks_are_posted_on_each_status_change(sim):
    received: list[dict] = []
    done = asyncio.Event()

    async def record(request):
        received.append(json.loads(request.body))
        if received[-1]["task_status"] == "succeed":
            done.set()
        return Reply(body=b"{}")

    async def go():
        receiver = HttpServer(record)
        await receiver.start()
        try:
            body = {"prompt": "bell", "duration": 3, "callback_url": f"{receiver.url}/cb"}
            async with httpx.AsyncClient() as http:
                await http.post(f"{sim.url}{API}", json=body, headers=AUTH)
            await asyncio.wait_for(done.wait(), 10)
        finally:
            await receiver.aclose()

    asyncio.run(go())
    statuses = [r["task_status"] for r in received]
    assert statuses[-1] == "succeed" and statuses[0] in ("submitted", "processing")
    assert received[-1]["task_result"]["audios"][0]["url_wav"].endswith(".wav")


def test_faults_are_reproducible_with_a_seed(make_sim):
    def faults_for(seed):
        sim = make_sim(fault_rate=0.5, seed=seed)
        for _ in range(30):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{sim.url}{API}?pageNum=1", headers=AUTH, timeout=5)
        return sim.stats()["faults"]

    first, second, other = faults_for(11), faults_for(11), faults_for(12)
    assert first == second
    assert first != other


def test_sim_command_serves_the_contract_to_curl(tmp_path):
    command = [
        sys.executable,
        "-m",
        "deerdesk.cli",
        "sim",
        "--port",
        "0",
        "--key",
        TEST_KEY,
        "--processing-seconds",
        "0.3",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:")
        url = first.removeprefix("listening on ")
        curl = shutil.which("curl")

        def get(path_or_url, *args):
            target = path_or_url if path_or_url.startswith("http") else url + path_or_url
            if curl:
                out = subprocess.run(
                    [curl, "-sS", "-H", f"Authorization: Bearer {TEST_KEY}", *args, target],
                    capture_output=True,
                    check=True,
                )
                return out.stdout
            return httpx.get(target, headers=AUTH).content

        body = json.dumps({"prompt": "wind in the trees", "duration": 4.2})
        if curl:
            created = json.loads(get(API, "-H", "Content-Type: application/json", "-d", body))
        else:
            created = httpx.post(url + API, content=body, headers=AUTH).json()
        task_id = created["data"]["task_id"]
        deadline = time.monotonic() + 10
        while (task := json.loads(get(f"{API}/{task_id}"))["data"])["task_status"] != "succeed":
            assert time.monotonic() < deadline
        wav_path = tmp_path / "out.wav"
        wav_path.write_bytes(get(task["task_result"]["audios"][0]["url_wav"]))
        with wave.open(str(wav_path)) as wav:
            assert wav.getnframes() / wav.getframerate() == pytest.approx(4.2)
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_sim_does_not_import_the_client():
    code = "import sys, deerdesk.sim.server, deerdesk.cli; print('deerdesk.api' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}, check=True
    )
    assert out.stdout.strip() == "False"
