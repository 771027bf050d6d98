from __future__ import annotations

import pytest

from deerdesk.api.errors import ValidationError
from deerdesk.api.models import CreateTaskRequest, RemoteTask, TaskStatus, duration_tenths


@pytest.mark.parametrize(
    ("prompt", "ok"),
    [
        ("a" * 200, True),
        ("a" * 201, False),
        ("👍" * 200, True),  # one code point each, four bytes each
        ("👍" * 201, False),
        ("e\u0301" * 100, True),  # 200 code points: letter + combining accent
        ("e\u0301" * 100 + "x", False),
        ("   \n\t ", False),
        ("", False),
    ],
)
def test_prompt_is_counted_in_code_points(prompt: str, ok: bool) -> None:
    if ok:
        assert CreateTaskRequest.build(prompt, 5).prompt == prompt
    else:
        with pytest.raises(ValidationError) as caught:
            CreateTaskRequest.build(prompt, 5)
        assert caught.value.field == "prompt"
        assert "prompt" in str(caught.value).lower()


@pytest.mark.parametrize(
    ("duration", "tenths"),
    [
        (3.0, 30),
        (10.0, 100),
        (7.3, 73),
        ("4.2", 42),
        (5, 50),
        (2.9, None),
        (10.05, None),
        (5.25, None),
        (10.1, None),
        (float("nan"), None),
        (True, None),
        ("abc", None),
    ],
)
def test_duration_range_and_grid(duration: object, tenths: int | None) -> None:
    if tenths is None:
        with pytest.raises(ValidationError) as caught:
            duration_tenths(duration)
        assert caught.value.field == "duration"
    else:
        assert duration_tenths(duration) == tenths


def test_duration_is_sent_as_a_json_number() -> None:
    assert CreateTaskRequest.build("x", 5).to_json()["duration"] == 5
    assert isinstance(CreateTaskRequest.build("x", 5).to_json()["duration"], int)
    assert CreateTaskRequest.build("x", 7.3).to_json()["duration"] == 7.3


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.com/deer", True),
        ("http://127.0.0.1:9000/cb", True),
        ("ftp://example.com/x", False),
        ("/relative/path", False),
        ("https://", False),
        ("http://exa mple.com", False),
        ("http://example.com:99999/", False),
    ],
)
def test_callback_url_must_be_absolute_http(url: str, ok: bool) -> None:
    if ok:
        assert CreateTaskRequest.build("x", 5, callback_url=url).callback_url == url
    else:
        with pytest.raises(ValidationError) as caught:
            CreateTaskRequest.build("x", 5, callback_url=url)
        assert caught.value.field == "callback_url"


def test_every_request_gets_a_unique_external_id() -> None:
    ids = {CreateTaskRequest.build("x", 5).external_task_id for _ in range(50)}
    assert len(ids) == 50
    assert CreateTaskRequest.build("x", 5, external_task_id="mine-1").external_task_id == "mine-1"


def test_parsing_is_tolerant_of_extra_and_missing_fields() -> None:
    task = RemoteTask.from_json(
        {
            "task_id": 861254119619698760,
            "task_status": "succeed",
            "something_new": {"nested": True},
            "final_unit_deduction": "1.00",
            "task_result": {
                "audios": [
                    {
                        "id": "a",
                        "url_wav": "http://x/a.wav",
                        "duration_wav": "5.00",
                        "duration_mp3": "oops",
                    }
                ]
            },
        }
    )
    assert task.task_id == "861254119619698760"
    assert task.status is TaskStatus.SUCCEED
    assert task.cost == "1.00"
    assert task.audios[0].duration_wav == 5.0
    assert task.audios[0].duration_mp3 is None
    assert task.audios[0].url_mp3 is None
    assert task.external_task_id is None
