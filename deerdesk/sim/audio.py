"""Real sound for the simulator: a WAV of exactly the requested length and an MP3 of it.

The sound depends on the prompt: a few recognisable families (rain, wind, siren, thunder,
birds, footsteps, engine, bell) chosen by keywords, with a drone whose pitch comes from the
prompt's hash for everything else. The prompt also seeds the noise, so different prompts
sound different and the same prompt sounds the same.
"""

from __future__ import annotations

import hashlib
import io
import wave
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 24_000
MP3_FRAME_SAMPLES = 576  # MPEG-2 layer III at 24 kHz

FAMILIES: dict[str, tuple[str, ...]] = {
    "rain": ("rain", "drizzle", "shower", "downpour", "storm"),
    "water": ("water", "ocean", "wave", "river", "stream", "sea", "surf"),
    "wind": ("wind", "breeze", "gust", "howl"),
    "siren": ("siren", "alarm", "police", "ambulance"),
    "thunder": ("thunder", "explosion", "boom", "rumble", "blast"),
    "birds": ("bird", "chirp", "tweet", "forest", "morning"),
    "steps": ("footstep", "steps", "walk", "knock", "door", "click"),
    "engine": ("engine", "motor", "car", "truck", "machine", "hum"),
    "bell": ("bell", "chime", "ding", "gong"),
}


def family_of(prompt: str) -> str:
    words = prompt.lower()
    for family, keys in FAMILIES.items():
        if any(key in words for key in keys):
            return family
    return "drone"


def _seed(prompt: str) -> int:
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:8], "little")


def _lowpass(signal: np.ndarray, alpha: float) -> np.ndarray:
    """A one-pole low-pass, done in blocks through a cumulative trick-free recurrence."""
    # exponential smoothing via FFT convolution with a decaying kernel (fast, stable)
    length = min(len(signal), int(8 / max(alpha, 1e-4)))
    kernel = alpha * (1 - alpha) ** np.arange(max(1, length))
    size = 1 << int(np.ceil(np.log2(len(signal) + len(kernel))))
    out = np.fft.irfft(np.fft.rfft(signal, size) * np.fft.rfft(kernel, size), size)
    return out[: len(signal)]


def synthesize(prompt: str, samples: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float samples in [-1, 1] for the prompt."""
    rng = np.random.default_rng(_seed(prompt))
    t = np.arange(samples) / sample_rate
    family = family_of(prompt)
    noise = rng.standard_normal(samples)
    if family == "rain":
        drops = (rng.random(samples) < 0.004) * rng.random(samples)
        signal = 0.35 * (noise - _lowpass(noise, 0.2)) + 0.8 * (drops - _lowpass(drops, 0.5))
    elif family == "water":
        swell = 0.55 + 0.45 * np.sin(2 * np.pi * t / (2.5 + rng.random()))
        signal = _lowpass(noise, 0.08) * swell * 2.5
    elif family == "wind":
        gust = 0.5 + 0.5 * np.sin(2 * np.pi * 0.3 * t + rng.random() * 6)
        signal = _lowpass(noise, 0.02) * gust * 6
    elif family == "siren":
        freq = 700 + 350 * np.sin(2 * np.pi * 0.5 * t)
        signal = 0.6 * np.sin(2 * np.pi * np.cumsum(freq) / sample_rate)
    elif family == "thunder":
        env = np.exp(-t * (0.6 + rng.random()))
        signal = _lowpass(noise, 0.01) * env * 12
    elif family == "birds":
        signal = np.zeros(samples)
        for _ in range(max(1, int(samples / sample_rate * 4))):
            start = int(rng.random() * max(1, samples - sample_rate // 8))
            n = min(sample_rate // 8, samples - start)
            tt = np.arange(n) / sample_rate
            f0 = 2500 + 2000 * rng.random()
            chirp = np.sin(2 * np.pi * (f0 * tt + 8000 * tt**2)) * np.hanning(n)
            signal[start : start + n] += 0.5 * chirp
    elif family == "steps":
        signal = np.zeros(samples)
        period = int(sample_rate * (0.45 + 0.2 * rng.random()))
        for start in range(0, samples, period):
            n = min(sample_rate // 10, samples - start)
            tt = np.arange(n) / sample_rate
            signal[start : start + n] += np.exp(-tt * 60) * noise[start : start + n] * 0.9
    elif family == "engine":
        f0 = 40 + 30 * rng.random()
        phase = 2 * np.pi * f0 * t
        signal = 0.4 * np.sign(np.sin(phase)) * (0.6 + 0.4 * np.sin(phase / 7))
        signal = _lowpass(signal, 0.1) * 2 + 0.05 * noise
    elif family == "bell":
        f0 = 300 + 500 * rng.random()
        signal = sum(
            a * np.sin(2 * np.pi * f0 * r * t) for a, r in ((0.5, 1), (0.3, 2.76), (0.2, 5.4))
        )
        signal = signal * np.exp(-t * 1.2)
    else:
        f0 = 110 * 2 ** ((_seed(prompt) % 24) / 12)
        signal = 0.3 * np.sin(2 * np.pi * f0 * t) + 0.15 * np.sin(2 * np.pi * 1.5 * f0 * t)
        signal = signal * (0.7 + 0.3 * np.sin(2 * np.pi * 0.25 * t))
    fade = min(samples // 2, sample_rate // 50)
    if fade:
        ramp = np.linspace(0, 1, fade)
        signal[:fade] *= ramp
        signal[-fade:] *= ramp[::-1]
    peak = float(np.max(np.abs(signal))) or 1.0
    return np.clip(signal / peak * 0.8, -1, 1)


@dataclass(frozen=True)
class RenderedAudio:
    wav: bytes
    mp3: bytes
    duration_wav: float
    duration_mp3: float


def render(prompt: str, duration_tenths: int, sample_rate: int = SAMPLE_RATE) -> RenderedAudio:
    """A WAV of exactly `duration_tenths / 10` seconds and an MP3 encoding of it."""
    samples = duration_tenths * sample_rate // 10
    pcm = (synthesize(prompt, samples, sample_rate) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    mp3 = encode_mp3(pcm, sample_rate)
    frames = count_mp3_frames(mp3)
    return RenderedAudio(
        wav=buffer.getvalue(),
        mp3=mp3,
        duration_wav=samples / sample_rate,
        duration_mp3=frames * MP3_FRAME_SAMPLES / sample_rate,
    )


def encode_mp3(pcm: bytes, sample_rate: int) -> bytes:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(pcm) + encoder.flush())


def count_mp3_frames(data: bytes) -> int:
    """Counts MPEG audio frames by walking their headers (enough for our own CBR output)."""
    bitrates = {
        3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1
        2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2
    }
    rates = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000)}
    pos, frames = 0, 0
    while pos + 4 <= len(data):
        if data[pos] != 0xFF or (data[pos + 1] & 0xE0) != 0xE0:
            pos += 1
            continue
        version = (data[pos + 1] >> 3) & 3
        bitrate_index = data[pos + 2] >> 4
        rate_index = (data[pos + 2] >> 2) & 3
        padding = (data[pos + 2] >> 1) & 1
        if version not in bitrates or bitrate_index in (0, 15) or rate_index == 3:
            pos += 1
            continue
        bitrate = bitrates[version][bitrate_index] * 1000
        rate = rates[version][rate_index]
        length = (144 if version == 3 else 72) * bitrate // rate + padding
        frames += 1
        pos += length
    return frames
