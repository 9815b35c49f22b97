"""Variational autoencoders on MNIST: the ELBO and its terms, β, KL annealing, free bits,
posterior collapse measured by active units, and the reparameterization trick.

Model: q(z|x) = N(μ(x), diag σ²(x)) from an MLP encoder (784 → hidden → μ, log σ²); prior
p(z) = N(0, I); p(x|z) from an MLP decoder (Bernoulli per pixel, or Gaussian with a fixed σ)
or, to show posterior collapse, an autoregressive decoder that also sees the previous pixels.

Training maximises ``E_q[log p(x|z)] − w·KL`` per image (nats), where ``w = β`` (ramped
linearly from 0 over ``anneal`` epochs when annealing) and, with free bits λ, each latent
dimension's batch-mean KL counts as ``max(λ, KL_j)``. The *reported* ELBO is always the
true one (β = 1, no free bits), on the test set, with a fixed ε so it is deterministic.

Public pieces: :func:`kl_diag`, :func:`log_likelihood`, :func:`reparameterize`,
:func:`active_units`, :func:`free_bits_kl`, :func:`binarize`, :func:`collapse_study` (no cure vs
KL annealing vs free bits on one decoder), :func:`reparam_study`, :class:`Trainer`,
:func:`latent_codec` and :func:`explorable`.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explorer.engines.contract import EpochLoop, check
from explorer.engines.mnist_codecs import PIXELS, SIDE, AutoregressiveDecoder, Decoder, linear, mnist_tensors

DECODERS = ("mlp", "autoregressive")
LIKELIHOODS = ("bernoulli", "gaussian")
ACTIVE_THRESHOLD = 0.01   # a unit is active when Var_x(E_q[z_j|x]) exceeds this (Burda et al., 2016)
GRID = 13                 # the decoded latent grid is GRID × GRID images
GRID_RANGE = 3.0          # over [−3, 3]² (prior standard deviations)
N_SHOW = 8                # test images shown with their reconstructions
N_SCATTER = 1000          # encoded test points kept per snapshot
CODEC_EPOCHS = 30         # latent_codec's fixed budget
CHUNKS = 4                # player steps per epoch (a frame stays short)
LOG2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Config:
    """One VAE run.

    latent: dimensions of z; beta: weight of the KL term (β-VAE; 1 = the ELBO); decoder:
    "mlp" or "autoregressive" (sees previous pixels: can ignore z); anneal: epochs over which
    the KL weight ramps 0 → β (0 = no annealing); free_bits: λ nats per latent dimension
    below which KL is not penalized; likelihood: "bernoulli" or "gaussian" (fixed ``sigma``);
    hidden: units of the encoder's and decoder's hidden layer; n_train: training images.
    """

    latent: int = 2
    beta: float = 1.0
    decoder: str = "mlp"
    anneal: int = 0
    free_bits: float = 0.0
    likelihood: str = "bernoulli"
    sigma: float = 0.1
    hidden: int = 256
    learning_rate: float = 3e-3
    batch_size: int = 100
    n_train: int = 4000
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.latent, int) and 1 <= self.latent <= 32, "latent", "must be 1..32 dimensions")
        check(math.isfinite(self.beta) and 0 <= self.beta <= 20, "beta", "must be in [0, 20]")
        check(self.decoder in DECODERS, "decoder", f"must be one of {DECODERS}")
        check(isinstance(self.anneal, int) and 0 <= self.anneal <= 200, "anneal", "must be 0..200 epochs")
        check(math.isfinite(self.free_bits) and 0 <= self.free_bits <= 5, "free_bits", "must be in [0, 5] nats")
        check(self.likelihood in LIKELIHOODS, "likelihood", f"must be one of {LIKELIHOODS}")
        check(math.isfinite(self.sigma) and 0.01 <= self.sigma <= 1, "sigma", "must be in [0.01, 1]")
        check(isinstance(self.hidden, int) and 8 <= self.hidden <= 1024, "hidden", "must be 8..1024 units")
        check(math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 0.1, "learning_rate",
              "must be in (0, 0.1]")
        check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 1000, "batch_size", "must be 1..1000")
        check(isinstance(self.n_train, int) and 10 <= self.n_train <= 4000, "n_train", "must be 10..4000")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**31, "seed", "must be 0..2³¹−1")


# ---------------------------------------------------------------- the ELBO's pieces

def kl_diag(mu: torch.Tensor, logvar: torch.Tensor, mu_p: torch.Tensor | float = 0.0,
            logvar_p: torch.Tensor | float = 0.0) -> torch.Tensor:
    """KL(N(μ, diag e^{logvar}) ‖ N(μ_p, diag e^{logvar_p})) per dimension, same shape as μ
    (nats); sum over the last axis for the whole Gaussian. The default prior is N(0, I):
    ``½(μ² + σ² − 1 − log σ²)``."""
    mu_p = torch.as_tensor(mu_p, dtype=mu.dtype)
    logvar_p = torch.as_tensor(logvar_p, dtype=mu.dtype)
    return 0.5 * (logvar_p - logvar + (logvar.exp() + (mu - mu_p) ** 2) / logvar_p.exp() - 1.0)


def log_likelihood(x: torch.Tensor, logits: torch.Tensor, kind: str = "bernoulli", sigma: float = 0.1) -> torch.Tensor:
    """log p(x|z) per image ``[N]`` (nats, summed over pixels) for targets x ``[N, P]`` in [0, 1]
    and decoder logits ``[N, P]``. Bernoulli: ``Σ x log p + (1−x) log(1−p)`` with p = sigmoid
    (x may be grey: the usual continuous-target cross-entropy); Gaussian: mean sigmoid(logits),
    fixed standard deviation ``sigma``."""
    if kind == "bernoulli":
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
    check(kind == "gaussian", "likelihood", f"must be one of {LIKELIHOODS}")
    mean = torch.sigmoid(logits)
    return (-0.5 * ((x - mean) / sigma) ** 2 - math.log(sigma) - 0.5 * LOG2PI).sum(dim=1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, gen: torch.Generator | None = None,
                   eps: torch.Tensor | None = None) -> torch.Tensor:
    """z = μ + σ ⊙ ε with ε ~ N(0, I) drawn from ``gen`` (or given): differentiable in μ and log σ²."""
    if eps is None:
        eps = torch.randn(mu.shape, generator=gen, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def free_bits_kl(kl_dims: torch.Tensor, lam: float) -> torch.Tensor:
    """The free-bits KL (Kingma et al., 2016): ``Σ_j max(λ, mean_batch KL_j)`` for per-example,
    per-dimension KL ``[N, d]``; λ = 0 is the plain batch-mean KL."""
    per_dim = kl_dims.mean(dim=0)
    return torch.clamp(per_dim, min=lam).sum() if lam > 0 else per_dim.sum()


def active_units(mu: np.ndarray, threshold: float = ACTIVE_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """(variance over inputs of each posterior mean ``[d]``, active mask ``[d]``) for the
    posterior means ``mu`` ``[N, d]``: unit j is active when ``Cov_x(E_q[z_j|x]) > threshold``."""
    var = np.asarray(mu, dtype=np.float64).var(axis=0)
    return var, var > threshold


def binarize(x: torch.Tensor) -> torch.Tensor:
    """Deterministic binarization (pixel > 0.5 → 1, else 0), same shape and dtype."""
    return (x > 0.5).to(x.dtype)


def kl_weight(cfg: Config, epochs_done: float) -> float:
    """The KL weight after ``epochs_done`` (fractional) epochs: β, ramped linearly when annealing."""
    if cfg.anneal <= 0:
        return cfg.beta
    return cfg.beta * min(1.0, epochs_done / cfg.anneal)


# ---------------------------------------------------------------- the model

class VAE(nn.Module):
    """Encoder 784 → hidden (ReLU) → (μ, log σ²) ``[N, d]`` each; decoder z → logits ``[N, 784]``."""

    def __init__(self, cfg: Config, gen: torch.Generator):
        super().__init__()
        self.cfg = cfg
        self.fc1 = linear(PIXELS, cfg.hidden, gen)
        self.act1 = nn.ReLU()
        self.mu_head = linear(cfg.hidden, cfg.latent, gen)
        self.logvar_head = linear(cfg.hidden, cfg.latent, gen)
        dec = AutoregressiveDecoder if cfg.decoder == "autoregressive" else Decoder
        self.decoder = dec(cfg.latent, cfg.hidden, gen)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.act1(self.fc1(x.reshape(len(x), PIXELS)))
        return self.mu_head(h), self.logvar_head(h).clamp(-12.0, 8.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior means ``[N, d]`` (what the latent explorer runs)."""
        return self.encode(x)[0]

    def logits(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder logits ``[N, 784]``; the autoregressive decoder uses x (teacher forcing) when given."""
        if isinstance(self.decoder, AutoregressiveDecoder):
            return self.decoder(z, x)
        return self.decoder(z)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images ``[N, 784]`` in [0, 1] generated from z (the mean of p(x|z))."""
        return torch.sigmoid(self.logits(z))

    def terms(self, x: torch.Tensor, gen: torch.Generator | None = None, eps: torch.Tensor | None = None):
        """(log p(x|z) ``[N]``, KL per dimension ``[N, d]``, μ, log σ²) with one reparameterized z."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, gen, eps)
        ll = log_likelihood(x, self.logits(z, x), self.cfg.likelihood, self.cfg.sigma)
        return ll, kl_diag(mu, logvar), mu, logvar


def build(cfg: Config) -> VAE:
    return VAE(cfg, torch.Generator().manual_seed(cfg.seed))


# ---------------------------------------------------------------- live training

@dataclass(frozen=True)
class Snapshot:
    """The state after an epoch. Losses and terms are per test image in nats.

    train_loss: the training objective (−recon + w·KL, free bits included) averaged over the
    epoch's batches; test_loss: −ELBO on the test set. elbo, recon (E_q log p(x|z)), kl: test
    set, β = 1; kl_weight: w used in the last batch. kl_dims ``[d]``: test KL per dimension;
    var_mu ``[d]``: Var_x(μ_j); active ``[d]`` bool; dims (2,): the latent dimensions shown
    (the two with the largest var_mu); mu ``[M, 2]``: test posterior means in those dims,
    labels ``[M]``; grid ``[GRID², 28, 28]``: decoded images over [−3, 3]² in those dims
    (others 0), row 0 at the top is z₂ = +3; x_show, x_recon ``[N_SHOW, 28, 28]``.
    """

    epoch: float
    step: int
    train_loss: float
    test_loss: float
    diverged: bool
    elbo: float = float("nan")
    recon: float = float("nan")
    kl: float = float("nan")
    kl_weight: float = 0.0
    n_active: int = 0
    kl_dims: np.ndarray = field(default=None, repr=False)
    var_mu: np.ndarray = field(default=None, repr=False)
    active: np.ndarray = field(default=None, repr=False)
    dims: tuple = (0, 1)
    mu: np.ndarray = field(default=None, repr=False)
    labels: np.ndarray = field(default=None, repr=False)
    grid: np.ndarray = field(default=None, repr=False)
    x_show: np.ndarray = field(default=None, repr=False)
    x_recon: np.ndarray = field(default=None, repr=False)


class Trainer(EpochLoop):
    """A VAE trained with Adam on the training images in a seeded order per epoch (batches of
    ``batch_size``, the last one may be short); one :meth:`advance` step is a quarter epoch
    (:data:`CHUNKS`), so ``Snapshot.epoch`` counts in quarters."""

    def __init__(self, cfg: Config, data: tuple | None = None):
        self.cfg = cfg
        xtr, _, xte, yte = data if data is not None else mnist_tensors(0)
        if cfg.decoder == "autoregressive":   # a pixel model wants black-and-white digits (Bernoulli data)
            xtr, xte = binarize(xtr), binarize(xte)
        self.x_train, self.x_test, self.y_test = xtr[:cfg.n_train], xte, yte
        self.model = build(cfg)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.learning_rate)
        self._gen = torch.Generator().manual_seed(cfg.seed + 1)
        # one fixed ε for the test ELBO: the reported numbers are deterministic
        self._eps_test = torch.randn((len(xte), cfg.latent), generator=torch.Generator().manual_seed(cfg.seed + 2))
        self._show = torch.arange(N_SHOW) * (len(xte) // N_SHOW)
        self.epoch, self.step, self.chunk = 0.0, 0, 0
        self.diverged = False
        self._train_sum, self._train_n = 0.0, 0
        self.log = {k: [] for k in ("epoch", "elbo", "recon", "kl", "train", "kl_weight", "n_active", "kl_dims")}
        self.snapshot = self._measure()

    def _epoch(self) -> None:
        """Train one player step: a 1/:data:`CHUNKS` share of an epoch's batches."""
        cfg, n = self.cfg, len(self.x_train)
        steps = -(-n // cfg.batch_size)
        k = self.chunk % CHUNKS
        if k == 0:
            self._order = torch.randperm(n, generator=self._gen)
        self.model.train()
        total, count = 0.0, 0
        for b in range(k * steps // CHUNKS, (k + 1) * steps // CHUNKS):
            x = self.x_train[self._order[b * cfg.batch_size:(b + 1) * cfg.batch_size]]
            self.w = kl_weight(cfg, self.chunk // CHUNKS + b / steps)
            ll, kl_dims, _, _ = self.model.terms(x, self._gen)
            loss = -ll.mean() + self.w * free_bits_kl(kl_dims, cfg.free_bits)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            if not torch.isfinite(loss):
                self.diverged = True
                break
            self.opt.step()
            total += float(loss.detach()) * len(x)
            count += len(x)
            self.step += 1
        self.chunk += 1
        self.epoch = self.chunk / CHUNKS
        self._train_sum, self._train_n = total, count

    @torch.no_grad()
    def encode_test(self) -> np.ndarray:
        self.model.eval()
        return self.model.encode(self.x_test)[0].numpy()

    @torch.no_grad()
    def _measure(self) -> Snapshot:
        cfg, m = self.cfg, self.model
        m.eval()
        ll, kl_dims, mu, _ = m.terms(self.x_test, eps=self._eps_test)
        recon, kl_d = float(ll.mean()), kl_dims.mean(dim=0).numpy().astype(np.float64)
        kl = float(kl_d.sum())
        train = self._train_sum / self._train_n if self._train_n else float(-(ll.mean()) + cfg.beta * kl)
        bad = self.diverged or not all(math.isfinite(v) for v in (recon, kl, train)) \
            or not all(bool(torch.isfinite(p).all()) for p in m.parameters())
        self.diverged = bad
        w = getattr(self, "w", kl_weight(cfg, 0))
        if bad:
            return Snapshot(self.epoch, self.step, float("nan"), float("nan"), True, kl_weight=w)
        mu_np = mu.numpy()
        var, act = active_units(mu_np)
        dims = tuple(sorted(int(i) for i in np.argsort(-var, kind="stable")[:2])) if cfg.latent >= 2 else (0, 0)
        self._log(recon, kl, train, w, int(act.sum()), kl_d)
        # one decoding pass for the grid and the reconstructions (the autoregressive decoder is sequential)
        pics = m.decode(torch.cat([self.grid_z(dims), mu[self._show]])).reshape(-1, SIDE, SIDE).numpy()
        return Snapshot(
            epoch=self.epoch, step=self.step, train_loss=train, test_loss=-(recon - kl), diverged=False,
            elbo=recon - kl, recon=recon, kl=kl, kl_weight=w, n_active=int(act.sum()), kl_dims=kl_d,
            var_mu=var, active=act, dims=dims,
            mu=mu_np[:N_SCATTER][:, list(dims)] if cfg.latent >= 2 else np.c_[mu_np[:N_SCATTER], 0 * mu_np[:N_SCATTER]],
            labels=self.y_test[:N_SCATTER].numpy(), grid=pics[:GRID * GRID],
            x_show=self.x_test[self._show].reshape(-1, SIDE, SIDE).numpy(), x_recon=pics[GRID * GRID:])

    def _log(self, recon, kl, train, w, n_active, kl_d) -> None:
        if self.log["epoch"] and self.log["epoch"][-1] == self.epoch:
            return
        for k, v in zip(("epoch", "elbo", "recon", "kl", "train", "kl_weight", "n_active", "kl_dims"),
                        (self.epoch, recon - kl, recon, kl, train, w, n_active, kl_d)):
            self.log[k].append(v)

    def history(self, upto: int | None = None) -> dict:
        """Per-epoch test curves up to epoch ``upto``: epoch, elbo, recon, kl, train, kl_weight,
        n_active (arrays ``[T]``) and kl_dims ``[T, d]``."""
        n = len(self.log["epoch"]) if upto is None else int(np.searchsorted(self.log["epoch"], upto, side="right"))
        out = {k: np.asarray(v[:n]) for k, v in self.log.items()}
        if not n:
            out["kl_dims"] = np.zeros((0, self.cfg.latent))
        return out

    def grid_z(self, dims: tuple = (0, 1), n: int = GRID) -> torch.Tensor:
        """Latent points ``[n², d]`` on an n × n grid over [−3, 3]² in ``dims`` (other dimensions 0),
        rows from z_dims[1] = +3 (top) down, columns from z_dims[0] = −3 (left)."""
        z = torch.zeros(n * n, self.cfg.latent)
        a = torch.linspace(-GRID_RANGE, GRID_RANGE, n)
        z2, z1 = torch.meshgrid(a.flip(0), a, indexing="ij")
        z[:, dims[0]] = z1.reshape(-1)
        if self.cfg.latent >= 2:
            z[:, dims[1]] = z2.reshape(-1)
        return z

    @torch.no_grad()
    def latent_grid(self, dims: tuple = (0, 1), n: int = GRID) -> np.ndarray:
        """Decoded images ``[n², 28, 28]`` at :meth:`grid_z`."""
        self.model.eval()
        return self.model.decode(self.grid_z(dims, n)).reshape(-1, SIDE, SIDE).numpy()


# ---------------------------------------------------------------- posterior collapse, measured

CURES = ("none", "annealing", "free bits")


@dataclass(frozen=True)
class CollapseStudy:
    """Posterior collapse and its cures on one decoder: for each setting in :data:`CURES`
    (no cure; KL annealing over ``anneal`` epochs; free bits ``free_bits`` nats per dimension),
    per-epoch test curves ``[epochs + 1]`` (epoch 0 = initialisation): n_active (active units),
    kl (nats per image), elbo (nats per image, β = 1), and cpu_s, this process's CPU seconds
    spent training that setting."""

    base: Config
    anneal: int
    free_bits: float
    epochs: np.ndarray
    n_active: dict
    kl: dict
    elbo: dict
    cpu_s: dict


def cure_config(base: Config, cure: str, anneal: int = 3, free_bits: float = 0.5) -> Config:
    """``base`` with no annealing and no free bits, plus the one ``cure`` (see :data:`CURES`)."""
    from dataclasses import replace

    check(cure in CURES, "cure", f"must be one of {CURES}")
    return replace(base, anneal=anneal if cure == "annealing" else 0,
                   free_bits=free_bits if cure == "free bits" else 0.0)


@torch.no_grad()
def _collapse_point(tr: Trainer) -> tuple[int, float, float]:
    tr.model.eval()
    ll, kl_dims, mu, _ = tr.model.terms(tr.x_test, eps=tr._eps_test)
    kl = float(kl_dims.sum(dim=1).mean())
    return int(active_units(mu.numpy())[1].sum()), kl, float(ll.mean()) - kl


def collapse_study(base: Config, epochs: int = 5, anneal: int = 3, free_bits: float = 0.5,
                   cures: tuple = CURES, progress=None) -> CollapseStudy:
    """Train ``base`` once per cure for ``epochs`` epochs (the player's batches, no drawing)
    and record active units, KL and ELBO after every epoch. ``progress(fraction, text)``, when
    given, is called after each epoch."""
    import time

    check(isinstance(epochs, int) and 1 <= epochs <= 50, "epochs", "must be 1..50")
    out = {k: {} for k in ("n_active", "kl", "elbo", "cpu_s")}
    for i, cure in enumerate(cures):
        tr = Trainer(cure_config(base, cure, anneal, free_bits))
        pts, c0 = [_collapse_point(tr)], time.process_time()
        for e in range(epochs):
            for _ in range(CHUNKS):
                tr._epoch()
            pts.append(_collapse_point(tr) if not tr.diverged else (0, float("nan"), float("nan")))
            if progress is not None:
                progress((i * epochs + e + 1) / (len(cures) * epochs), f"{cure}: epoch {e + 1} of {epochs}")
        out["cpu_s"][cure] = time.process_time() - c0
        for j, k in enumerate(("n_active", "kl", "elbo")):
            out[k][cure] = np.array([p[j] for p in pts], dtype=np.float64)
    return CollapseStudy(base, anneal, free_bits, np.arange(epochs + 1, dtype=np.float64), **out)


# ---------------------------------------------------------------- the reparameterization trick

FUNCTIONS = ("square", "sin", "exp")


def _f(name: str, z: torch.Tensor) -> torch.Tensor:
    return {"square": lambda t: t ** 2, "sin": torch.sin, "exp": torch.exp}[name](z)


def true_gradient(name: str, mu: float, sigma: float) -> tuple[float, float, float]:
    """(E[f(z)], ∂E/∂μ, ∂E/∂σ) in closed form for z ~ N(μ, σ²)."""
    if name == "square":
        return mu ** 2 + sigma ** 2, 2 * mu, 2 * sigma
    if name == "sin":
        g = math.exp(-sigma ** 2 / 2)
        return math.sin(mu) * g, math.cos(mu) * g, -sigma * math.sin(mu) * g
    check(name == "exp", "f", f"must be one of {FUNCTIONS}")
    e = math.exp(mu + sigma ** 2 / 2)
    return e, e, sigma * e


@dataclass(frozen=True)
class ReparamStudy:
    """Samples and gradient estimates of ∇_{μ,σ} E_{z~N(μ,σ²)}[f(z)].

    eps, z ``[n]``: the noise and the samples z = μ + σε; f ``[n]``; g_mu, g_sigma ``[n]``:
    per-sample reparameterized gradients from autograd (∂f/∂μ = f′(z), ∂f/∂σ = f′(z)ε);
    s_mu, s_sigma ``[n]``: per-sample score-function (REINFORCE) estimates f(z)·∂log N/∂θ;
    run_* ``[n]``: running means of each; truth: (E f, ∂μ, ∂σ) in closed form."""

    mu: float
    sigma: float
    fn: str
    eps: np.ndarray
    z: np.ndarray
    f: np.ndarray
    g_mu: np.ndarray
    g_sigma: np.ndarray
    s_mu: np.ndarray
    s_sigma: np.ndarray
    truth: tuple

    def running(self, a: np.ndarray) -> np.ndarray:
        return np.cumsum(a) / np.arange(1, len(a) + 1)


def reparam_study(mu: float, sigma: float, fn: str = "square", n: int = 500, seed: int = 0) -> ReparamStudy:
    """Draw n samples z = μ + σε and estimate the gradient of E[f(z)] both ways."""
    check(math.isfinite(mu) and abs(mu) <= 10, "mu", "must be in [−10, 10]")
    check(math.isfinite(sigma) and 0.01 <= sigma <= 10, "sigma", "must be in [0.01, 10]")
    check(fn in FUNCTIONS, "f", f"must be one of {FUNCTIONS}")
    check(isinstance(n, int) and 1 <= n <= 100_000, "n", "must be 1..100000 samples")
    eps = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    m = torch.full((n,), float(mu), dtype=torch.float64, requires_grad=True)
    s = torch.full((n,), float(sigma), dtype=torch.float64, requires_grad=True)
    z = m + s * eps                       # one (μ, σ) leaf per sample: autograd gives per-sample gradients
    f = _f(fn, z)
    f.sum().backward()
    zd, fd = z.detach(), f.detach()
    s_mu = fd * (zd - mu) / sigma ** 2
    s_sigma = fd * ((zd - mu) ** 2 / sigma ** 3 - 1.0 / sigma)
    return ReparamStudy(float(mu), float(sigma), fn, eps.numpy(), zd.numpy(), fd.numpy(), m.grad.numpy(),
                        s.grad.numpy(), s_mu.numpy(), s_sigma.numpy(), true_gradient(fn, mu, sigma))


# ---------------------------------------------------------------- for other pages

@functools.lru_cache(maxsize=4)
def _trained(seed: int) -> Trainer:
    tr = Trainer(Config(seed=seed))
    tr.advance(CODEC_EPOCHS * CHUNKS)
    tr.model.eval()
    for p in tr.model.parameters():
        p.requires_grad_(False)
    return tr


def latent_codec(seed: int = 0):
    """``(encode, decode)`` of a 2-D-latent VAE trained with the page's defaults for
    :data:`CODEC_EPOCHS` epochs (deterministic, cached in-process).

    ``encode(x [N,1,28,28] in [0,1]) -> [N, 2]`` posterior means; ``decode(z [N, 2]) ->
    [N, 1, 28, 28]`` in [0, 1]. Neither tracks gradients."""
    model = _trained(int(seed)).model

    @torch.no_grad()
    def encode(x: torch.Tensor) -> torch.Tensor:
        return model.encode(torch.as_tensor(x, dtype=torch.float32))[0]

    @torch.no_grad()
    def decode(z: torch.Tensor) -> torch.Tensor:
        return model.decode(torch.as_tensor(z, dtype=torch.float32)).reshape(-1, 1, SIDE, SIDE)

    return encode, decode


def explorable(seed: int = 0):
    """The default VAE (latent 2, β 1) as an :class:`~explorer.engines.explorable.Explorable`:
    taps = the encoder's hidden layer and the posterior mean μ; x = the 1,000 test images."""
    from explorer.engines import images
    from explorer.engines.explorable import Explorable

    tr = _trained(int(seed))
    d = images.mnist(0)  # the split every Trainer uses
    m = tr.model
    return Explorable(label="VAE (2-D latent) on MNIST", model=m,
                      taps=(("encoder hidden (256 ReLU)", m.act1), ("posterior mean μ (2-D latent)", m.mu_head)),
                      x=np.asarray(d.x_test, dtype=np.float32), y=np.asarray(d.y_test), classes=d.classes,
                      forward=lambda x: m(x),
                      note=f"Trained {CODEC_EPOCHS} epochs on 4,000 MNIST digits (β = 1, Bernoulli decoder).")
