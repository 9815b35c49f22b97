"""Toy sequence tasks generated in code (§4.2, §4.6, Part 2): crisp patterns that train in seconds.

Every task returns :class:`Examples`: integer token arrays (or float features for the
adding problem) with their vocabularies. Conventions shared by every vocabulary:
``PAD = 0``, ``BOS = 1``, ``EOS = 2``; symbols start at index 3. Targets of
sequence-to-sequence tasks end with EOS and are padded with PAD; a decoder's input is
``BOS + target[:-1]`` (:func:`decoder_input`).

Kinds:
- ``seq2seq``: ``src`` int [n, Ls] → ``tgt`` int [n, Lt] (copy, reverse, sort, date, modular_add)
- ``tag``: ``src`` int [n, L] → ``tgt`` int [n, L], one label per position (parity: running parity)
- ``classify``: ``src`` int [n, L] → ``tgt`` int [n] (brackets: balanced or not)
- ``regress``: ``src`` float [n, L, 2] (value, marker) → ``tgt`` float [n] (adding problem)
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from explorer.engines.contract import check

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<s>", "</s>")
DIGITS = SPECIALS + tuple("0123456789")
BITS = SPECIALS + ("0", "1")
BRACKETS = SPECIALS + ("(", ")")
DATE_CHARS = SPECIALS + tuple("0123456789 -/,abcdefghijklmnopqrstuvwxyz")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")

TASKS = ("copy", "reverse", "sort", "parity", "adding", "brackets", "modular_add", "date")
KIND = {"copy": "seq2seq", "reverse": "seq2seq", "sort": "seq2seq", "date": "seq2seq",
        "modular_add": "seq2seq", "parity": "tag", "brackets": "classify", "adding": "regress"}
LABELS = {"copy": "Copy", "reverse": "Reverse", "sort": "Sort", "parity": "Parity (running)",
          "adding": "Adding problem", "brackets": "Balanced brackets", "modular_add": "Modular addition",
          "date": "Date reformatting"}
MAX_N, MAX_LEN = 20_000, 64
DATE_OUT_LEN = 10  # YYYY-MM-DD


@dataclass(frozen=True)
class Examples:
    """A batch of a task. ``src``/``tgt`` shapes by kind (module docstring)."""

    task: str
    kind: str
    src: np.ndarray
    tgt: np.ndarray
    vocab_in: tuple
    vocab_out: tuple

    def __len__(self) -> int:
        return len(self.src)


def modular_vocab(p: int) -> tuple:
    return SPECIALS + tuple(str(i) for i in range(p)) + ("+", "=")


def make(task: str, n: int, length: int = 8, seed: int = 0, modulus: int = 23) -> Examples:
    """``n`` examples of ``task`` with sequences of ``length`` symbols (ignored by ``date``
    and ``modular_add``, whose inputs have their own form), drawn from ``seed``."""
    check(task in TASKS, "task", f"one of {TASKS}")
    check(1 <= n <= MAX_N, "n", f"1…{MAX_N}")
    check(1 <= length <= MAX_LEN, "length", f"1…{MAX_LEN}")
    check(2 <= modulus <= 97, "modulus", "2…97")
    rng = np.random.default_rng(seed)
    return _MAKERS[task](rng, n, length, modulus)


def _eos_pad(body: np.ndarray) -> np.ndarray:
    return np.concatenate([body, np.full((len(body), 1), EOS, dtype=np.int64)], axis=1)


def _digits(rng, n, length) -> np.ndarray:
    return rng.integers(3, 13, size=(n, length), dtype=np.int64)


def _copy(rng, n, length, _m):
    s = _digits(rng, n, length)
    return Examples("copy", "seq2seq", s, _eos_pad(s.copy()), DIGITS, DIGITS)


def _reverse(rng, n, length, _m):
    s = _digits(rng, n, length)
    return Examples("reverse", "seq2seq", s, _eos_pad(s[:, ::-1].copy()), DIGITS, DIGITS)


def _sort(rng, n, length, _m):
    s = _digits(rng, n, length)
    return Examples("sort", "seq2seq", s, _eos_pad(np.sort(s, axis=1)), DIGITS, DIGITS)


def _parity(rng, n, length, _m):
    bits = rng.integers(0, 2, size=(n, length), dtype=np.int64)
    return Examples("parity", "tag", bits + 3, np.cumsum(bits, axis=1) % 2, BITS, ("even", "odd"))


def _adding(rng, n, length, _m):
    """Hochreiter & Schmidhuber's adding problem: sum the two values whose marker is 1."""
    length = max(length, 2)
    x = np.zeros((n, length, 2), dtype=np.float32)
    x[:, :, 0] = rng.random((n, length), dtype=np.float32)
    half = max(1, length // 2)
    a = rng.integers(0, half, size=n)
    b = rng.integers(half, length, size=n) if length > half else a
    b = np.where(b == a, (a + 1) % length, b)
    rows = np.arange(n)
    x[rows, a, 1] = 1.0
    x[rows, b, 1] = 1.0
    return Examples("adding", "regress", x, (x[rows, a, 0] + x[rows, b, 0]).astype(np.float32), ("value", "marker"),
                    ("sum",))


def balanced(seq) -> bool:
    depth = 0
    for t in seq:
        depth += 1 if t == 3 else -1
        if depth < 0:
            return False
    return depth == 0


def _brackets(rng, n, length, _m):
    """Half balanced strings (random Dyck words), half near misses (one bracket flipped),
    so the label cannot be read off the counts alone half of the time."""
    length = max(2, length - length % 2)
    src = np.empty((n, length), dtype=np.int64)
    y = np.empty(n, dtype=np.int64)
    for i in range(n):
        seq, opened, closed = [], 0, 0
        while len(seq) < length:  # a uniform-ish Dyck walk
            can_open = opened < length // 2
            can_close = closed < opened
            if can_open and (not can_close or rng.random() < 0.5):
                seq.append(3)
                opened += 1
            else:
                seq.append(4)
                closed += 1
        if i % 2:
            j = rng.integers(length)
            seq[j] = 7 - seq[j]
            if rng.random() < 0.5:  # keep the counts equal in half the negatives: order matters
                k = rng.choice([q for q in range(length) if seq[q] == seq[j] and q != j])
                seq[k] = 7 - seq[k]
        src[i] = seq
        y[i] = int(balanced(seq))
    return Examples("brackets", "classify", src, y, BRACKETS, ("unbalanced", "balanced"))


def _modular_add(rng, n, _length, p):
    """``a + b =`` → ``(a + b) mod p`` (the grokking task), tokens ``a + b =``."""
    v = modular_vocab(p)
    a = rng.integers(0, p, size=n)
    b = rng.integers(0, p, size=n)
    plus, eq = v.index("+"), v.index("=")
    src = np.stack([a + 3, np.full(n, plus), b + 3, np.full(n, eq)], axis=1).astype(np.int64)
    return Examples("modular_add", "seq2seq", src, _eos_pad(((a + b) % p + 3)[:, None].astype(np.int64)), v, v)


DATE_FORMATS = ("{month} {d}, {y}", "{d} {month} {y}", "{m}/{d}/{y}", "{d}-{mon}-{y}", "{mon} {dd} {y}")


def date_text(day: _dt.date, fmt: int) -> str:
    month = MONTHS[day.month - 1]
    return DATE_FORMATS[fmt].format(month=month, mon=month[:3], d=day.day, dd=f"{day.day:02d}", m=day.month,
                                    y=day.year)


def _date(rng, n, _length, _m):
    """Human-written dates in five formats → ISO ``YYYY-MM-DD``, character level."""
    start = _dt.date(1950, 1, 1).toordinal()
    days = rng.integers(0, 365 * 100, size=n)
    fmts = rng.integers(0, len(DATE_FORMATS), size=n)
    texts = [date_text(_dt.date.fromordinal(start + int(d)), int(f)) for d, f in zip(days, fmts)]
    width = max(len(t) for t in texts)
    src = np.stack([encode(t, DATE_CHARS, width) for t in texts])
    iso = [_dt.date.fromordinal(start + int(d)).isoformat() for d in days]
    tgt = _eos_pad(np.stack([encode(t, DATE_CHARS, DATE_OUT_LEN) for t in iso]))
    return Examples("date", "seq2seq", src, tgt, DATE_CHARS, DATE_CHARS)


_MAKERS = {"copy": _copy, "reverse": _reverse, "sort": _sort, "parity": _parity, "adding": _adding,
           "brackets": _brackets, "modular_add": _modular_add, "date": _date}


def encode(text, vocab: tuple, width: int | None = None) -> np.ndarray:
    """Symbols → ids, padded with PAD to ``width``. ``text`` is a string (one symbol per
    character) or a list of symbols; an unknown symbol raises ``ValueError`` naming it."""
    index = {s: i for i, s in enumerate(vocab)}
    ids = []
    for ch in text:
        if ch not in index or index[ch] < 3:
            raise ValueError(f"text: {ch!r} is not in this task's alphabet")
        ids.append(index[ch])
    width = len(ids) if width is None else width
    if len(ids) > width:
        raise ValueError(f"text: at most {width} symbols")
    return np.array(ids + [PAD] * (width - len(ids)), dtype=np.int64)


def decode(ids, vocab: tuple, stop_at_eos: bool = True) -> list[str]:
    """Ids → symbols, dropping PAD/BOS and stopping at the first EOS."""
    out = []
    for i in np.asarray(ids).tolist():
        if i == EOS and stop_at_eos:
            break
        if i in (PAD, BOS):
            continue
        out.append(vocab[i])
    return out


def decoder_input(tgt: np.ndarray) -> np.ndarray:
    """Teacher forcing's input: ``BOS`` then the target shifted right by one. [n, Lt]."""
    return np.concatenate([np.full((len(tgt), 1), BOS, dtype=np.int64), tgt[:, :-1]], axis=1)


def split(ex: Examples, test_share: float = 0.2, seed: int = 0) -> tuple[Examples, Examples]:
    """A deterministic train/test split by ``seed``."""
    check(0.0 < test_share < 1.0, "test_share", "between 0 and 1")
    order = np.random.default_rng(seed).permutation(len(ex))
    k = max(1, int(round(len(ex) * test_share)))
    pick = lambda idx: Examples(ex.task, ex.kind, ex.src[idx], ex.tgt[idx], ex.vocab_in, ex.vocab_out)  # noqa: E731
    return pick(order[k:]), pick(order[:k])
