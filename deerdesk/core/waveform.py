"""Peaks of a WAV file for drawing its waveform. Pure and blocking: run it off the UI thread."""

from __future__ import annotations

import wave
from pathlib import Path


def wav_peaks(path: Path, buckets: int = 800) -> list[tuple[float, float]]:
    """(min, max) of each of `buckets` slices, in -1..1; an empty list for an empty file.

    Reads 8/16/24/32-bit PCM, mono or more channels (mixed down). Raises OSError or
    wave.Error for a file that is not a readable WAV.
    """
    import numpy as np  # here, not at the top: start-up does not pay for it

    with wave.open(str(path), "rb") as wav:
        channels, width, frames = wav.getnchannels(), wav.getsampwidth(), wav.getnframes()
        raw = wav.readframes(frames)
    if not frames or not raw:
        return []
    if width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768
    elif width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = bytes3[:, 0] | (bytes3[:, 1] << 8) | (bytes3[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float32) / (1 << 23)
    elif width == 4:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.float32) / (1 << 31)
    else:
        raise wave.Error(f"unsupported sample width {width}")
    usable = len(samples) - len(samples) % channels
    mono = samples[:usable].reshape(-1, channels).mean(axis=1)
    buckets = max(1, min(buckets, len(mono)))
    edges = np.linspace(0, len(mono), buckets + 1, dtype=np.int64)
    lows = np.minimum.reduceat(mono, edges[:-1])
    highs = np.maximum.reduceat(mono, edges[:-1])
    return [(float(lo), float(hi)) for lo, hi in zip(lows, highs, strict=True)]
