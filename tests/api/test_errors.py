"""Every error family against the simulator, and which of them are retried."""

from __future__ import annotations

import httpx
import pytest

from deerdesk.api import errors
from deerdesk.api.models import CreateTaskRequest
from tests.conftest import TEST_KEY


@pytest.mark.parametrize(
    ("state", "error_type", "code"),
    [
        ("expired", errors.AuthError, 1004),
        ("arrears", errors.ArrearsError, 1101),
        ("pack", errors.ResourcePackError, 1102),
        ("account", errors.AccountError, 1100),
        ("no-permission", errors.PermissionDeniedError, 1103),
        ("ip", errors.IpPolicyError, 1304),
    ],
)
def test_account_problems_stop_at_once(make_sim, client_for, run, state, error_type, code):
    sim = make_sim(keys={"k-problem": state})

    async def go():
        async with client_for(sim, key="k-problem") as client:
            await client.create_task(CreateTaskRequest.build("rain", 5))

    with pytest.raises(error_type) as caught:
        run(go())
    assert caught.value.code == code
    assert caught.value.request_id
    assert not caught.value.retryable
    assert sim.stats()["requests"] == {"create": 1}, "a refusal must not be retried"


def test_wrong_key_is_an_auth_error_with_a_plain_message(sim, client_for, run):
    async def go():
        async with client_for(sim, key="sk-wrong") as client:
            await client.get_task("1")

    with pytest.raises(errors.AuthError) as caught:
        run(go())
    assert caught.value.code == 1000
    assert "API key was not accepted" in str(caught.value)
    assert "sk-wrong" not in str(caught.value)
    assert sim.stats()["requests_total"] == 1


def test_unknown_task_is_not_found(sim, client_for, run):
    async def go():
        async with client_for(sim) as client:
            assert await client.find_task("no-such-task") is None
            await client.get_task("no-such-task")

    with pytest.raises(errors.NotFoundError) as caught:
        run(go())
    assert caught.value.code == 1203 and caught.value.http_status == 404


def test_content_safety_refusal_is_not_retried(sim, client_for, run):
    async def go():
        async with client_for(sim) as client:
            await client.create_task(CreateTaskRequest.build("something forbidden", 5))

    with pytest.raises(errors.ContentSafetyError) as caught:
        run(go())
    assert caught.value.code == 1301
    assert "change the prompt" in str(caught.value)
    assert sim.created_tasks() == 0 and sim.stats()["requests"]["create"] == 1


def test_simulator_names_the_invalid_field(sim):
    headers = {"Authorization": f"Bearer {TEST_KEY}"}
    url = f"{sim.url}/kling/v1/audio/text-to-audio"
    for body, field in [
        ({"prompt": "x" * 201, "duration": 5}, "prompt"),
        ({"prompt": "rain", "duration": 10.05}, "duration"),
        ({"prompt": "rain", "duration": 2.9}, "duration"),
        ({"prompt": "rain", "duration": 5, "callback_url": "nope"}, "callback_url"),
    ]:
        answer = httpx.post(url, json=body, headers=headers)
        assert answer.status_code == 400
        assert answer.json()["code"] == 1201
        assert field in answer.json()["message"]
    answer = httpx.post(url, content=b"{not json", headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (400, 1200)
    assert httpx.post(url, json={"prompt": "x", "duration": 5}).json()["code"] == 1001
    bad_scheme = httpx.post(url, json={}, headers={"Authorization": "Basic abc"})
    assert bad_scheme.json()["code"] == 1002
    assert httpx.delete(url + "/1", headers=headers).json()["code"] == 1202


def test_invalid_parameter_maps_to_invalid_request_error():
    error = errors.error_from_answer(400, 1201, "duration must be ...", "rid-1")
    assert isinstance(error, errors.InvalidRequestError)
    assert "duration must be" in str(error) and "rid-1" in str(error)
    assert not error.retryable


@pytest.mark.parametrize(
    ("status", "code", "error_type", "retryable"),
    [
        (429, 1302, errors.RateLimitError, True),
        (429, 1303, errors.RateLimitError, True),
        (429, 1101, errors.ArrearsError, False),
        (500, 5000, errors.ServerError, True),
        (503, 5001, errors.ServerError, True),
        (504, 5002, errors.ServerError, True),
        (502, None, errors.ServerError, True),
        (200, 5000, errors.ServerError, True),
        (400, 1300, errors.PolicyError, False),
        (404, 1202, errors.ClientBugError, False),
    ],
)
def test_business_code_decides_before_http_status(status, code, error_type, retryable):
    error = errors.error_from_answer(status, code, "m", None)
    assert type(error) is error_type
    assert error.retryable is retryable
