"""Recurrent cells written out (vanilla RNN, LSTM, GRU), raced on a toy sequence task, and
looked inside: gate values over time, the gradient reaching each earlier step, and the
hidden-state trajectory.

- :class:`Cell` implements one step of each cell with PyTorch's equations and parameter
  layout (``weight_ih`` (G·H, I), ``weight_hh`` (G·H, H), ``bias_ih``, ``bias_hh``; gate
  order i, f, g, o for the LSTM and r, z, n for the GRU), so weights copy one-to-one
  from ``torch.nn.RNN``/``LSTM``/``GRU`` and the tests compare outputs and gradients.
  Every gate's value at every step is returned on request.
- :class:`Trainer` races one network per cell kind on the same task, from the same seed
  and the same batches; one "epoch" is ``steps_per_epoch`` mini-batch steps.
- :func:`inspect` runs a network on one sequence and returns every gate over time;
  :func:`gradient_flow` measures ‖∂L_T/∂h_t‖ for t = 1…T with autograd;
  :func:`trajectory` projects the hidden states onto their first two principal axes.

Tasks come from :mod:`explorer.engines.seq_tasks` (parity, brackets, adding), plus
``echo``: output at step t the digit seen ``delay`` steps earlier (built on ``copy``'s
random digits), a pure memory task whose span the user controls.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines import seq_tasks as st_
from explorer.engines.batching import ShuffledBatches
from explorer.engines.contract import EpochLoop, check as _check

CELLS = ("rnn", "lstm", "gru")
LABELS = {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
N_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
# what Cell.forward records per step when asked (all (B, T, H))
GATES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o", "c", "h"), "gru": ("r", "z", "n", "h")}
GATE_LABELS = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
               "c": "cell state c", "h": "hidden state h", "r": "reset gate r", "z": "update gate z",
               "n": "candidate n"}
TASKS = ("echo", "parity", "brackets", "adding")
TASK_LABELS = {"echo": "Echo (recall with a delay)", "parity": "Parity (running)", "brackets": "Balanced brackets",
               "adding": "Adding problem"}
KIND = {"echo": "tag", "parity": "tag", "brackets": "classify", "adding": "regress"}
IGNORE = -100           # target of an echo step with nothing to recall yet (no loss, not counted)
ADD_TOL = 0.04          # the adding problem counts a prediction within this of the sum as right
MAX_LEN = 64
MAX_GRAD_LEN = st_.MAX_LEN  # seq_tasks draws at most this many steps
DIVERGE_LOSS = 1e6
MAX_LOG = 2000
MAX_CHECKPOINTS = 48


# -- the cells --------------------------------------------------------------------------------

class Cell(nn.Module):
    """One recurrent layer of ``kind`` with PyTorch's parameter layout, G = N_GATES[kind]:

    - rnn:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
    - lstm: [i f g o] = W_ih x + b_ih + W_hh h + b_hh (then σ σ tanh σ);
      c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')
    - gru:  r = σ(W_ir x + b_ir + W_hr h + b_hr);  z = σ(W_iz x + b_iz + W_hz h + b_hz);
      n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));  h' = (1 − z) ⊙ n + z ⊙ h

    Parameters start empty; :meth:`reset` fills them like PyTorch (U(±1/√H)) from a generator.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int):
        super().__init__()
        _check(kind in CELLS, "kind", f"one of {CELLS}")
        g = N_GATES[kind]
        self.kind, self.input_size, self.hidden_size = kind, input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(g * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(g * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(g * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(g * hidden_size))

    @torch.no_grad()
    def reset(self, gen: torch.Generator, gate_bias: float = 0.0) -> None:
        """PyTorch's init U(−1/√H, 1/√H) for every parameter, drawn from ``gen``; then
        ``gate_bias`` is added to the bias of the gate that keeps the past (the LSTM's
        forget gate f, the GRU's update gate z; the vanilla RNN has none)."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh):
            p.uniform_(-k, k, generator=gen)
        h = self.hidden_size
        if self.kind == "lstm":
            self.bias_hh[h:2 * h] += gate_bias
        elif self.kind == "gru":
            self.bias_hh[h:2 * h] += gate_bias

    def zero_state(self, batch: int):
        z = torch.zeros(batch, self.hidden_size, dtype=self.weight_hh.dtype)
        return (z, z.clone()) if self.kind == "lstm" else z

    def step(self, gi: torch.Tensor, state, record: dict | None = None):
        """One time step. gi: W_ih x_t + b_ih, (B, G·H) (precomputed for every t at once);
        state: h (B, H), or (h, c) for the LSTM. Returns the new state; appends each gate's
        value (B, H) to ``record[name]`` when given."""
        gh_w, gh_b = self.weight_hh, self.bias_hh
        if self.kind == "rnn":
            h = torch.tanh(gi + F.linear(state, gh_w, gh_b))
            if record is not None:
                record["h"].append(h)
            return h
        if self.kind == "lstm":
            h, c = state
            i, f, g, o = (gi + F.linear(h, gh_w, gh_b)).chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            if record is not None:
                for name, v in zip("ifgoch", (i, f, g, o, c, h)):
                    record[name].append(v)
            return h, c
        ir, iz, in_ = gi.chunk(3, dim=1)
        hr, hz, hn = F.linear(state, gh_w, gh_b).chunk(3, dim=1)
        r = torch.sigmoid(ir + hr)
        z = torch.sigmoid(iz + hz)
        n = torch.tanh(in_ + r * hn)
        h = (1 - z) * n + z * state
        if record is not None:
            for name, v in zip("rznh", (r, z, n, h)):
                record[name].append(v)
        return h

    def forward(self, x: torch.Tensor, state=None, gates: bool = False):
        """x (B, T, I) → (hs, state, record): hs is the list of the T hidden states h_t
        (B, H) each (kept as separate graph nodes so ∂L/∂h_t can be asked of autograd);
        record maps each name of GATES[kind] to (B, T, H) when ``gates`` is set, else {}."""
        b, t, _ = x.shape
        state = self.zero_state(b) if state is None else state
        gi = F.linear(x, self.weight_ih, self.bias_ih)  # (B, T, G·H), every step at once
        rec = {name: [] for name in GATES[self.kind]} if gates else None
        hs = []
        for k in range(t):
            state = self.step(gi[:, k], state, rec)
            hs.append(state[0] if self.kind == "lstm" else state)
        out = {name: torch.stack(v, dim=1) for name, v in rec.items()} if rec else {}
        return hs, state, out


def empty_module(factory) -> nn.Module:
    """A module built without running its initializers (made on the meta device, then given
    uninitialized CPU storage): torch.nn's own init would draw from the global RNG."""
    with torch.device("meta"):
        module = factory()
    return module.to_empty(device="cpu")


def torch_twin(cell: Cell) -> nn.Module:
    """``torch.nn.RNN``/``LSTM``/``GRU`` (batch_first, one layer) holding a copy of the
    cell's weights: the oracle for the tests and the page's live check."""
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell.kind]
    twin = empty_module(lambda: cls(cell.input_size, cell.hidden_size, batch_first=True))
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(twin, f"{name}_l0").copy_(getattr(cell, name))
    return twin


# -- a network: one-hot (or raw) inputs → cell → readout ---------------------------------------

class Net(nn.Module):
    """A cell and a linear readout. tag tasks read every h_t ((B, T, C) logits), classify
    tasks read h_T ((B, C) logits), the adding problem regresses the sum from h_T ((B,)).

    :meth:`fast` runs the same parameters through ``torch.nn``'s fused loop (the twin shares
    the cell's Parameter objects), which trains several times faster than stepping
    :class:`Cell` in Python; the views and analyses step the cell itself."""

    def __init__(self, kind: str, n_in: int, hidden: int, n_out: int, task_kind: str):
        super().__init__()
        self.cell = Cell(kind, n_in, hidden)
        self.head = nn.Linear(hidden, n_out)
        self.task_kind = task_kind
        self._twin = None

    def twin(self) -> nn.Module:
        """torch.nn.RNN/LSTM/GRU whose weights ARE this cell's parameters (not registered as
        a submodule, so parameters and state_dict list them once)."""
        if self._twin is None:
            cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[self.cell.kind]
            twin = empty_module(lambda: cls(self.cell.input_size, self.cell.hidden_size, batch_first=True))
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                setattr(twin, f"{name}_l0", getattr(self.cell, name))  # RNNBase re-points its flat weights
            object.__setattr__(self, "_twin", twin)
        return self._twin

    def fast(self, x: torch.Tensor) -> torch.Tensor:
        """The readout of :meth:`forward`, computed with the torch.nn twin."""
        out, _ = self.twin()(x)
        if self.task_kind == "tag":
            return self.head(out)
        last = self.head(out[:, -1])
        return last[:, 0] if self.task_kind == "regress" else last

    @torch.no_grad()
    def reset(self, gen: torch.Generator, gate_bias: float = 0.0) -> None:
        self.cell.reset(gen, gate_bias)
        k = 1.0 / math.sqrt(self.cell.hidden_size)
        self.head.weight.uniform_(-k, k, generator=gen)
        self.head.bias.zero_()

    def read(self, hs: list) -> torch.Tensor:
        if self.task_kind == "tag":
            return self.head(torch.stack(hs, dim=1))
        out = self.head(hs[-1])
        return out[:, 0] if self.task_kind == "regress" else out

    def forward(self, x: torch.Tensor, gates: bool = False):
        hs, _, rec = self.cell(x, gates=gates)
        return self.read(hs), hs, rec


# -- data -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Data:
    """A task as tensors: x (n, T, I) float inputs (one-hot symbols, or (value, marker) for
    the adding problem); y: (n, T) int64 per-step labels (tag, IGNORE where nothing is
    asked), (n,) int64 classes (classify) or (n,) float32 sums (regress)."""

    task: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    vocab_in: tuple
    classes: tuple


def examples(task: str, n: int, length: int, seed: int, delay: int = 3) -> tuple[np.ndarray, np.ndarray, tuple, tuple]:
    """(src, tgt, vocab_in, classes) of ``n`` sequences of ``length``: seq_tasks' arrays, with
    echo built on copy's digits (target at t: the digit at t − delay, IGNORE before)."""
    _check(task in TASKS, "task", f"one of {TASKS}")
    if task == "echo":
        ex = st_.make("copy", n, length, seed)
        tgt = np.full(ex.src.shape, IGNORE, dtype=np.int64)
        if delay < length:
            tgt[:, delay:] = ex.src[:, :length - delay] - 3
        return ex.src, tgt, ex.vocab_in, tuple("0123456789")
    ex = st_.make(task, n, length, seed)
    return ex.src, ex.tgt, ex.vocab_in, ex.vocab_out


def features(task: str, src: np.ndarray, vocab_in: tuple) -> torch.Tensor:
    """Network inputs (n, T, I): one-hot symbols over the whole vocabulary (I = its size,
    specials included), or the adding problem's two features as they are."""
    if task == "adding":
        return torch.as_tensor(np.asarray(src, dtype=np.float32))
    return F.one_hot(torch.as_tensor(src, dtype=torch.int64), len(vocab_in)).float()


def n_inputs(task: str) -> int:
    return {"echo": len(st_.DIGITS), "parity": len(st_.BITS), "brackets": len(st_.BRACKETS), "adding": 2}[task]


def n_outputs(task: str) -> int:
    return {"echo": 10, "parity": 2, "brackets": 2, "adding": 1}[task]


def make_data(task: str, length: int, delay: int = 3, n_train: int = 2000, n_test: int = 256,
              seed: int = 0) -> Data:
    """Training and test sets (disjoint draws: the test set comes from seed + 10⁶)."""
    src, tgt, vin, classes = examples(task, n_train, length, seed, delay)
    src2, tgt2, _, _ = examples(task, n_test, length, seed + 1_000_000, delay)
    y = (lambda a: torch.as_tensor(a, dtype=torch.float32)) if task == "adding" else torch.as_tensor  # noqa: E731
    return Data(task, features(task, src, vin), y(tgt), features(task, src2, vin), y(tgt2), vin, classes)


# -- losses and scores --------------------------------------------------------------------------

def loss_fn(task_kind: str, out: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    if task_kind == "regress":
        return F.mse_loss(out, y, reduction=reduction)
    if task_kind == "tag":
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1), ignore_index=IGNORE,
                               reduction=reduction)
    return F.cross_entropy(out, y, reduction=reduction)


def accuracy(task_kind: str, out: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(token accuracy, sequence accuracy): per counted step and per whole sequence. For one
    label per sequence both are the share right; for the adding problem a prediction within
    ADD_TOL of the sum is right."""
    if task_kind == "regress":
        a = float(((out - y).abs() < ADD_TOL).float().mean())
        return a, a
    if task_kind == "classify":
        a = float((out.argmax(-1) == y).float().mean())
        return a, a
    asked = y != IGNORE
    right = (out.argmax(-1) == y) | ~asked
    tok = float(((out.argmax(-1) == y) & asked).sum()) / max(1, int(asked.sum()))
    return tok, float(right.all(dim=1).float().mean())


# -- the race ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    """One network per entry of ``cells`` on ``task`` with sequences of ``length``.

    delay: echo's recall span (steps); hidden: units per cell; gate_bias: added at init to
    the LSTM's forget-gate and the GRU's update-gate bias (0 = PyTorch's init);
    steps_per_epoch: Adam steps of ``batch_size`` sequences per epoch; clip: gradient-norm
    clipping per step (0 = off).
    """

    task: str = "echo"
    length: int = 12
    delay: int = 3
    cells: tuple = CELLS
    hidden: int = 32
    learning_rate: float = 0.01
    gate_bias: float = 0.0
    batch_size: int = 64
    steps_per_epoch: int = 5
    clip: float = 1.0
    n_train: int = 2000
    n_test: int = 256
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "cells", tuple(self.cells))
        _check(self.task in TASKS, "task", f"one of {TASKS}")
        _check(isinstance(self.length, int) and 2 <= self.length <= MAX_LEN, "length", f"2…{MAX_LEN} steps")
        _check(isinstance(self.delay, int) and 1 <= self.delay < self.length, "delay",
               "1 … length − 1 steps")
        _check(1 <= len(self.cells) <= 3 and all(c in CELLS for c in self.cells)
               and len(set(self.cells)) == len(self.cells), "cells", f"1…3 different ones of {CELLS}")
        _check(isinstance(self.hidden, int) and 2 <= self.hidden <= 128, "hidden", "2…128 units")
        _check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 1, "learning_rate", "in (0, 1]")
        _check(math.isfinite(self.gate_bias) and -5 <= self.gate_bias <= 5, "gate_bias", "in [−5, 5]")
        _check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 512, "batch_size", "1…512")
        _check(isinstance(self.steps_per_epoch, int) and 1 <= self.steps_per_epoch <= 100, "steps_per_epoch",
               "1…100")
        _check(math.isfinite(self.clip) and 0 <= self.clip <= 100, "clip", "in [0, 100] (0 = off)")
        _check(isinstance(self.n_train, int) and self.batch_size <= self.n_train <= 20_000, "n_train",
               "batch_size…20,000")
        _check(isinstance(self.n_test, int) and 1 <= self.n_test <= 5_000, "n_test", "1…5,000")
        _check(isinstance(self.seed, int) and 0 <= self.seed <= 2**31 - 1, "seed", "0…2³¹−1")


def auto_steps(length: int, hidden: int, n_cells: int, budget_ms: float = 100.0, most: int = 5) -> int:
    """Adam steps per epoch that keep an epoch's training near ``budget_ms`` of one CPU core
    (measured: ≈ 0.54 ms per time step of a batch of 64 for three 32-unit cells)."""
    per_step = 0.54 * length * (1 + hidden / 32) / 2 * n_cells / 3
    return int(max(1, min(most, budget_ms // max(per_step, 1e-9))))


def build(cfg: Config, kind: str, state: dict | None = None) -> Net:
    """A network for ``kind``: fresh from ``cfg.seed`` (every kind draws from its own
    generator seeded alike), or holding ``state`` (name → numpy array)."""
    net = empty_module(lambda: Net(kind, n_inputs(cfg.task), cfg.hidden, n_outputs(cfg.task), KIND[cfg.task]))
    if state is None:
        net.reset(torch.Generator().manual_seed(cfg.seed), cfg.gate_bias)
    else:
        net.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    return net


def weights_of(net: nn.Module) -> dict:
    """A detached numpy copy of a network's parameters (a checkpoint)."""
    return {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}


class Checkpoints:
    """Weights kept for scrubbing back: one per epoch at a stride that doubles whenever more
    than ``cap`` are kept (every other one dropped), like the player's history; the
    latest is always available. ``cap`` shrinks (to no fewer than 8) so that the kept
    weights stay within ``max_bytes`` (weights: lists/dicts of numpy arrays)."""

    def __init__(self, cap: int = MAX_CHECKPOINTS, max_bytes: float = 16e6):
        self.cap, self.max_bytes, self.stride, self.kept, self.latest = cap, max_bytes, 1, {}, None

    @staticmethod
    def nbytes(weights) -> int:
        items = weights if isinstance(weights, (list, tuple)) else [weights]
        return sum(a.nbytes for w in items for a in (w.values() if isinstance(w, dict) else [w])
                   if isinstance(a, np.ndarray))

    def add(self, epoch: int, weights) -> None:
        if self.latest is None:
            self.cap = int(min(self.cap, max(8, self.max_bytes // max(1, self.nbytes(weights)))))
        if epoch % self.stride == 0:
            self.kept[epoch] = weights
            if len(self.kept) > self.cap:
                self.stride *= 2
                self.kept = {e: w for e, w in self.kept.items() if e % self.stride == 0}
        self.latest = (epoch, weights)

    def at(self, epoch: int):
        """(epoch, weights) of the newest checkpoint at or before ``epoch``."""
        if self.latest[0] <= epoch:
            return self.latest
        best = max((e for e in self.kept if e <= epoch), default=min(self.kept))
        return best, self.kept[best]


@dataclass(frozen=True)
class Snapshot:
    """After an epoch, one entry per cell (in the order of cfg.cells).

    train_loss/test_loss: means over the cells still training; train_losses, test_losses,
    token_acc, seq_acc (test set), model_diverged: (K,). Losses: cross-entropy (nats) or,
    for the adding problem, mean squared error.
    """

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    train_losses: np.ndarray = field(repr=False)
    test_losses: np.ndarray = field(repr=False)
    token_acc: np.ndarray = field(repr=False)
    seq_acc: np.ndarray = field(repr=False)
    model_diverged: np.ndarray = field(repr=False)


class Trainer(EpochLoop):
    """The cells of ``cfg.cells`` trained side by side with Adam on the same batches."""

    def __init__(self, cfg: Config, data: Data | None = None):
        self.cfg = cfg
        self.data = data if data is not None else make_data(cfg.task, cfg.length, cfg.delay, cfg.n_train,
                                                             cfg.n_test, cfg.seed)
        self.nets = [build(cfg, k) for k in cfg.cells]
        self.opts = [torch.optim.Adam(n.parameters(), lr=cfg.learning_rate) for n in self.nets]
        self._order_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self._batches = ShuffledBatches(len(self.data.x_train), cfg.batch_size, self._order_gen)
        self.k = len(cfg.cells)
        self.model_diverged = np.zeros(self.k, dtype=bool)
        self.epoch = self.step = 0
        self.diverged = False
        self.log = {"epoch": [], "train": [], "test": [], "token_acc": [], "seq_acc": []}
        self.checkpoints = Checkpoints()
        self.snapshot = self._measure()

    def _epoch(self) -> None:
        d, kind = self.data, KIND[self.cfg.task]
        for _ in range(self.cfg.steps_per_epoch):
            idx = self._batches.next()
            x, y = d.x_train[idx], d.y_train[idx]
            for i, (net, opt) in enumerate(zip(self.nets, self.opts)):
                if self.model_diverged[i]:
                    continue
                loss = loss_fn(kind, net.fast(x), y)
                if not torch.isfinite(loss.detach()) or float(loss.detach()) > DIVERGE_LOSS:
                    self.model_diverged[i] = True
                    continue
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if self.cfg.clip > 0:
                    nn.utils.clip_grad_norm_(net.parameters(), self.cfg.clip)
                opt.step()
            self.step += 1
        self.epoch += 1

    @torch.inference_mode()
    def _measure(self) -> Snapshot:
        d, kind = self.data, KIND[self.cfg.task]
        n = min(len(d.x_train), 256)
        tr, te, tok, seq = (np.full(self.k, np.nan) for _ in range(4))
        for i, net in enumerate(self.nets):
            if self.model_diverged[i]:
                continue
            tr[i] = float(loss_fn(kind, net.fast(d.x_train[:n]), d.y_train[:n]))
            out = net.fast(d.x_test)
            te[i] = float(loss_fn(kind, out, d.y_test))
            tok[i], seq[i] = accuracy(kind, out, d.y_test)
            ok = math.isfinite(tr[i]) and tr[i] < DIVERGE_LOSS and all(
                bool(torch.isfinite(p).all()) for p in net.parameters())
            if not ok:
                self.model_diverged[i] = True
        for a in (tr, te, tok, seq):
            a[self.model_diverged] = np.nan
        self.diverged = bool(self.model_diverged.all())
        live = ~self.model_diverged
        snap = Snapshot(self.epoch, self.step, float(tr[live].mean()) if live.any() else float("nan"),
                        float(te[live].mean()) if live.any() else float("nan"), self.diverged, tr, te, tok, seq,
                        self.model_diverged.copy())
        self._log(snap)
        self.checkpoints.add(self.epoch, [weights_of(n) for n in self.nets])
        return snap

    def _log(self, snap: Snapshot) -> None:
        log = self.log
        log["epoch"].append(snap.epoch)
        log["train"].append(snap.train_losses)
        log["test"].append(snap.test_losses)
        log["token_acc"].append(snap.token_acc)
        log["seq_acc"].append(snap.seq_acc)
        if len(log["epoch"]) > MAX_LOG:  # keep every other entry, the newest always
            for key in log:
                log[key] = log[key][-1::-2][::-1]

    def history(self, upto: int | None = None) -> dict:
        """Logged curves up to epoch ``upto``: epoch (N,), train, test, token_acc, seq_acc (N, K)."""
        log = self.log
        n = len(log["epoch"]) if upto is None else int(np.searchsorted(log["epoch"], upto, side="right"))
        out = {"epoch": np.asarray(log["epoch"][:n], dtype=np.int64)}
        for key in ("train", "test", "token_acc", "seq_acc"):
            out[key] = np.asarray(log[key][:n], dtype=np.float64).reshape(n, self.k)
        return out

    def weights_at(self, epoch: int) -> tuple[int, list[dict]]:
        """(epoch kept, one weights dict per cell) nearest at or before ``epoch``."""
        return self.checkpoints.at(epoch)


# -- typed sequences ----------------------------------------------------------------------------

EXAMPLES = {"echo": "314159265358", "parity": "011010011101", "brackets": "(()(()))()",
            "adding": "3 7+ 1 4 1 5 9+ 2 6 5"}
ALPHABET_HELP = {"echo": "digits 0–9", "parity": "bits 0 and 1", "brackets": "brackets ( and )",
                 "adding": "values (a digit d means d/10, or a decimal like 0.25), two of them followed by +"}
_VALUE = re.compile(r"^(\d|0?\.\d+|1(\.0*)?)(\+?)$")


@dataclass(frozen=True)
class Typed:
    """A typed sequence ready for a network: x (1, T, I), tick labels (T,), and the task's
    per-step truth where it has one (tag: labels (T,), IGNORE where nothing is asked;
    classify/regress: one value)."""

    x: torch.Tensor
    ticks: tuple
    truth: np.ndarray


def parse(task: str, text: str, delay: int = 3) -> Typed:
    """Validate and encode ``text`` for ``task``; raises ``ValueError`` with a message
    naming the first bad symbol and what the task accepts."""
    _check(task in TASKS, "task", f"one of {TASKS}")
    text = str(text).strip()
    if task == "adding":
        parts = text.replace(",", " ").split()
        vals, marks = [], []
        for p in parts:
            m = _VALUE.match(p)
            if not m:
                raise ValueError(f"{p!r} is not a value: use {ALPHABET_HELP['adding']}")
            body = m.group(1)
            vals.append(int(body) / 10 if len(body) == 1 and body.isdigit() else float(body))
            marks.append(1.0 if m.group(3) else 0.0)
        if not 2 <= len(vals) <= MAX_LEN:
            raise ValueError(f"type 2…{MAX_LEN} values")
        if sum(marks) != 2:
            raise ValueError(f"mark exactly two values with + (found {int(sum(marks))})")
        x = torch.tensor([vals, marks], dtype=torch.float32).t()[None]
        truth = np.array([sum(v for v, m in zip(vals, marks) if m)], dtype=np.float64)
        ticks = tuple(f"{v:g}" + ("+" if m else "") for v, m in zip(vals, marks))
        return Typed(x, ticks, truth)
    symbols = [c for c in text if not c.isspace()]
    alphabet = {"echo": "0123456789", "parity": "01", "brackets": "()"}[task]
    bad = [c for c in symbols if c not in alphabet]
    if bad:
        raise ValueError(f"{bad[0]!r} is not allowed here: use {ALPHABET_HELP[task]}")
    if not 1 <= len(symbols) <= MAX_LEN:
        raise ValueError(f"type 1…{MAX_LEN} symbols")
    vocab = {"echo": st_.DIGITS, "parity": st_.BITS, "brackets": st_.BRACKETS}[task]
    ids = st_.encode(symbols, vocab)
    x = features(task, ids[None], vocab)
    if task == "parity":
        truth = np.cumsum(ids - 3) % 2
    elif task == "echo":
        truth = np.full(len(ids), IGNORE)
        if delay < len(ids):
            truth[delay:] = ids[:len(ids) - delay] - 3
    else:
        truth = np.array([int(st_.balanced(ids))])
    return Typed(x, tuple(symbols), truth)


# -- looking inside -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Inside:
    """One sequence through one network: gates maps each name of GATES[kind] to (T, H);
    pred: per-step predicted class (T,) for tag tasks, else one value (the class, or the
    adding problem's estimate) in a (1,) array; prob: the probability of the predicted
    class ((T,) or (1,); NaN for the adding problem)."""

    kind: str
    gates: dict
    pred: np.ndarray
    prob: np.ndarray


@torch.no_grad()
def inspect(cfg: Config, kind: str, weights: dict, typed: Typed) -> Inside:
    net = build(cfg, kind, weights)
    out, _, rec = net(typed.x, gates=True)
    gates = {k: v[0].numpy().astype(np.float64) for k, v in rec.items()}
    if KIND[cfg.task] == "regress":
        return Inside(kind, gates, out.numpy().astype(np.float64), np.array([np.nan]))
    p = torch.softmax(out[0], dim=-1)
    pred, prob = p.argmax(-1), p.max(-1).values
    return Inside(kind, gates, np.atleast_1d(pred.numpy()), np.atleast_1d(prob.numpy().astype(np.float64)))


@torch.no_grad()
def torch_difference(cfg: Config, kind: str, weights: dict, typed: Typed) -> float:
    """max |h_t(own cell) − h_t(torch.nn twin)| over the typed sequence: the live check."""
    net = build(cfg, kind, weights)
    hs, _, _ = net.cell(typed.x)
    ref, _ = torch_twin(net.cell)(typed.x)
    return float((torch.stack(hs, dim=1) - ref).abs().max())


@dataclass(frozen=True)
class GradFlow:
    """‖∂L_T/∂h_t‖ for each length: norms[j] is (lengths[j],) for t = 1…T, the mean over
    ``n`` sequences of each sequence's gradient norm, where L_T is the loss read at the
    last step only (so every bit of gradient at step t has travelled T − t steps)."""

    lengths: tuple
    norms: tuple


def gradient_flow(cfg: Config, kind: str, weights: dict | None, lengths: tuple, n: int = 32,
                  seed: int | None = None) -> GradFlow:
    """Autograd's ∂L_T/∂h_t for sequences of each length in ``lengths`` (drawn from the task,
    seed ``seed`` or cfg.seed + 7), for the network holding ``weights`` (None: untrained)."""
    _check(1 <= len(lengths) <= 8 and all(isinstance(t, int) and 2 <= t <= MAX_GRAD_LEN for t in lengths),
           "lengths", f"1…8 lengths of 2…{MAX_GRAD_LEN}")
    _check(isinstance(n, int) and 1 <= n <= 512, "n", "1…512 sequences")
    net = build(cfg, kind, weights)  # parameters keep requires_grad, so every h_t is in the graph
    task_kind = KIND[cfg.task]
    out = []
    for t_len in lengths:
        src, tgt, vin, _ = examples(cfg.task, n, t_len, cfg.seed + 7 if seed is None else seed,
                                    min(cfg.delay, t_len - 1))
        x = features(cfg.task, src, vin)
        with torch.enable_grad():
            hs, _, _ = net.cell(x)
            last = net.head(hs[-1])
            if task_kind == "regress":
                loss = F.mse_loss(last[:, 0], torch.as_tensor(tgt, dtype=torch.float32), reduction="sum")
            else:
                y = torch.as_tensor(tgt[:, -1] if task_kind == "tag" else tgt)
                loss = F.cross_entropy(last, y, reduction="sum")
            grads = torch.autograd.grad(loss, hs)
        g = torch.stack([gr.norm(dim=1) for gr in grads])  # (T, n)
        out.append(g.mean(dim=1).numpy().astype(np.float64))
    return GradFlow(tuple(lengths), tuple(out))


@dataclass(frozen=True)
class Trajectory:
    """Hidden states projected on their first two principal axes (fitted on every step of
    ``cloud`` test sequences): cloud (N, 2) with a colour value each (``cloud_value``, the
    task's running quantity, see :func:`running_value`), path (T, 2) for the typed
    sequence, explained: share of variance on each axis (2,)."""

    cloud: np.ndarray
    cloud_value: np.ndarray
    path: np.ndarray
    explained: np.ndarray
    value_name: str


def running_value(task: str, src: np.ndarray, delay: int = 3) -> tuple[str, np.ndarray]:
    """What a good hidden state must track at each step, (n, T): parity so far, bracket depth,
    the digit to recall now (−1 before there is one), or the sum of marked values so far."""
    if task == "parity":
        return "parity so far", np.cumsum(src - 3, axis=1) % 2
    if task == "brackets":
        return "open brackets", np.cumsum(np.where(src == 3, 1, -1), axis=1)
    if task == "echo":
        v = np.full(src.shape, -1)
        v[:, delay:] = src[:, :src.shape[1] - delay] - 3
        return f"digit from {delay} steps back", v
    return "marked sum so far", np.cumsum(src[..., 0] * src[..., 1], axis=1)


@torch.no_grad()
def trajectory(cfg: Config, kind: str, weights: dict, typed: Typed, n: int = 64) -> Trajectory:
    """PCA of h_t over ``n`` test sequences of the trained length (every step), then the
    typed sequence's h_1…h_T in those coordinates."""
    net = build(cfg, kind, weights)
    src, _, vin, _ = examples(cfg.task, n, cfg.length, cfg.seed + 11, cfg.delay)
    hs, _, _ = net.cell(features(cfg.task, src, vin))
    cloud = torch.stack(hs, dim=1).reshape(-1, cfg.hidden).double()
    mean = cloud.mean(dim=0)
    _, s, vt = torch.linalg.svd(cloud - mean, full_matrices=False)
    axes = vt[:2]
    # a fixed sign per axis (largest loading positive) so the picture does not flip between epochs
    signs = torch.sign(axes.gather(1, axes.abs().argmax(dim=1, keepdim=True)))
    axes = axes * torch.where(signs == 0, 1.0, signs)
    var = s**2
    explained = (var[:2] / var.sum().clamp_min(1e-30)).numpy()
    path_h, _, _ = net.cell(typed.x)
    path = (torch.stack(path_h, dim=1)[0].double() - mean) @ axes.t()
    name, value = running_value(cfg.task, src, cfg.delay)
    return Trajectory(((cloud - mean) @ axes.t()).numpy(), value.reshape(-1).astype(np.float64), path.numpy(),
                      np.pad(explained, (0, 2 - len(explained))), name)
