"""Transformers (§4.6): attention whose weights can be read, positional encodings, masks,
and a tiny encoder-decoder trained live on the toy tasks of :mod:`seq_tasks`.

- :func:`attention` is scaled dot-product attention written out (scores → mask → softmax
  → weighted sum) so that every intermediate can be shown; :class:`MultiHeadAttention`
  keeps each head's weights. Both equal PyTorch's ``scaled_dot_product_attention`` /
  ``nn.MultiheadAttention`` (tested).
- :func:`sinusoidal`, :func:`apply_rope`: positional encodings (learned ones are an
  ``nn.Embedding``).
- :func:`causal_mask`, :func:`padding_mask`: boolean masks, ``True`` = may attend (the
  convention of ``scaled_dot_product_attention``'s boolean ``attn_mask``).
- :func:`step_by_step`: one self-attention layer on a typed sentence with seeded small
  weights, every intermediate returned as a matrix.
- :class:`Seq2Seq` (pre-LayerNorm encoder-decoder) and :class:`Trainer` (the live run).
"""
from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import math
import re
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import seq_tasks as T
from explorer.engines.contract import EpochLoop, check

POS_KINDS = ("sinusoidal", "learned", "rope", "none")
POS_LABELS = {"sinusoidal": "Sinusoidal", "learned": "Learned", "rope": "RoPE (rotary)", "none": "None"}
TASKS = ("copy", "reverse", "sort", "modular_add", "date")
MAX_POS = 32            # longest sequence a learned position table covers
MODULUS = 23
N_POOL = 12_000         # examples drawn per task before de-duplication and the train/test split
N_TEST = 256            # held-out examples (teacher-forced loss and accuracy after every step)
N_GREEDY = 64           # …of which this many are also decoded greedily after every step
MAX_LOG = 4000


# -- attention -----------------------------------------------------------------------------------

def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
              mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention, every step explicit.

    q [..., Lq, dk], k [..., Lk, dk], v [..., Lk, dv]; mask bool, broadcastable to
    [..., Lq, Lk], ``True`` where a query may attend to a key. Returns (output [..., Lq, dv],
    weights [..., Lq, Lk]). Forbidden weights are exactly 0; a query row with no allowed key
    gets all-zero weights (and output) instead of NaN.
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
        empty = ~mask.any(dim=-1, keepdim=True)
        if bool(empty.any()):  # a row of −inf would softmax to NaN
            weights = torch.softmax(scores.masked_fill(empty, 0.0), dim=-1).masked_fill(~mask, 0.0)
            return weights @ v, weights
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def causal_mask(n: int, m: int | None = None) -> torch.Tensor:
    """bool [n, m]: query t may attend to keys 0..t (lower triangle with the diagonal)."""
    return torch.ones(n, n if m is None else m, dtype=torch.bool).tril()


def padding_mask(tokens: torch.Tensor) -> torch.Tensor:
    """bool [B, 1, 1, L] from token ids [B, L]: ``False`` at PAD keys (broadcasts over heads and queries)."""
    return (tokens != T.PAD)[:, None, None, :]


# -- positional encodings ------------------------------------------------------------------------

def sinusoidal(n: int, d: int, base: float = 10_000.0) -> np.ndarray:
    """Vaswani et al.'s table [n, d]: PE[p, 2i] = sin(p·ωᵢ), PE[p, 2i+1] = cos(p·ωᵢ), ωᵢ = base^(−2i/d)."""
    pos = np.arange(n, dtype=np.float64)[:, None]
    omega = base ** (-np.arange(0, d, 2, dtype=np.float64) / d)
    pe = np.zeros((n, d))
    pe[:, 0::2] = np.sin(pos * omega)
    pe[:, 1::2] = np.cos(pos * omega)[:, : d // 2]
    return pe


def rope_angles(positions: torch.Tensor, d: int, base: float = 10_000.0) -> torch.Tensor:
    """Angles [L, d/2] (float64) = position × ωᵢ with ωᵢ = base^(−2i/d) (radians)."""
    omega = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    return positions.double()[:, None] * omega[None, :]


def apply_rope(x: torch.Tensor, positions: torch.Tensor | None = None, base: float = 10_000.0) -> torch.Tensor:
    """Rotary position embedding: rotate each pair (x₂ᵢ, x₂ᵢ₊₁) of x [..., L, d] (d even) by the
    angle pos·ωᵢ. Norms are kept, and ⟨rope(q, m), rope(k, n)⟩ depends on m − n only."""
    n, d = x.shape[-2], x.shape[-1]
    ang = rope_angles(torch.arange(n) if positions is None else positions, d, base)
    cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)


# -- modules -------------------------------------------------------------------------------------

class MultiHeadAttention(nn.Module):
    """Multi-head attention with readable weights.

    x [B, Lq, d] attends to ctx [B, Lk, d] (ctx = x for self-attention). Each of ``heads``
    heads projects to d/heads dimensions; with ``rope`` queries and keys are rotated by
    their positions before the scores. Returns (y [B, Lq, d], weights [B, heads, Lq, Lk]).
    """

    def __init__(self, d: int, heads: int, rope: bool = False):
        super().__init__()
        check(d % heads == 0, "heads", "must divide the model width")
        self.d, self.heads, self.rope = d, heads, rope
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def split(self, t: torch.Tensor) -> torch.Tensor:
        b, n, _ = t.shape
        return t.view(b, n, self.heads, self.d // self.heads).transpose(1, 2)

    def forward(self, x, ctx=None, mask=None, q_pos=None, k_pos=None):
        ctx = x if ctx is None else ctx
        q, k, v = self.split(self.q(x)), self.split(self.k(ctx)), self.split(self.v(ctx))
        if self.rope:
            q, k = apply_rope(q, q_pos), apply_rope(k, k_pos)
        out, w = attention(q, k, v, mask)
        b, _, n, _ = out.shape
        return self.o(out.transpose(1, 2).reshape(b, n, self.d)), w


class Block(nn.Module):
    """Pre-LayerNorm transformer block: x + SelfAttn(LN x) [+ CrossAttn(LN x, memory)] + FF(LN x)."""

    def __init__(self, d: int, heads: int, ff: int, cross: bool = False, rope: bool = False):
        super().__init__()
        self.ln1, self.att = nn.LayerNorm(d), MultiHeadAttention(d, heads, rope)
        self.cross = cross
        if cross:
            self.ln2, self.xatt = nn.LayerNorm(d), MultiHeadAttention(d, heads, rope)
        self.ln3 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))

    def forward(self, x, mask=None, mem=None, mem_mask=None):
        a, w_self = self.att(self.ln1(x), mask=mask)
        x = x + a
        w_cross = None
        if self.cross:
            a, w_cross = self.xatt(self.ln2(x), mem, mask=mem_mask)
            x = x + a
        return x + self.ff(self.ln3(x)), w_self, w_cross


def init_weights(model: nn.Module, gen: torch.Generator) -> nn.Module:
    """Re-draw every parameter from ``gen`` (Xavier-uniform matrices, N(0, 1) embeddings,
    zero biases, unit LayerNorm gains), so a model depends only on its seed."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.Linear):
                nn.init.xavier_uniform_(mod.weight, generator=gen)
                nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.Embedding):
                nn.init.normal_(mod.weight, 0.0, 1.0, generator=gen)
            elif isinstance(mod, nn.LayerNorm):
                nn.init.ones_(mod.weight)
                nn.init.zeros_(mod.bias)
    return model


def build(factory, seed: int) -> nn.Module:
    """``factory()`` with its parameters drawn from ``seed`` alone; the global RNG that the
    constructors draw from is restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        model = factory()
    return init_weights(model, torch.Generator().manual_seed(seed))


class Positions(nn.Module):
    """Adds positions to token vectors [B, L, d]: a fixed sinusoidal table, a learned table,
    or nothing (RoPE acts inside attention; ``none`` leaves the model order-blind)."""

    def __init__(self, kind: str, d: int, max_len: int = MAX_POS):
        super().__init__()
        self.kind = kind
        if kind == "learned":
            self.table = nn.Embedding(max_len, d)
        elif kind == "sinusoidal":
            self.register_buffer("pe", torch.tensor(sinusoidal(max_len, d), dtype=torch.float32), persistent=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        n = h.shape[1]
        if self.kind == "learned":
            return h + self.table.weight[:n]
        if self.kind == "sinusoidal":
            return h + self.pe[:n]
        return h


class Stack(nn.Module):
    """Embedding + positions + ``layers`` blocks + final LayerNorm. With ``cross`` every block
    also attends to a memory (a decoder); ``causal`` masks future keys in self-attention."""

    def __init__(self, vocab: int, d: int, heads: int, layers: int, ff: int, pos: str, cross: bool = False,
                 max_len: int = MAX_POS):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = Positions(pos, d, max_len)
        self.blocks = nn.ModuleList(Block(d, heads, ff, cross, pos == "rope") for _ in range(layers))
        self.ln = nn.LayerNorm(d)

    def forward(self, tokens, mask=None, mem=None, mem_mask=None):
        """tokens [B, L] → (hidden [B, L, d], self weights [layers] of [B, H, L, L], cross weights
        [layers] of [B, H, L, Lm] or Nones)."""
        h = self.pos(self.embed(tokens))
        ws, wx = [], []
        for blk in self.blocks:
            h, a, b = blk(h, mask, mem, mem_mask)
            ws.append(a)
            wx.append(b)
        return self.ln(h), ws, wx


class Seq2Seq(nn.Module):
    """A tiny encoder-decoder transformer: bidirectional encoder over the source (PAD keys
    masked), causal decoder over ``BOS + target[:-1]`` with cross-attention to the encoder."""

    def __init__(self, vocab: int, d: int = 64, heads: int = 2, layers: int = 2, pos: str = "sinusoidal",
                 ff: int | None = None):
        super().__init__()
        ff = ff or 2 * d
        self.encoder = Stack(vocab, d, heads, layers, ff, pos)
        self.decoder = Stack(vocab, d, heads, layers, ff, pos, cross=True)
        self.head = nn.Linear(d, vocab)

    def encode(self, src):
        mask = padding_mask(src)
        mem, ws, _ = self.encoder(src, mask)
        return mem, mask, ws

    def decode(self, dec_in, mem, mem_mask):
        n = dec_in.shape[1]
        h, ws, wx = self.decoder(dec_in, causal_mask(n)[None, None], mem, mem_mask)
        return self.head(h), ws, wx

    def forward(self, src, dec_in):
        """src [B, Ls], dec_in [B, Lt] → logits [B, Lt, vocab]."""
        mem, mask, _ = self.encode(src)
        return self.decode(dec_in, mem, mask)[0]

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, steps: int) -> torch.Tensor:
        """Greedy decoding: [B, steps] output ids (each row stops changing after EOS: PAD follows)."""
        mem, mask, _ = self.encode(src)
        out = torch.full((len(src), 1), T.BOS, dtype=torch.long)
        done = torch.zeros(len(src), dtype=torch.bool)
        for _ in range(steps):
            nxt = self.decode(out, mem, mask)[0][:, -1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, T.PAD), nxt)
            done |= nxt == T.EOS
            out = torch.cat([out, nxt[:, None]], dim=1)
        return out[:, 1:]


# -- self-attention step by step -----------------------------------------------------------------

STEP_D = 8
MAX_WORDS = 10


def words(text: str) -> list[str]:
    """The tokens of a typed sentence: lower-case words (letters and digits), at most MAX_WORDS."""
    toks = re.findall(r"[a-z0-9]+", text.lower())
    check(len(toks) >= 1, "text", "type at least one word (letters or digits)")
    check(len(toks) <= MAX_WORDS, "text", f"at most {MAX_WORDS} words")
    return toks


def word_vector(word: str, d: int, seed: int) -> np.ndarray:
    """A fixed N(0, 1) embedding [d] for any word: the same word always gets the same vector."""
    h = int.from_bytes(hashlib.sha256(f"{seed}:{word}".encode()).digest()[:8], "little")
    return np.random.default_rng(h).standard_normal(d)


@dataclass(frozen=True)
class Steps:
    """One attention layer on a sentence of L tokens, model width d, ``heads`` heads of dk = d/heads.

    emb, pos, x [L, d]: embeddings, sinusoidal positions, their sum; wq, wk, wv, wo [d, d]
    (row = input feature); q, k, v [L, d]; per head (index h): scores [H, L, L] = QₕKₕᵀ,
    scaled = scores/√dk, masked (−inf where forbidden), weights (softmax, rows sum to 1),
    heads_out [H, L, dk]; concat [L, d]; out [L, d] = concat·Wo; mask bool [L, L].
    """

    tokens: tuple
    emb: np.ndarray
    pos: np.ndarray
    x: np.ndarray
    wq: np.ndarray
    wk: np.ndarray
    wv: np.ndarray
    wo: np.ndarray
    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    scores: np.ndarray
    scaled: np.ndarray
    masked: np.ndarray
    weights: np.ndarray
    heads_out: np.ndarray
    concat: np.ndarray
    out: np.ndarray
    mask: np.ndarray


def step_weights(d: int, seed: int) -> dict[str, torch.Tensor]:
    """Seeded projections Wq, Wk, Wv, Wo [d, d], entries N(0, 1/d) (x·W maps a row vector)."""
    g = torch.Generator().manual_seed(seed)
    return {n: torch.randn(d, d, generator=g, dtype=torch.float64) / math.sqrt(d) for n in ("wq", "wk", "wv", "wo")}


def step_by_step(text: str, heads: int = 1, causal: bool = False, d: int = STEP_D, seed: int = 0) -> Steps:
    """Every intermediate of multi-head self-attention on the words of ``text`` (float64)."""
    check(d % 2 == 0 and 2 <= d <= 64, "d", "an even width 2…64")
    check(heads in (1, 2, 4) and d % heads == 0, "heads", "1, 2 or 4, dividing d")
    toks = words(text)
    n = len(toks)
    emb = np.stack([word_vector(t, d, seed) for t in toks])
    pos = sinusoidal(n, d)
    x = torch.tensor(emb + pos)
    w = step_weights(d, seed)
    q, k, v = x @ w["wq"], x @ w["wk"], x @ w["wv"]
    dk = d // heads
    split = lambda t: t.view(n, heads, dk).transpose(0, 1)  # noqa: E731  [H, L, dk]
    qh, kh, vh = split(q), split(k), split(v)
    mask = causal_mask(n) if causal else torch.ones(n, n, dtype=torch.bool)
    scores = qh @ kh.transpose(-2, -1)
    scaled = scores / math.sqrt(dk)
    masked = scaled.masked_fill(~mask, float("-inf"))
    heads_out, weights = attention(qh, kh, vh, mask)
    concat = heads_out.transpose(0, 1).reshape(n, d)
    out = concat @ w["wo"]
    a = lambda t: t.detach().numpy().copy()  # noqa: E731
    return Steps(tuple(toks), emb, pos, a(x), a(w["wq"]), a(w["wk"]), a(w["wv"]), a(w["wo"]), a(q), a(k), a(v),
                 a(scores), a(scaled), a(masked), a(weights), a(heads_out), a(concat), a(out), a(mask))


def future_change(text: str, heads: int = 1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Change the last word of ``text`` and measure, per position, max |Δ output| of causal and
    of bidirectional self-attention: ([L], [L]). Causal rows before the last stay exactly 0."""
    toks = words(text)
    other = "zebra" if toks[-1] != "zebra" else "apple"
    changed = " ".join(toks[:-1] + [other])
    out = []
    for causal in (True, False):
        a = step_by_step(text, heads, causal, seed=seed).out
        b = step_by_step(changed, heads, causal, seed=seed).out
        out.append(np.abs(a - b).max(axis=1))
    return out[0], out[1]


def rope_scores(n: int, d: int, seed: int = 0) -> np.ndarray:
    """[n, n] scores ⟨rope(q, m), rope(k, m′)⟩ for ONE query vector q and ONE key vector k
    placed at every position: a Toeplitz matrix (constant along diagonals, set by m − m′)."""
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(d, generator=g, dtype=torch.float64), torch.randn(d, generator=g, dtype=torch.float64)
    qs, ks = apply_rope(q.expand(n, d).clone()), apply_rope(k.expand(n, d).clone())
    return (qs @ ks.T).numpy()


def rope_pair_track(n: int, d: int, pair: int, seed: int = 0) -> np.ndarray:
    """[n, 2]: the 2-D pair ``pair`` of one vector after RoPE at positions 0..n−1 (a circle)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(d, generator=g, dtype=torch.float64)
    r = apply_rope(x.expand(n, d).clone())
    return r[:, 2 * pair:2 * pair + 2].numpy()


# -- the live run --------------------------------------------------------------------------------

def _check_run(task, length, layers, heads, d_model, pos, learning_rate, batch_size, updates, seed) -> None:
    check(task in TASKS, "task", f"one of {TASKS}")
    check(isinstance(length, int) and 2 <= length <= 16, "length", "2…16 symbols")
    check(isinstance(layers, int) and 1 <= layers <= 4, "layers", "1…4")
    check(heads in (1, 2, 4, 8), "heads", "1, 2, 4 or 8")
    check(isinstance(d_model, int) and 8 <= d_model <= 256 and d_model % (2 * heads) == 0, "d_model",
          "8…256, a multiple of 2 × heads")
    check(pos in POS_KINDS, "pos", f"one of {POS_KINDS}")
    check(math.isfinite(learning_rate) and 0 < learning_rate <= 1, "learning_rate", "in (0, 1]")
    check(isinstance(batch_size, int) and 1 <= batch_size <= 1024, "batch_size", "1…1024")
    check(isinstance(updates, int) and 1 <= updates <= 1000, "updates", "1…1000 updates per step")
    check(isinstance(seed, int) and 0 <= seed <= 2**31 - 1, "seed", "0…2³¹−1")


@dataclass(frozen=True)
class Config:
    """The live run: a :class:`Seq2Seq` learning ``task`` (sequences of ``length`` symbols for
    copy/reverse/sort). One step of the player is ``updates`` Adam updates on batches of
    ``batch_size`` drawn from a fixed training pool."""

    task: str = "reverse"
    length: int = 8
    layers: int = 2
    heads: int = 2
    d_model: int = 32
    pos: str = "sinusoidal"
    learning_rate: float = 0.003
    batch_size: int = 64
    updates: int = 5
    seed: int = 0

    def __post_init__(self):
        _check_run(self.task, self.length, self.layers, self.heads, self.d_model, self.pos, self.learning_rate,
                   self.batch_size, self.updates, self.seed)


@dataclass(frozen=True)
class Data:
    """Token ids: src [n, Ls], tgt [n, Lt] (ends with EOS) for train and test; the vocabulary."""

    task: str
    src: np.ndarray
    tgt: np.ndarray
    test_src: np.ndarray
    test_tgt: np.ndarray
    vocab: tuple


def make_data(task: str, length: int, seed: int) -> Data:
    """A pool of ``task`` examples, de-duplicated by source so no test source is seen in training
    (for modular addition: every pair a + b once, a quarter of them held out)."""
    check(task in TASKS, "task", f"one of {TASKS}")
    ex = T.make(task, N_POOL if task != "modular_add" else 4 * MODULUS ** 2, length, seed=seed, modulus=MODULUS)
    _, first = np.unique(ex.src, axis=0, return_index=True)
    idx = np.sort(first)
    ex = T.Examples(ex.task, ex.kind, ex.src[idx], ex.tgt[idx], ex.vocab_in, ex.vocab_out)
    share = 0.25 if task == "modular_add" else min(0.5, N_TEST / len(ex))
    train, test = T.split(ex, share, seed=seed)
    return Data(task, train.src, train.tgt, test.src, test.tgt, ex.vocab_in)


def fresh_examples(data: Data, n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``n`` new examples of ``data.task`` whose sources are in neither the training pool nor
    the test set (src [m, Ls], tgt [m, Lt], m ≤ n), for a final evaluation."""
    ex = T.make(data.task, min(T.MAX_N, 2 * n), length, seed=seed, modulus=MODULUS)
    width = data.src.shape[1]
    if ex.src.shape[1] != width:   # date sources are padded to the longest text of a draw
        src = np.full((len(ex.src), max(width, ex.src.shape[1])), T.PAD, dtype=np.int64)
        src[:, : ex.src.shape[1]] = ex.src
        keep = (src[:, width:] == T.PAD).all(axis=1)
        ex = T.Examples(ex.task, ex.kind, src[keep][:, :width], ex.tgt[keep], ex.vocab_in, ex.vocab_out)
    seen = {r.tobytes() for r in np.concatenate([data.src, data.test_src])}
    new = np.array([r.tobytes() not in seen for r in ex.src], dtype=bool)
    return ex.src[new][:n], ex.tgt[new][:n]


@torch.no_grad()
def evaluate(model: Seq2Seq, src: np.ndarray, tgt: np.ndarray) -> tuple[float, float]:
    """Greedy decoding of every source: (token accuracy, sequence accuracy) against tgt."""
    pred = model.greedy(torch.tensor(src), tgt.shape[1]).numpy()
    return token_accuracy(pred, tgt)


@dataclass(frozen=True)
class Probe:
    """One chosen input run through the model: src ids [Ls], greedy output ids [Lo], and the
    attention maps for that output fed back as decoder input: enc [layers, H, Ls, Ls],
    dec [layers, H, Lo, Lo], cross [layers, H, Lo, Ls]."""

    src: np.ndarray
    out: np.ndarray
    enc: np.ndarray
    dec: np.ndarray
    cross: np.ndarray


@dataclass(frozen=True)
class Snapshot:
    """After ``epoch`` player steps (``step`` Adam updates): train_loss (mean over the last step's
    batches; NaN before training), test_loss (teacher forcing), test_token_acc (teacher
    forcing, share of correct target tokens), greedy_token_acc and greedy_seq_acc (free-running
    greedy decoding: share of correct tokens, of fully correct outputs), probe (or None)."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    test_token_acc: float
    greedy_token_acc: float
    greedy_seq_acc: float
    seconds: float
    probe: Probe | None = field(default=None, repr=False)


def token_accuracy(pred: np.ndarray, tgt: np.ndarray) -> tuple[float, float]:
    """(share of target tokens predicted right, share of rows entirely right); PAD targets are
    skipped. pred, tgt int [n, Lt]."""
    keep = tgt != T.PAD
    right = (pred == tgt) | ~keep
    return float(((pred == tgt) & keep).sum() / max(1, keep.sum())), float(right.all(axis=1).mean())


class Trainer(EpochLoop):
    """The live run of a :class:`Config`. One :meth:`advance` step = ``cfg.updates`` Adam updates,
    then a measurement on the held-out set and on the probe (settable with :meth:`set_probe`)."""

    def __init__(self, cfg: Config, data: Data | None = None):
        self.cfg = cfg
        self.data = data if data is not None else make_data(cfg.task, cfg.length, cfg.seed)
        v = len(self.data.vocab)
        self.model = build(lambda: Seq2Seq(v, cfg.d_model, cfg.heads, cfg.layers, cfg.pos), cfg.seed)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.learning_rate, foreach=True)
        self._gen = torch.Generator().manual_seed(cfg.seed + 1)
        d = self.data
        self.src, self.tgt = torch.tensor(d.src), torch.tensor(d.tgt)
        self.dec_in = torch.tensor(T.decoder_input(d.tgt))
        self.test_src, self.test_tgt = torch.tensor(d.test_src), torch.tensor(d.test_tgt)
        self.test_dec_in = torch.tensor(T.decoder_input(d.test_tgt))
        self.probe_src: np.ndarray | None = None
        self.probe_steps = self.data.test_tgt.shape[1]
        self.epoch = self.step = 0
        self.seconds = 0.0
        self.diverged = False
        self.log = {"step": [], "train": [], "test": [], "acc": [], "greedy": []}
        self.snapshot = self._measure(float("nan"))

    def set_probe(self, src: np.ndarray | None, steps: int | None = None) -> None:
        """The input whose attention maps later snapshots record (ids [Ls], or None), decoded for
        ``steps`` tokens (default: the task's target width)."""
        self.probe_src = None if src is None else np.asarray(src, dtype=np.int64)
        self.probe_steps = steps or self.data.test_tgt.shape[1]

    def _epoch(self) -> float:
        t0 = time.perf_counter()
        self.model.train()
        total, n = 0.0, len(self.src)
        for _ in range(self.cfg.updates):
            idx = torch.randint(n, (self.cfg.batch_size,), generator=self._gen)
            logits = self.model(self.src[idx], self.dec_in[idx])
            loss = F.cross_entropy(logits.flatten(0, 1), self.tgt[idx].flatten(), ignore_index=T.PAD)
            if not torch.isfinite(loss):
                self.diverged = True
                break
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            total += loss.item()
            self.step += 1
        self.epoch += 1
        self.seconds += time.perf_counter() - t0
        return total / self.cfg.updates

    def _next_snapshot(self) -> Snapshot:
        return self._measure(self._epoch())

    def state_dict(self) -> dict:
        """Everything needed to continue the run exactly (weights, Adam, batch generator, counters)."""
        return {"model": copy.deepcopy(self.model.state_dict()), "opt": copy.deepcopy(self.opt.state_dict()),
                "gen": self._gen.get_state(), "epoch": self.epoch, "step": self.step, "seconds": self.seconds,
                "diverged": self.diverged}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(copy.deepcopy(state["opt"]))
        self._gen.set_state(state["gen"])
        self.epoch, self.step, self.seconds = int(state["epoch"]), int(state["step"]), float(state["seconds"])
        self.diverged = bool(state["diverged"])
        self.snapshot = self._measure(float("nan"))

    @torch.no_grad()
    def _measure(self, train_loss: float) -> Snapshot:
        self.model.eval()
        logits = self.model(self.test_src, self.test_dec_in)
        test_loss = float(F.cross_entropy(logits.flatten(0, 1), self.test_tgt.flatten(), ignore_index=T.PAD))
        tgt = self.test_tgt.numpy()
        acc, _ = token_accuracy(logits.argmax(-1).numpy(), tgt)
        greedy = self.model.greedy(self.test_src[:N_GREEDY], tgt.shape[1]).numpy()
        g_tok, g_seq = token_accuracy(greedy, tgt[:N_GREEDY])
        bad = not (math.isfinite(test_loss) and all(bool(torch.isfinite(p).all()) for p in self.model.parameters()))
        self.diverged = self.diverged or bad
        probe = probe_maps(self.model, self.probe_src, self.probe_steps) if self.probe_src is not None else None
        if self.diverged:
            acc = g_tok = g_seq = float("nan")
        snap = Snapshot(self.epoch, self.step, train_loss, test_loss, self.diverged, acc, g_tok, g_seq,
                        self.seconds, probe)
        log = self.log
        for key, val in (("step", snap.step), ("train", train_loss), ("test", test_loss), ("acc", acc),
                         ("greedy", g_tok)):
            log[key].append(val)
        if len(log["step"]) > MAX_LOG:
            for key in log:
                log[key] = log[key][-1::-2][::-1]
        return snap

    def history(self, upto: int | None = None) -> dict:
        """Logged curves (arrays) up to update ``upto``: step, train, test, acc, greedy."""
        steps = np.asarray(self.log["step"], dtype=np.int64)
        n = len(steps) if upto is None else int(np.searchsorted(steps, upto, side="right"))
        return {k: np.asarray(v[:n], dtype=np.float64 if k != "step" else np.int64) for k, v in self.log.items()}


@torch.no_grad()
def probe_maps(model: Seq2Seq, src: np.ndarray, steps: int) -> Probe:
    """Exactly ``steps`` greedy output tokens for one source [Ls] (not stopping at EOS, so every
    position has a map), and every attention map with ``BOS + output[:-1]`` as decoder input
    (see :class:`Probe`)."""
    model.eval()
    s = torch.tensor(np.asarray(src, dtype=np.int64))[None]
    mem, mask, enc = model.encode(s)
    dec_in = torch.full((1, 1), T.BOS, dtype=torch.long)
    for _ in range(steps):
        nxt = model.decode(dec_in, mem, mask)[0][:, -1].argmax(-1)
        dec_in = torch.cat([dec_in, nxt[:, None]], dim=1)
    out = dec_in[0, 1:].numpy()
    _, dec, cross = model.decode(dec_in[:, :-1], mem, mask)
    st = lambda ws: torch.stack([w[0] for w in ws]).numpy()  # noqa: E731  [layers, H, ., .]
    return Probe(np.asarray(src), out, st(enc), st(dec), st(cross))


# -- typed inputs for the live run ---------------------------------------------------------------

@dataclass(frozen=True)
class Parsed:
    """A typed input for ``task``: its symbols, ids [Ls], the true output symbols (None when the
    rule cannot say, e.g. a date that is not a real date) and how many tokens to decode."""

    symbols: tuple
    src: np.ndarray
    truth: tuple | None
    steps: int


_MONTHS = {m: i + 1 for i, m in enumerate(T.MONTHS)} | {m[:3]: i + 1 for i, m in enumerate(T.MONTHS)}


def _parse_date(text: str) -> _dt.date | None:
    """The date written in one of seq_tasks' five formats, or None."""
    t = text.strip()
    pats = ((r"([a-z]+) (\d{1,2}), (\d{4})", "mdy"), (r"(\d{1,2}) ([a-z]+) (\d{4})", "dmy"),
            (r"(\d{1,2})/(\d{1,2})/(\d{4})", "MDY"), (r"(\d{1,2})-([a-z]{3})-(\d{4})", "dmy"),
            (r"([a-z]{3}) (\d{2}) (\d{4})", "mdy"))
    for pat, order in pats:
        m = re.fullmatch(pat, t)
        if not m:
            continue
        a, b, y = m.groups()
        try:
            if order == "mdy":
                return _dt.date(int(y), _MONTHS[a], int(b)) if a in _MONTHS else None
            if order == "dmy":
                return _dt.date(int(y), _MONTHS[b], int(a)) if b in _MONTHS else None
            return _dt.date(int(y), int(a), int(b))
        except ValueError:
            return None
    return None


def example_text(task: str, data: Data, i: int = 0) -> str:
    """The i-th held-out source written as a user would type it."""
    syms = T.decode(data.test_src[i % len(data.test_src)], data.vocab)
    return "".join(syms)


def parse_input(task: str, text: str, length: int, data: Data) -> Parsed:
    """Validate a typed input against ``task``'s alphabet; ``ValueError`` with a message a
    person can act on otherwise."""
    check(task in TASKS, "task", f"one of {TASKS}")
    vocab = data.vocab
    if task in ("copy", "reverse", "sort"):
        s = text.replace(" ", "")
        bad = sorted({c for c in s if not c.isdigit()})
        check(not bad, "input", f"use the digits 0–9 only (not {' '.join(bad)})")
        check(1 <= len(s) <= length, "input", f"1…{length} digits (the model was trained on {length})")
        syms = tuple(s)
        rule = {"copy": syms, "reverse": syms[::-1], "sort": tuple(sorted(syms))}[task]
        return Parsed(syms, T.encode(list(syms), vocab), rule, len(syms) + 1)
    if task == "modular_add":
        m = re.fullmatch(r"\s*(\d{1,2})\s*\+\s*(\d{1,2})\s*=?\s*", text)
        check(m is not None, "input", f"write a sum like 7+12= (numbers 0…{MODULUS - 1})")
        a, b = int(m.group(1)), int(m.group(2))
        check(a < MODULUS and b < MODULUS, "input", f"numbers 0…{MODULUS - 1} (arithmetic mod {MODULUS})")
        syms = (str(a), "+", str(b), "=")
        return Parsed(syms, T.encode(list(syms), vocab), (str((a + b) % MODULUS),), 2)
    s = text.strip().lower()
    allowed = set(vocab[3:])
    bad = sorted({c for c in s if c not in allowed})
    check(not bad, "input", "letters, digits, spaces and - / , only (not " + " ".join(repr(c) for c in bad) + ")")
    width = data.test_src.shape[1]
    check(1 <= len(s) <= width, "input", f"1…{width} characters")
    day = _parse_date(s)
    truth = tuple(day.isoformat()) if day is not None else None
    return Parsed(tuple(s), T.encode(s, vocab, width), truth, T.DATE_OUT_LEN + 1)
