"""The values TangoTest's read-only attributes show: what cppTango's TangoTest generates every
``Sleep_period`` milliseconds (or at every read when ``Mthreaded_impl`` is 0).

Scalars follow the last written value of their attribute: ``double_scalar`` reads
``w * sin(k degrees)`` (k counts the generations), the integer ones a random integer below
the written value; spectra are random integers below 256 (``wave`` is ``ampli * sin(freq * (i
+ k) degrees)``); images are a bright disc that moves a little around the centre
(``*_image_ro``) or random pixels (boolean, uchar and ushort images); strings say hello with a
random number.
"""

from __future__ import annotations

import math

import numpy as np

SPECTRUM_LENGTH = 256   # cppTango's kSpecLen
IMAGE_SIDE = 251        # cppTango's kImagLen
_INT_MAX = 256          # random integers of spectra and full images are below this
_DEG = 3.14159 / 180.0  # TangoTest's own approximation of pi/180


def below(rng: np.random.Generator, limit: float) -> int:
    """A random integer in [0, limit) (0 when limit <= 1), as TangoTest's ``randomize``."""
    limit = int(limit)
    return int(rng.integers(0, limit)) if limit > 1 else 0


def sine(amplitude: float, k: int) -> float:
    return amplitude * math.sin(_DEG * (k % 360))


def wave(amplitude: float, k: int, frequency: float = 1.0) -> np.ndarray:
    """``amplitude * sin(frequency * (i + k) degrees)`` for i along the spectrum (TangoTest 9.3
    has no frequency: 1)."""
    return amplitude * np.sin(frequency * _DEG * (np.arange(SPECTRUM_LENGTH) + (k % 360)))


def random_spectrum(rng: np.random.Generator, dtype: np.dtype | type) -> np.ndarray:
    if np.dtype(dtype) == np.bool_:
        return rng.integers(0, 2, SPECTRUM_LENGTH).astype(bool)
    return rng.integers(0, _INT_MAX, SPECTRUM_LENGTH).astype(dtype)


def disc_image(rng: np.random.Generator, dtype: np.dtype | type, side: int = IMAGE_SIDE) -> np.ndarray:
    """A cone of height ``limit`` around a centre that wanders within 5% of the middle."""
    span = max(int(side * 0.05), 1)
    cx = int(rng.integers(0, span)) * (1 if rng.integers(0, 2) else -1)
    cy = int(rng.integers(0, span)) * (1 if rng.integers(0, 2) else -1)
    limit = side // 8
    noise_span = max(int(limit * 0.2), 1)
    limit += int(rng.integers(0, noise_span)) * (1 if rng.integers(0, 2) else -1)
    middle = (side - 1) // 2
    offsets = np.arange(-limit, limit)
    dist = np.sqrt(offsets[:, None] ** 2 + offsets[None, :] ** 2).astype(np.int64)
    cone = np.where(dist < limit, limit - dist, 0)
    image = np.zeros((side, side), dtype=dtype)
    xs, ys = offsets + middle + cx, offsets + middle + cy
    xk, yk = (xs >= 0) & (xs < side), (ys >= 0) & (ys < side)
    # TangoTest fills buffer[x * side + y]: x indexes rows of the row-major image
    image[np.ix_(xs[xk], ys[yk])] = cone[np.ix_(xk, yk)].astype(dtype)
    return image


def random_image(rng: np.random.Generator, dtype: np.dtype | type, side: int = IMAGE_SIDE) -> np.ndarray:
    if np.dtype(dtype) == np.bool_:
        return rng.integers(0, 2, (side, side)).astype(bool)
    return rng.integers(0, _INT_MAX, (side, side)).astype(dtype)


def hello_spectrum(rng: np.random.Generator) -> list[str]:
    numbers = rng.integers(0, _INT_MAX, SPECTRUM_LENGTH).tolist()
    return [f"[{i:02d}]::hello-world-{n:04d}" for i, n in enumerate(numbers)]


def hello_image(rng: np.random.Generator) -> list[list[str]]:
    numbers = rng.integers(0, _INT_MAX, (IMAGE_SIDE, IMAGE_SIDE)).tolist()
    return [[f"[{i:02d}][{j:02d}]::hello world::{n:04d}" for i, n in enumerate(row)]
            for j, row in enumerate(numbers)]
