from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from deerdesk.core.library import CorruptAudioError, Library, slugify, verify_audio
from deerdesk.sim.audio import render


def test_file_names_read_and_sort_well(tmp_path):
    library = Library(tmp_path)
    when = datetime.datetime(2026, 11, 24, 12).timestamp()
    path = library.path_for(
        created_at=when,
        prompt="Ocean waves, at sunrise!",
        duration_tenths=50,
        task_id="861254119619698760",
        fmt="wav",
    )
    assert path.name == "2026-11-24_ocean-waves-at-sunrise_5.0s_861254119619698760.wav"
    assert slugify("Café — 夜の雨") == "cafe"
    assert slugify("!!!") == "sound"
    long = library.path_for(
        created_at=when, prompt="x" * 500, duration_tenths=73, task_id="1" * 300, fmt="mp3"
    )
    assert len(long.name) <= 150 and long.name.endswith(".mp3")


@pytest.mark.parametrize(
    "hostile", ["../../etc/passwd", "..%2F..%2Fx", "/abs/path", "a/../../b", "..", "\\..\\windows"]
)
def test_hostile_ids_cannot_leave_the_library(tmp_path, hostile):
    library = Library(tmp_path / "lib")
    path = library.path_for(
        created_at=0, prompt=hostile, duration_tenths=30, task_id=hostile, fmt="wav"
    )
    assert path.parent == (tmp_path / "lib").resolve()
    assert "/" not in path.name and ".." not in path.name.replace("...", "")


def test_contain_refuses_paths_outside(tmp_path):
    library = Library(tmp_path / "lib")
    for outside in (Path("../x.wav"), Path("/etc/passwd"), Path("a/../../x")):
        with pytest.raises(ValueError, match="outside the library"):
            library.contain(outside)


def test_verification_catches_damage(tmp_path):
    audio = render("rain", 50)
    wav, mp3 = tmp_path / "a.wav", tmp_path / "a.mp3"
    wav.write_bytes(audio.wav)
    mp3.write_bytes(audio.mp3)
    assert verify_audio(wav, "wav", 5.0) == 5.0
    assert abs(verify_audio(mp3, "mp3", audio.duration_mp3) - audio.duration_mp3) < 0.01
    with pytest.raises(CorruptAudioError, match="the service said"):
        verify_audio(wav, "wav", 7.0)
    wav.write_bytes(audio.wav[: len(audio.wav) // 2])
    with pytest.raises(CorruptAudioError):
        verify_audio(wav, "wav", 5.0)
    mp3.write_bytes(b"<html>not audio</html>" * 50)
    with pytest.raises(CorruptAudioError, match="no valid MP3 frames"):
        verify_audio(mp3, "mp3", None)


def test_partial_downloads_are_cleaned(tmp_path):
    library = Library(tmp_path)
    (tmp_path / ".x.wav.1234.part").write_bytes(b"half")
    (tmp_path / "kept.wav").write_bytes(b"whole")
    assert library.remove_partial_downloads() == 1
    assert [p.name for p in tmp_path.iterdir()] == ["kept.wav"]
