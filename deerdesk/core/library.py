"""The local library of generated sounds: readable file names, safe paths, verified files."""

from __future__ import annotations

import re
import unicodedata
import wave
from datetime import datetime
from pathlib import Path

FORMATS = ("wav", "mp3")
SLUG_MAX = 60
NAME_MAX = 150


class CorruptAudioError(Exception):
    """A downloaded file is not the audio the service described."""


def slugify(text: str, limit: int = SLUG_MAX) -> str:
    """`Ocean waves, at sunrise!` -> `ocean-waves-at-sunrise`: ASCII letters, digits, dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:limit].rstrip("-")
    return slug or "sound"


def safe_token(text: str, limit: int = 40) -> str:
    """A service-provided id reduced to characters that cannot form a path."""
    token = re.sub(r"[^A-Za-z0-9_-]+", "", text)[:limit]
    return token or "unknown"


class Library:
    """The folder where results are kept. Every path it gives is inside `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(
        self,
        *,
        created_at: float,
        prompt: str,
        duration_tenths: int,
        task_id: str,
        fmt: str,
        audio_index: int = 0,
    ) -> Path:
        """e.g. `2026-11-24_ocean-waves-at-sunrise_5.0s_861254119619698760.wav`."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown audio format {fmt!r}")
        date = datetime.fromtimestamp(created_at).strftime("%Y-%m-%d")
        take = f"-{audio_index + 1}" if audio_index else ""
        stem = f"{date}_{slugify(prompt)}_{duration_tenths / 10:.1f}s_{safe_token(task_id)}{take}"
        name = f"{stem[: NAME_MAX - len(fmt) - 1]}.{fmt}"
        return self.contain(self.root / name)

    def contain(self, path: Path) -> Path:
        """`path` if it lies inside the library, else ValueError (no `..`, links or absolutes)."""
        root = self.root.resolve()
        resolved = (root / path).resolve() if not path.is_absolute() else path.resolve()
        if not resolved.is_relative_to(root) or resolved == root:
            raise ValueError(f"{path} is outside the library {root}")
        return resolved

    def remove_partial_downloads(self) -> int:
        """Deletes temporary `.NAME.part` files a crash left behind; returns how many."""
        if not self.root.exists():
            return 0
        count = 0
        for leftover in self.root.glob(".*.part"):
            leftover.unlink(missing_ok=True)
            count += 1
        return count


def verify_audio(path: Path, fmt: str, expected_duration: float | None) -> float:
    """Checks a downloaded file; returns its duration in seconds or raises CorruptAudioError."""
    if fmt == "wav":
        duration = _wav_duration(path)
        tolerance = 0.06
    elif fmt == "mp3":
        duration = _mp3_duration(path)
        tolerance = 0.15
    else:
        raise CorruptAudioError(f"unknown format {fmt}")
    if expected_duration is not None and abs(duration - expected_duration) > tolerance:
        raise CorruptAudioError(
            f"{path.name} lasts {duration:.2f} s, the service said {expected_duration:.2f} s"
        )
    return duration


def _wav_duration(path: Path) -> float:
    try:
        with wave.open(str(path), "rb") as wav:
            frames, rate = wav.getnframes(), wav.getframerate()
            data_bytes = frames * wav.getsampwidth() * wav.getnchannels()
    except (wave.Error, EOFError, OSError) as exc:
        raise CorruptAudioError(f"{path.name} is not a readable WAV file ({exc})") from None
    if rate <= 0 or frames <= 0:
        raise CorruptAudioError(f"{path.name} holds no audio")
    if path.stat().st_size < 44 + data_bytes:
        raise CorruptAudioError(f"{path.name} is shorter than its WAV header says")
    return frames / rate


_MP3_BITRATES = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    0: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_duration(path: Path) -> float:
    """Walks MPEG layer III frame headers (after any ID3v2 tag); needs a run of valid frames."""
    data = path.read_bytes()
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        pos = 10 + size
    frames = 0
    samples = 0.0
    while pos + 4 <= len(data):
        b1, b2 = data[pos + 1], data[pos + 2]
        if data[pos] != 0xFF or (b1 & 0xE0) != 0xE0:
            if frames:
                break  # garbage after the frames: stop counting
            pos += 1
            continue
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
        if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
            if frames:
                break
            pos += 1
            continue
        rate = _MP3_RATES[version][rate_index]
        per_frame = 1152 if version == 3 else 576
        length = (144 if version == 3 else 72) * _MP3_BITRATES[version][bitrate_index] * 1000
        length = length // rate + ((b2 >> 1) & 1)
        if pos + length > len(data):
            break  # a cut-off last frame
        frames += 1
        samples += per_frame / rate
        pos += length
    if frames < 2:
        raise CorruptAudioError(f"{path.name} has no valid MP3 frames")
    return samples
