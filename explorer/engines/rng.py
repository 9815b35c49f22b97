"""Seeded random generators behind one tiny interface: ``random() -> float in [0, 1)``.

``SeedRandom`` is a port of seedrandom 2.4.4 (ARC4, RC4-drop[256]) — the generator
TensorFlow Playground installs as ``Math.random`` with the seed *string* from its URL, so
a port that draws in the same order reproduces its data and weights exactly.
``NumpyRandom`` gives the same interface from ``numpy.random.Generator`` for our own
(native) mode, seeded from any string by a stable hash.
"""
from __future__ import annotations

import hashlib

import numpy as np

_WIDTH = 256
_MASK = 255
_CHUNKS = 6
_START_DENOM = float(_WIDTH**_CHUNKS)  # 2**48
_SIGNIFICANCE = float(2**52)
_OVERFLOW = float(2**53)


def _js_int32(v: int) -> int:
    """JavaScript ToInt32 of an integer value."""
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v >= 0x80000000 else v


def _mixkey(seed: str) -> list[int]:
    """seedrandom's ``mixkey``: smear the seed's UTF-16 code units into a key of bytes."""
    units = np.frombuffer(seed.encode("utf-16-le", "surrogatepass"), dtype="<u2").tolist() if seed else []
    key: list[int | None] = []
    smear = 0
    for j, code in enumerate(units):
        idx = _MASK & j
        while len(key) <= idx:
            key.append(None)
        prev = key[idx]
        # `undefined * 19` is NaN and ToInt32(NaN) is 0 in JavaScript.
        smear = _js_int32(smear ^ (0 if prev is None else _js_int32(prev * 19)))
        key[idx] = _MASK & (smear + code)
    return [0 if k is None else k for k in key]


class SeedRandom:
    """seedrandom 2.4.4 ``Math.seedrandom(seed)`` for a string seed.

    >>> round(SeedRandom("0.88025").random(), 6)
    0.675272
    """

    def __init__(self, seed: str):
        key = _mixkey(str(seed)) or [0]
        s = list(range(_WIDTH))
        j = 0
        for i in range(_WIDTH):
            t = s[i]
            j = _MASK & (j + key[i % len(key)] + t)
            s[i] = s[j]
            s[j] = t
        self._s, self._i, self._j = s, 0, 0
        self._g(_WIDTH)  # RC4-drop[256]

    def _g(self, count: int) -> int:
        s, i, j = self._s, self._i, self._j
        r = 0
        for _ in range(count):
            i = _MASK & (i + 1)
            t = s[i]
            j = _MASK & (j + t)
            s[i] = s[j]
            s[j] = t
            r = r * _WIDTH + s[_MASK & (s[i] + t)]
        self._i, self._j = i, j
        return r

    def random(self) -> float:
        n = float(self._g(_CHUNKS))
        d = _START_DENOM
        x = 0
        while n < _SIGNIFICANCE:
            n = (n + x) * _WIDTH
            d *= _WIDTH
            x = self._g(1)
        while n >= _OVERFLOW:
            n /= 2
            d /= 2
            x >>= 1
        return (n + x) / d


def seed_to_int(seed: str) -> int:
    """A stable 63-bit integer from any seed string (same on every machine and run)."""
    return int.from_bytes(hashlib.sha256(str(seed).encode("utf-8", "surrogatepass")).digest()[:8], "little") >> 1


class NumpyRandom:
    """``random()`` from a PCG64 generator; also exposes ``.gen`` for vectorised draws."""

    def __init__(self, seed: str):
        self.gen = np.random.default_rng(seed_to_int(seed))

    def random(self) -> float:
        return float(self.gen.random())
