"""An encoder-decoder on toy tasks (reverse, sort, copy, date reformatting): a GRU encoder,
a GRU decoder with or without Bahdanau (additive) attention, trained with a
teacher-forcing ratio; greedy and beam-search decoding; the attention alignment.

- :class:`Seq2Seq` — encoder: embedding → ``nn.GRU``; decoder: embedding (and, with
  attention, the context vector) → ``nn.GRUCell`` → linear readout. Without attention the
  decoder sees the source only through the encoder's last state.
- :class:`Trainer` races one model per attention choice on the same batches; each
  decoder step feeds the true previous token with probability ``teacher_forcing``, its
  own previous prediction otherwise. It measures the test set both teacher-forced and
  free-running (greedy: fed its own predictions, as at inference).
- :func:`greedy`, :func:`beam_search` (the k best outputs with their log-probabilities),
  :func:`sequence_log_prob` (the oracle the tests score beams with), :func:`translate`
  (one typed input → output and alignment matrix).

Token conventions are :mod:`explorer.engines.seq_tasks`' (PAD 0, BOS 1, EOS 2).
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import seq_tasks as T
from explorer.engines.batching import ShuffledBatches
from explorer.engines.contract import EpochLoop, check as _check
from explorer.engines.rnn import Checkpoints, empty_module

TASKS = ("reverse", "sort", "copy", "date")
TASK_LABELS = {"reverse": "Reverse", "sort": "Sort", "copy": "Copy", "date": "Date → ISO (YYYY-MM-DD)"}
MODELS = ("attention", "plain")
MODEL_LABELS = {"attention": "with Bahdanau attention", "plain": "without attention"}
MAX_LEN = 16             # reverse/sort/copy source length
MAX_TYPED = 24           # characters of a typed date
MAX_BEAM = 16
DIVERGE_LOSS = 1e6
MAX_LOG = 2000
NEG = -1e9               # logit of tokens a decoder may never emit (PAD, BOS)
BANNED = torch.tensor([T.PAD, T.BOS])


# -- the model ----------------------------------------------------------------------------------

class Seq2Seq(nn.Module):
    """Encoder-decoder over vocabularies of ``n_in`` and ``n_out`` tokens.

    Bahdanau attention at decoder step t, from the previous decoder state s_{t−1} and the
    encoder states h_j (masked where the source is PAD):
    e_tj = vᵀ tanh(W_s s_{t−1} + W_h h_j),  α_t = softmax_j(e_t),  c_t = Σ_j α_tj h_j;
    s_t = GRU([E y_{t−1}; c_t], s_{t−1}),  logits_t = W_o [s_t; c_t] + b_o.
    """

    def __init__(self, n_in: int, n_out: int, embed: int, hidden: int, attention: bool):
        super().__init__()
        self.attention, self.hidden = attention, hidden
        self.src_embed = nn.Embedding(n_in, embed)
        self.encoder = nn.GRU(embed, hidden, batch_first=True)
        self.tgt_embed = nn.Embedding(n_out, embed)
        self.cell = nn.GRUCell(embed + (hidden if attention else 0), hidden)
        if attention:
            self.w_h = nn.Linear(hidden, hidden, bias=False)
            self.w_s = nn.Linear(hidden, hidden)
            self.v = nn.Linear(hidden, 1, bias=False)
        self.out = nn.Linear(hidden * (2 if attention else 1), n_out)

    @torch.no_grad()
    def reset(self, gen: torch.Generator) -> None:
        """Every weight U(±1/√hidden) (PyTorch's recurrent init), embeddings N(0, 1), from ``gen``."""
        k = 1.0 / math.sqrt(self.hidden)
        for name, p in self.named_parameters():
            if "embed" in name:
                p.normal_(generator=gen)
            else:
                p.uniform_(-k, k, generator=gen)

    def encode(self, src: torch.Tensor):
        """src (B, Ls) → (states (B, Ls, H), s_0 (B, H): the state at each source's last
        real token, mask (B, Ls) True where the source is not PAD)."""
        mask = src != T.PAD
        states, _ = self.encoder(self.src_embed(src))
        last = (mask.sum(dim=1) - 1).clamp_min(0)
        s0 = states[torch.arange(len(src)), last]
        return states, s0, mask

    def step(self, y_prev: torch.Tensor, s: torch.Tensor, enc):
        """One decoder step: y_prev (B,) tokens, s (B, H) → (logits (B, V), s_new, α (B, Ls) or None)."""
        states, mask = enc[0], enc[2]
        e = self.tgt_embed(y_prev)
        alpha = None
        if self.attention:
            keys = enc[3] if len(enc) > 3 else self.w_h(states)
            scores = self.v(torch.tanh(keys + self.w_s(s)[:, None])).squeeze(-1)
            alpha = torch.softmax(scores.masked_fill(~mask, -1e9), dim=-1)
            ctx = torch.bmm(alpha[:, None], states)[:, 0]
            s = self.cell(torch.cat([e, ctx], dim=-1), s)
            logits = self.out(torch.cat([s, ctx], dim=-1))
        else:
            s = self.cell(e, s)
            logits = self.out(s)
        return logits.index_fill(1, BANNED, NEG), s, alpha

    def prepare(self, src: torch.Tensor):
        """The encoder's output, with the attention keys W_h h_j computed once."""
        states, s0, mask = self.encode(src)
        return (states, s0, mask, self.w_h(states)) if self.attention else (states, s0, mask)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, ratio: float = 1.0,
                gen: torch.Generator | None = None):
        """Decode len(tgt) steps → (logits (B, Lt, V), alignments (B, Lt, Ls) or None). The
        step-t input is tgt[:, t−1] (BOS at t = 0) with probability ``ratio`` per sequence
        and step, else the model's own argmax at t − 1 (ratio 0: free-running, as greedy)."""
        enc = self.prepare(src)
        s = enc[1]
        b, lt = tgt.shape
        y = torch.full((b,), T.BOS, dtype=torch.int64)
        logits, alphas = [], []
        for t in range(lt):
            out, s, a = self.step(y, s, enc)
            logits.append(out)
            alphas.append(a)
            own = out.argmax(-1)
            if ratio >= 1.0:
                y = tgt[:, t]
            elif ratio <= 0.0:
                y = own
            else:
                coin = torch.rand(b, generator=gen) < ratio
                y = torch.where(coin, tgt[:, t], own)
        return torch.stack(logits, dim=1), (torch.stack(alphas, dim=1) if self.attention else None)


def token_loss(logits: torch.Tensor, tgt: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy per target token (nats), PAD targets ignored."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=T.PAD,
                           reduction=reduction)


def scores(pred: torch.Tensor, tgt: torch.Tensor) -> tuple[float, float]:
    """(token accuracy over non-PAD targets, share of sequences right at every such token)."""
    real = tgt != T.PAD
    hit = (pred == tgt) & real
    return float(hit.sum()) / max(1, int(real.sum())), float(((pred == tgt) | ~real).all(dim=1).float().mean())


# -- decoding -------------------------------------------------------------------------------------

@torch.no_grad()
def greedy(model: Seq2Seq, src: torch.Tensor, max_len: int):
    """Argmax decoding of a batch src (B, Ls) for ``max_len`` steps (no early stop: rows
    that emitted EOS just keep going; cut with :func:`trim`) → (tokens (B, max_len),
    log-probability of each chosen token (B, max_len), alignments (B, max_len, Ls) or None)."""
    enc = model.prepare(src)
    s = enc[1]
    y = torch.full((len(src),), T.BOS, dtype=torch.int64)
    toks, lps, alphas = [], [], []
    for _ in range(max_len):
        out, s, a = model.step(y, s, enc)
        lp = torch.log_softmax(out, dim=-1)
        y = lp.argmax(-1)
        toks.append(y)
        lps.append(lp.gather(1, y[:, None])[:, 0])
        alphas.append(a)
    al = torch.stack(alphas, dim=1) if model.attention else None
    return torch.stack(toks, dim=1), torch.stack(lps, dim=1), al


def trim(tokens) -> list[int]:
    """A decoded row up to and including its first EOS."""
    out = []
    for t in np.asarray(tokens).tolist():
        out.append(t)
        if t == T.EOS:
            break
    return out


@dataclass(frozen=True)
class Hypothesis:
    """A finished beam: tokens (ending with EOS, unless cut at max_len) and the sum of the
    log-probabilities of its tokens (nats)."""

    tokens: tuple
    score: float


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, width: int, max_len: int, k: int | None = None) -> list[Hypothesis]:
    """Beam search for one source src (Ls,): keep the ``width`` best partial outputs by
    summed log-probability; one that emits EOS is finished; at ``max_len`` the unfinished
    ones finish as they are. Returns the ``k`` (default ``width``) best finished outputs,
    best first. Width 1 is greedy decoding stopped at its first EOS."""
    _check(isinstance(width, int) and 1 <= width <= MAX_BEAM, "width", f"1…{MAX_BEAM}")
    _check(isinstance(max_len, int) and 1 <= max_len <= 64, "max_len", "1…64")
    k = width if k is None else k
    enc = model.prepare(src[None])
    s = enc[1]
    beams = [((), 0.0)]
    finished: list[Hypothesis] = []
    for t in range(max_len):
        y = torch.tensor([b[0][-1] if b[0] else T.BOS for b in beams])
        e = tuple(x.expand(len(beams), *x.shape[1:]) for x in enc)
        out, s_new, _ = model.step(y, s.expand(len(beams), -1) if s.shape[0] == 1 else s, e)
        lp = torch.log_softmax(out, dim=-1).double()
        total = torch.tensor([b[1] for b in beams], dtype=torch.float64)[:, None] + lp
        flat = total.reshape(-1).tolist()
        # ties broken by the lower index, like argmax, so width 1 follows greedy exactly
        order = sorted(range(len(flat)), key=lambda i: (-flat[i], i))
        nxt, states = [], []
        v = lp.shape[1]
        for i in order:
            if flat[i] <= NEG / 2 or len(nxt) == width:
                break
            bi, tok = divmod(i, v)
            seq = beams[bi][0] + (tok,)
            if tok == T.EOS or t == max_len - 1:
                finished.append(Hypothesis(seq, flat[i]))
            else:
                nxt.append((seq, flat[i]))
                states.append(s_new[bi])
        # finished ones that can no longer be beaten by any live beam stop the search
        finished.sort(key=lambda h: -h.score)
        if not nxt or (len(finished) >= k and finished[k - 1].score >= nxt[0][1]):
            break
        beams, s = nxt, torch.stack(states)
    finished.sort(key=lambda h: -h.score)
    return finished[:k]


@torch.no_grad()
def sequence_log_prob(model: Seq2Seq, src: torch.Tensor, out_tokens) -> float:
    """log p(out | src) = Σ_t log p(y_t | y_<t, src), scored teacher-forced (the oracle for beams)."""
    tgt = torch.as_tensor(list(out_tokens), dtype=torch.int64)[None]
    logits, _ = model(src[None], tgt, ratio=1.0)
    return float(torch.log_softmax(logits[0].double(), dim=-1).gather(1, tgt[0][:, None]).sum())


# -- data and typed inputs ------------------------------------------------------------------------

@dataclass(frozen=True)
class Data:
    """Token tensors: src (n, Ls), tgt (n, Lt) (ending in EOS, PAD after it), and vocabularies."""

    src_train: torch.Tensor
    tgt_train: torch.Tensor
    src_test: torch.Tensor
    tgt_test: torch.Tensor
    vocab_in: tuple
    vocab_out: tuple


def make_data(task: str, length: int, n_train: int, n_test: int, seed: int) -> Data:
    """seq_tasks' examples; the test set is drawn from seed + 10⁶ (disjoint draws)."""
    a = T.make(task, n_train, length, seed)
    b = T.make(task, n_test, length, seed + 1_000_000)
    width = max(a.src.shape[1], b.src.shape[1])  # date sources are padded to their longest

    def pad(s):
        return np.pad(s, ((0, 0), (0, width - s.shape[1])), constant_values=T.PAD)

    t = lambda x: torch.as_tensor(x, dtype=torch.int64)  # noqa: E731
    return Data(t(pad(a.src)), t(a.tgt), t(pad(b.src)), t(b.tgt), a.vocab_in, a.vocab_out)


def parse_date(text: str) -> _dt.date | None:
    """The date a text means in one of seq_tasks' five formats, or None."""
    for fmt in ("%B %d, %Y", "%d %B %Y", "%m/%d/%Y", "%d-%b-%Y", "%b %d %Y"):
        try:
            return _dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class Typed:
    """A typed source: ids (Ls,), its symbols, and the task's answer as symbols (None if
    the text is not a date the task knows)."""

    ids: np.ndarray
    symbols: tuple
    answer: tuple | None


def parse(task: str, text: str) -> Typed:
    """Validate ``text`` against the task's alphabet; raises ``ValueError`` with a clear message."""
    _check(task in TASKS, "task", f"one of {TASKS}")
    if task == "date":
        text = " ".join(str(text).lower().split())
        if not 1 <= len(text) <= MAX_TYPED:
            raise ValueError(f"type 1…{MAX_TYPED} characters, like “july 4, 2023”")
        bad = [c for c in text if c not in T.DATE_CHARS[3:]]
        if bad:
            raise ValueError(f"{bad[0]!r} is not allowed: use lower-case letters, digits, spaces and , / -")
        day = parse_date(text)
        return Typed(T.encode(text, T.DATE_CHARS), tuple(text), tuple(day.isoformat()) if day else None)
    symbols = [c for c in str(text) if not c.isspace()]
    bad = [c for c in symbols if c not in "0123456789"]
    if bad:
        raise ValueError(f"{bad[0]!r} is not allowed: type digits 0–9")
    if not 1 <= len(symbols) <= MAX_LEN:
        raise ValueError(f"type 1…{MAX_LEN} digits")
    answer = {"reverse": symbols[::-1], "sort": sorted(symbols), "copy": symbols}[task]
    return Typed(T.encode(symbols, T.DIGITS), tuple(symbols), tuple(answer))


EXAMPLES = {"reverse": "314159", "sort": "314159", "copy": "314159", "date": "july 4, 2023"}


# -- the race -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    """One model per entry of ``models`` on ``task`` (sources of ``length`` symbols; the
    date task has its own lengths). teacher_forcing: probability of feeding the true
    previous token at each training step; steps_per_epoch Adam steps of ``batch_size``."""

    task: str = "reverse"
    length: int = 6
    models: tuple = MODELS
    teacher_forcing: float = 1.0
    hidden: int = 64
    embed: int = 32
    learning_rate: float = 0.003
    batch_size: int = 64
    steps_per_epoch: int = 4
    clip: float = 1.0
    n_train: int = 4000
    n_test: int = 128
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "models", tuple(self.models))
        _check(self.task in TASKS, "task", f"one of {TASKS}")
        _check(isinstance(self.length, int) and 2 <= self.length <= MAX_LEN, "length", f"2…{MAX_LEN} symbols")
        _check(1 <= len(self.models) <= 2 and all(m in MODELS for m in self.models)
               and len(set(self.models)) == len(self.models), "models", f"1 or 2 different ones of {MODELS}")
        _check(math.isfinite(self.teacher_forcing) and 0 <= self.teacher_forcing <= 1, "teacher_forcing",
               "in [0, 1]")
        _check(isinstance(self.hidden, int) and 4 <= self.hidden <= 256, "hidden", "4…256 units")
        _check(isinstance(self.embed, int) and 2 <= self.embed <= 128, "embed", "2…128")
        _check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 1, "learning_rate", "in (0, 1]")
        _check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 512, "batch_size", "1…512")
        _check(isinstance(self.steps_per_epoch, int) and 1 <= self.steps_per_epoch <= 100, "steps_per_epoch",
               "1…100")
        _check(math.isfinite(self.clip) and 0 <= self.clip <= 100, "clip", "in [0, 100] (0 = off)")
        _check(isinstance(self.n_train, int) and self.batch_size <= self.n_train <= 20_000, "n_train",
               "batch_size…20,000")
        _check(isinstance(self.n_test, int) and 1 <= self.n_test <= 5_000, "n_test", "1…5,000")
        _check(isinstance(self.seed, int) and 0 <= self.seed <= 2**31 - 1, "seed", "0…2³¹−1")

    @property
    def vocab(self) -> tuple:
        return T.DATE_CHARS if self.task == "date" else T.DIGITS

    @property
    def out_len(self) -> int:
        """Target tokens including EOS."""
        return T.DATE_OUT_LEN + 1 if self.task == "date" else self.length + 1


def auto_steps(task: str, length: int, hidden: int, n_models: int, budget_ms: float = 100.0, most: int = 4) -> int:
    """Adam steps per epoch that keep an epoch's training near ``budget_ms`` of one CPU core
    (measured: ≈ 0.75 ms per model per encoder-plus-decoder step at 64 units, batch 64)."""
    steps = (18 + T.DATE_OUT_LEN + 1) if task == "date" else 2 * length + 1
    per_step = 0.75 * steps * n_models * max(1.0, hidden / 64) ** 0.7
    return int(max(1, min(most, budget_ms // max(per_step, 1e-9))))


def build(cfg: Config, model: str, state: dict | None = None) -> Seq2Seq:
    """A fresh model from cfg.seed (both models draw from a generator seeded alike), or one
    holding ``state`` (name → numpy array)."""
    v = len(cfg.vocab)
    net = empty_module(lambda: Seq2Seq(v, v, cfg.embed, cfg.hidden, model == "attention"))
    if state is None:
        net.reset(torch.Generator().manual_seed(cfg.seed))
    else:
        net.load_state_dict({k: torch.as_tensor(a) for k, a in state.items()})
    return net


@dataclass(frozen=True)
class Snapshot:
    """After an epoch, one entry per model (order of cfg.models), all on the test set but
    train_losses (the mean loss of the epoch's training batches, decoded with the
    teacher-forcing ratio; at epoch 0 teacher-forced on the first training examples).

    test_losses / tf_token_acc: teacher-forced (fed the true previous token);
    free_losses / free_token_acc / free_seq_acc: free-running (fed its own argmax, as at
    inference). train_loss/test_loss: means over the models still training.
    """

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    train_losses: np.ndarray = field(repr=False)
    test_losses: np.ndarray = field(repr=False)
    free_losses: np.ndarray = field(repr=False)
    tf_token_acc: np.ndarray = field(repr=False)
    free_token_acc: np.ndarray = field(repr=False)
    free_seq_acc: np.ndarray = field(repr=False)
    model_diverged: np.ndarray = field(repr=False)


LOG_KEYS = ("train", "test", "free", "tf_acc", "free_acc", "free_seq")


class Trainer(EpochLoop):
    """The models of ``cfg.models`` trained side by side with Adam on the same batches and
    the same teacher-forcing coins."""

    def __init__(self, cfg: Config, data: Data | None = None):
        self.cfg = cfg
        self.data = data if data is not None else make_data(cfg.task, cfg.length, cfg.n_train, cfg.n_test, cfg.seed)
        self.models = [build(cfg, m) for m in cfg.models]
        self.opts = [torch.optim.Adam(m.parameters(), lr=cfg.learning_rate) for m in self.models]
        self._order_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self._batches = ShuffledBatches(len(self.data.src_train), cfg.batch_size, self._order_gen)
        self.k = len(cfg.models)
        self.model_diverged = np.zeros(self.k, dtype=bool)
        self.epoch = self.step = 0
        self.diverged = False
        self._batch_losses = [[] for _ in range(self.k)]
        self.log = {"epoch": [], **{key: [] for key in LOG_KEYS}}
        self.checkpoints = Checkpoints()
        self.snapshot = self._measure()

    def _epoch(self) -> None:
        d, cfg = self.data, self.cfg
        self._batch_losses = [[] for _ in range(self.k)]
        for _ in range(cfg.steps_per_epoch):
            idx = self._batches.next()
            src, tgt = d.src_train[idx], d.tgt_train[idx]
            seed = int(torch.randint(0, 2**31 - 1, (1,), generator=self._order_gen))
            for i, (m, opt) in enumerate(zip(self.models, self.opts)):
                if self.model_diverged[i]:
                    continue
                coins = torch.Generator().manual_seed(seed)  # the same coins for every model
                loss = token_loss(m(src, tgt, cfg.teacher_forcing, coins)[0], tgt)
                value = float(loss.detach())
                if not math.isfinite(value) or value > DIVERGE_LOSS:
                    self.model_diverged[i] = True
                    continue
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.clip > 0:
                    nn.utils.clip_grad_norm_(m.parameters(), cfg.clip)
                opt.step()
                self._batch_losses[i].append(value)
            self.step += 1
        self.epoch += 1

    @torch.inference_mode()
    def _measure(self) -> Snapshot:
        d = self.data
        arrays = [np.full(self.k, np.nan) for _ in range(6)]
        tr, te, fr, tf_acc, fr_acc, fr_seq = arrays
        for i, m in enumerate(self.models):
            if self.model_diverged[i]:
                continue
            if self._batch_losses[i]:
                tr[i] = float(np.mean(self._batch_losses[i]))
            else:
                n = min(256, len(d.src_train))
                tr[i] = float(token_loss(m(d.src_train[:n], d.tgt_train[:n])[0], d.tgt_train[:n]))
            logits, _ = m(d.src_test, d.tgt_test, 1.0)
            te[i] = float(token_loss(logits, d.tgt_test))
            tf_acc[i] = scores(logits.argmax(-1), d.tgt_test)[0]
            free, _ = m(d.src_test, d.tgt_test, 0.0)
            fr[i] = float(token_loss(free, d.tgt_test))
            fr_acc[i], fr_seq[i] = scores(free.argmax(-1), d.tgt_test)
            if not (math.isfinite(te[i]) and te[i] < DIVERGE_LOSS
                    and all(bool(torch.isfinite(p).all()) for p in m.parameters())):
                self.model_diverged[i] = True
        for a in arrays:
            a[self.model_diverged] = np.nan
        self.diverged = bool(self.model_diverged.all())
        live = ~self.model_diverged
        mean = lambda a: float(a[live].mean()) if live.any() else float("nan")  # noqa: E731
        snap = Snapshot(self.epoch, self.step, mean(tr), mean(te), self.diverged, tr, te, fr, tf_acc, fr_acc, fr_seq,
                        self.model_diverged.copy())
        self._log(snap, arrays)
        self.checkpoints.add(self.epoch, [{k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
                                          for m in self.models])
        return snap

    def _log(self, snap: Snapshot, arrays: list) -> None:
        log = self.log
        log["epoch"].append(snap.epoch)
        for key, a in zip(LOG_KEYS, arrays):
            log[key].append(a.copy())
        if len(log["epoch"]) > MAX_LOG:  # keep every other entry, the newest always
            for key in log:
                log[key] = log[key][-1::-2][::-1]

    def history(self, upto: int | None = None) -> dict:
        """Logged curves up to epoch ``upto``: epoch (N,), and (N, K) arrays for each of LOG_KEYS."""
        log = self.log
        n = len(log["epoch"]) if upto is None else int(np.searchsorted(log["epoch"], upto, side="right"))
        out = {"epoch": np.asarray(log["epoch"][:n], dtype=np.int64)}
        for key in LOG_KEYS:
            out[key] = np.asarray(log[key][:n], dtype=np.float64).reshape(n, self.k)
        return out

    def weights_at(self, epoch: int) -> tuple[int, list[dict]]:
        return self.checkpoints.at(epoch)


# -- one typed input through a model --------------------------------------------------------------

@dataclass(frozen=True)
class Translation:
    """A typed source decoded greedily (to EOS or ``max_len``) and by beam search.

    output: greedy's symbols (EOS not included); ended: greedy emitted EOS;
    greedy_score: its log-probability (nats); alignment (Lo, Ls): attention weights of
    each output step (rows include the EOS step) over the source, or None without
    attention; beams: [(symbols, score, ended)], best first.
    """

    output: tuple
    ended: bool
    greedy_score: float
    alignment: np.ndarray | None
    beams: tuple


def max_decode(cfg: Config, typed: Typed) -> int:
    """Decoding budget for a typed input: the answer's length + EOS + 2 spare steps."""
    n = T.DATE_OUT_LEN if cfg.task == "date" else len(typed.symbols)
    return min(64, n + 3)


def symbols_of(tokens, vocab: tuple) -> tuple:
    return tuple(vocab[t] if t > T.EOS else "" for t in tokens if t != T.EOS)


@torch.no_grad()
def translate(cfg: Config, model: str, weights: dict, typed: Typed, width: int) -> Translation:
    net = build(cfg, model, weights)
    src = torch.as_tensor(typed.ids, dtype=torch.int64)
    n = max_decode(cfg, typed)
    toks, lps, al = greedy(net, src[None], n)
    row = trim(toks[0].numpy())
    score = float(lps[0, :len(row)].double().sum())
    alignment = al[0, :len(row)].numpy().astype(np.float64) if al is not None else None
    beams = tuple((symbols_of(h.tokens, cfg.vocab), h.score, h.tokens[-1] == T.EOS)
                  for h in beam_search(net, src, width, n))
    return Translation(symbols_of(row, cfg.vocab), row[-1] == T.EOS, score, alignment, beams)
