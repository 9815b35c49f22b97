"""The optimizers page's controls, cached computations and views (one per tab)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.engines import optimizers as opt
from explorer.ui import live
from explorer.ui.params import Param
from explorer.viz import optimizers as vz

PAGE = "optimizers"
SECTIONS = ("Race on a surface", "Batch size and noise", "Newton and natural gradient")  # the tabs' labels
TUNED = "tuned"
LR_SGD = (TUNED, 1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.3, 0.45, 1.0)
LR_ADAPTIVE = (TUNED, 1e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
SPEED_LABEL = {s: ("max" if s == live.SPEEDS[-1] else f"{s} /s") for s in live.SPEEDS}
DEFAULT_RACERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adabelief")


def _lr(v) -> str:
    return "tuned for the surface" if v == TUNED else f"{v:g}"


SPEC = [
    Param("section", "Section", "choice", SECTIONS[0], choices=SECTIONS),
    Param("surface", "Surface", "choice", "beale", choices=tuple(opt.SURFACES),
          fmt=lambda k: opt.SURFACES[k].label),
    Param("racers", "Optimizers in the race", "multi", DEFAULT_RACERS, choices=opt.OPTIMIZERS, widget="pills",
          fmt=opt.LABELS.get, min_items=1),
    Param("lr_sgd", "Learning rate η (SGD family)", "choice", TUNED, choices=LR_SGD, widget="select_slider",
          fmt=_lr, help="SGD, momentum and Nesterov multiply the gradient by η; AdaBound ends at this rate. "
                        "'tuned' picks a rate that suits the chosen surface."),
    Param("lr_adaptive", "Step size α (adaptive)", "choice", TUNED, choices=LR_ADAPTIVE, widget="select_slider",
          fmt=_lr, help="Adagrad, RMSProp, Adam, AdamW, AdaBelief and AdaBound divide by a running gradient "
                        "scale, so α is roughly a step length. 'tuned' suits the chosen surface."),
    Param("steps", "Steps", "int", 150, lo=10, hi=opt.MAX_STEPS, step=10),
    Param("weight_decay", "AdamW weight decay λ", "choice", 0.01, choices=(0.0, 1e-3, 0.01, 0.03, 0.1, 0.3, 1.0),
          widget="select_slider", fmt=lambda v: f"{v:g}",
          help="Decoupled: θ ← θ − αλθ every step, on top of Adam's step. Not part of f."),
    Param("custom_start", "Choose the start point", "bool", False,
          help="Off: each surface's classic start. On: the x, y below."),
    Param("start_x", "Start x", "float", 0.5, lo=-5.0, hi=5.0, step=0.1),
    Param("start_y", "Start y", "float", -0.5, lo=-5.0, hi=5.0, step=0.1),
    Param("speed", "Speed (steps/s)", "choice", 30, choices=live.SPEEDS, widget="select_slider",
          fmt=SPEED_LABEL.get),
    Param("noise_lr", "Learning rate η", "choice", 0.05, choices=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 1.5),
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("noise_updates", "Updates (each batch size)", "int", 200, lo=20, hi=1000, step=10),
    Param("noise_seed", "Shuffle seed", "int", 0, lo=0, hi=999, widget="number"),
    Param("kappa", "Condition number κ of the quadratic", "choice", 50, choices=(1, 2, 5, 10, 20, 50, 100, 1000),
          widget="select_slider"),
    Param("eta_l", "Gradient-descent step η·L", "float", 1.8, lo=0.1, hi=2.2, step=0.1,
          help="η times the largest curvature L. Above 2 gradient descent diverges."),
    Param("so_iters", "Iterations at most", "int", 100, lo=5, hi=300, step=5),
    Param("mu0", "Start μ₀", "float", 0.5, lo=-4.0, hi=6.0, step=0.1),
    Param("sigma0", "Start σ₀", "float", 0.6, lo=0.1, hi=6.0, step=0.1),
    Param("gauss_lr", "Gradient-descent rate η", "choice", 0.1, choices=(0.01, 0.03, 0.1, 0.3, 1.0),
          widget="select_slider", fmt=lambda v: f"{v:g}"),
    Param("natural_lr", "Natural-gradient step", "float", 1.0, lo=0.1, hi=1.5, step=0.1),
]
BY_NAME = {p.name: p for p in SPEC}


# ----------------------------------------------------------------------------- the race
def race_config(v: dict) -> tuple[opt.RaceConfig, list[str]]:
    """The race's config from control values, and notes on what was adjusted."""
    s = opt.SURFACES[v["surface"]]
    notes = []
    start = s.start
    if v["custom_start"]:
        x0, x1, y0, y1 = s.window
        start = (min(x1, max(x0, v["start_x"])), min(y1, max(y0, v["start_y"])))
        if start != (v["start_x"], v["start_y"]):
            notes.append(f"The start ({v['start_x']:g}, {v['start_y']:g}) lies outside this surface's view; "
                         f"starting from ({start[0]:g}, {start[1]:g}) instead.")
    eta = s.lr_sgd if v["lr_sgd"] == TUNED else float(v["lr_sgd"])
    alpha = s.lr_adaptive if v["lr_adaptive"] == TUNED else float(v["lr_adaptive"])
    cfg = opt.RaceConfig(surface=v["surface"], optimizers=tuple(v["racers"]), lr_sgd=eta, lr_adaptive=alpha,
                         start=start, steps=int(v["steps"]), weight_decay=float(v["weight_decay"]))
    return cfg, notes


@st.cache_data(max_entries=32, show_spinner=False)
def race(cfg: opt.RaceConfig) -> opt.RaceResult:
    return opt.race(cfg)


@st.cache_data(max_entries=8, show_spinner=False)
def surface_grid(name: str) -> tuple:
    xs, ys, Z = opt.grid(name, 120)
    return xs, ys, Z - opt.SURFACES[name].f_min


def race_view(cfg: opt.RaceConfig, result: opt.RaceResult):
    """The frame renderer for :func:`explorer.ui.live.player`."""
    s = opt.SURFACES[cfg.surface]
    xs, ys, Z = surface_grid(cfg.surface)
    gaps = result.losses - s.f_min

    def draw(snap, run) -> None:
        if run.playing and run.trainer.finished:  # the race is over: stop the frames, show the scrubber
            run.playing = False
            st.rerun(scope="app")
        t = snap.step
        racers = [{"key": n, "name": opt.LABELS[n], "xy": result.paths[k], "gap": gaps[k]}
                  for k, n in enumerate(result.names)]
        st.markdown(f"#### Step {t:,} of {cfg.steps:,}\n" + standings(result, gaps, t))
        st.plotly_chart(vz.race_figure(xs, ys, Z, racers, t, minima=list(s.minima), log_view=s.log_view,
                                       title=f"{s.label}: paths (dotted: the whole race) and f − f* per step"),
                        key="chart_race", width="stretch", config={"displayModeBar": False})

    return draw


def fmt_gap(g: float) -> str:
    """f − f* for reading: values within rounding of 0 (even slightly negative) read "≈ 0"."""
    return "≈ 0" if abs(g) < 1e-12 else f"{g:.2g}"


def race_run(cfg: opt.RaceConfig, result: opt.RaceResult) -> live.Run:
    """The session's race; ▶ Play on a finished race starts it over."""
    run = live.session_run(PAGE, cfg, lambda: opt.RacePlayer(result))
    if run.trainer.finished and not run.playing and st.session_state.get(f"play:{PAGE}"):
        live.reset(PAGE)
        run = live.session_run(PAGE, cfg, lambda: opt.RacePlayer(result))
    return run


def standings(result: opt.RaceResult, gaps: np.ndarray, t: int) -> str:
    """One line: the racers ordered by f − f* at step t, diverged ones last."""
    rows = []
    for k, n in enumerate(result.names):
        d = int(result.diverged_at[k])
        if 0 <= d <= t:
            rows.append((np.inf, f"{opt.LABELS[n]} 💥 diverged at step {d}"))
        else:
            rows.append((gaps[k, t], f"{opt.LABELS[n]} **{fmt_gap(gaps[k, t])}**"))
    rows.sort(key=lambda r: r[0])
    return "f − f*: " + " · ".join(text for _, text in rows)


# ----------------------------------------------------------------------------- noise
@st.cache_data(max_entries=16, show_spinner=False)
def noise(cfg: opt.NoiseConfig) -> tuple:
    paths = opt.batch_noise(cfg)
    return paths, opt.regression_grid(paths), opt.optimum()


NOISE_NAMES = {"full": "full batch (442)", "32": "mini-batch 32", "1": "single sample (SGD)"}


def noise_view(cfg: opt.NoiseConfig) -> None:
    paths, (a, b, L), (w_star, L_star) = noise(cfg)
    runs = [{"key": k, "name": NOISE_NAMES[k], "w": p.w, "gap": p.loss - L_star, "seen": p.seen}
            for k, p in paths.items()]
    st.plotly_chart(vz.noise_figure(a, b, L - L_star, runs, w_star,
                                    title="Diabetes regression: the weights' path and the loss it reaches"),
                    key="chart_noise", width="stretch", config={"displayModeBar": False})
    lines = []
    for k, p in paths.items():
        if p.diverged:
            lines.append(f"**{NOISE_NAMES[k]}** 💥 diverged after {len(p.loss) - 1} updates")
        else:
            lines.append(f"**{NOISE_NAMES[k]}**: L − L* = {fmt_gap(p.loss[-1] - L_star)} after "
                         f"{p.seen[-1]:,} examples ({p.seen[-1] / len(opt.diabetes()[1]):.3g} passes)")
    st.markdown(" · ".join(lines))
    if any(p.diverged for p in paths.values()):
        st.warning("A run diverged: the learning rate is above 2 / (largest curvature) for that batch's "
                   "loss. Lower η.", icon="💥")


# ----------------------------------------------------------------------------- second order
@st.cache_data(max_entries=16, show_spinner=False)
def second_order(cfg: opt.SecondOrderConfig) -> tuple:
    quad = opt.quadratic_descents(cfg)
    A = opt.quadratic_matrix(cfg.kappa)
    qx, qy = np.linspace(-5, 5, 90), np.linspace(-5, 5, 90)
    X, Y = np.meshgrid(qx, qy)
    P = np.stack([X, Y], -1)
    QZ = 0.5 * np.einsum("...i,ij,...j->...", P, A, P)
    x = opt.gaussian_sample(cfg.seed)
    gauss = opt.gaussian_descents(cfg, x)
    return quad, (qx, qy, QZ), gauss, opt.gaussian_grid(x)


def _runs(descents: dict) -> list[dict]:
    return [{"key": m, "name": opt.SO_LABELS[m], "path": d.path, "gap": d.gap} for m, d in descents.items()]


def _converged(d: opt.Descent, budget: int) -> str:
    if d.converged_at >= 0:
        return f"{d.converged_at}"
    return f"not within {budget}" + (f" ({d.note})" if d.note else f" (f − f* = {d.gap[-1]:.2g})")


def second_order_view(cfg: opt.SecondOrderConfig) -> None:
    quad, (qx, qy, QZ), gauss, (mus, sig, G, mle) = second_order(cfg)
    st.plotly_chart(vz.descent_figure(qx, qy, QZ, _runs(quad), (0.0, 0.0), xlabel="θ₁", ylabel="θ₂",
                                      title=f"Quadratic ½θᵀAθ with condition number κ = {cfg.kappa:g}"),
                    key="chart_quadratic", width="stretch", config={"displayModeBar": False})
    st.plotly_chart(vz.descent_figure(mus, sig, G, _runs(gauss), mle, xlabel="μ", ylabel="σ",
                                      title="Fitting N(μ, σ²) to 200 samples: negative log-likelihood"),
                    key="chart_gauss", width="stretch", config={"displayModeBar": False})
    rows = {"method": [opt.SO_LABELS[m] for m in opt.SECOND_ORDER],
            "quadratic: iterations to f − f* < 1e-8": [_converged(quad[m], cfg.iters) for m in opt.SECOND_ORDER],
            "Gaussian fit: iterations": [_converged(gauss[m], cfg.iters) for m in opt.SECOND_ORDER]}
    st.dataframe(rows, hide_index=True, width="stretch")


# ----------------------------------------------------------------------------- lessons
RACE_EXPLAIN = [
    "Every racer sees the same gradient $g_t = \\nabla f(\\theta_{t-1})$ and moves by its own rule. "
    "The first three multiply the gradient by the learning rate η:",
    ("latex", r"\text{SGD: }\ \theta_t = \theta_{t-1} - \eta\, g_t \qquad "
              r"\text{momentum: }\ v_t = \mu v_{t-1} + g_t,\ \ \theta_t = \theta_{t-1} - \eta\, v_t"),
    ("latex", r"\text{Nesterov: }\ v_t = \mu v_{t-1} + g_t,\ \ \theta_t = \theta_{t-1} - \eta\,(g_t + \mu v_t),"
              r"\qquad \mu = 0.9"),
    "The adaptive methods divide by a running scale of the gradient, coordinate by coordinate, so α is "
    "roughly a step *length* whatever the gradient's size:",
    ("latex", r"\text{Adagrad: }\ G_t = G_{t-1} + g_t^2,\ \ \theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{G_t}+\epsilon}"),
    ("latex", r"\text{RMSProp: }\ s_t = \rho s_{t-1} + (1-\rho) g_t^2,\ \ "
              r"\theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{s_t}+\epsilon}"),
    ("latex", r"\text{Adam: } m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\ \ v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,"
              r"\ \ \theta_t = \theta_{t-1} - \alpha\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)}+\epsilon}"),
    "AdamW adds the decoupled decay $-\\alpha\\lambda\\theta_{t-1}$ (it pulls towards 0, so it can stop short "
    "of the minimum of $f$). AdaBelief (Zhuang et al., 2020) replaces $g_t^2$ by the squared *surprise*: "
    "a gradient that matches its running mean earns a long step.",
    ("latex", r"\text{AdaBelief: } s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon,\ \ "
              r"\theta_t = \theta_{t-1} - \alpha\,\frac{m_t/(1-\beta_1^t)}{\sqrt{s_t/(1-\beta_2^t)}+\epsilon}"),
    "AdaBound (Luo et al., 2019) clips Adam's per-coordinate step into bounds that close in on the SGD "
    f"rate η, so it starts like Adam and ends like SGD with momentum (here γ = {opt.ADABOUND_GAMMA:g}):",
    ("latex", r"\eta_t = \operatorname{clip}\!\Big(\frac{\alpha\sqrt{1-\beta_2^t}/(1-\beta_1^t)}{\sqrt{v_t}+\epsilon},\ "
              r"\eta\big(1-\tfrac{1}{\gamma t+1}\big),\ \eta\big(1+\tfrac{1}{\gamma t}\big)\Big),\qquad "
              r"\theta_t = \theta_{t-1} - \eta_t\, m_t"),
    "PyTorch's `torch.optim` runs the first seven; AdaBelief and AdaBound are written here as "
    "`torch.optim.Optimizer` subclasses and checked against the papers' formulas (AdaBound as in its "
    "authors' code, without the paper's extra 1/√t). Hyper-parameters are the "
    "usual defaults: β₁ = 0.9, β₂ = 0.999, ρ = 0.99, ε = 10⁻⁸ (Adagrad: 10⁻¹⁰).",
]
NOISE_EXPLAIN = [
    "The model is linear, $\\hat y = w_1\\,\\text{bmi} + w_2\\,\\text{s5}$ (both standardized, as is the "
    "disease progression $y$), and the loss is the mean squared error over all $n = 442$ patients:",
    ("latex", r"L(w) = \frac{1}{n}\sum_{i=1}^{n} \tfrac12 (x_i^\top w - y_i)^2,\qquad "
              r"w \leftarrow w - \frac{\eta}{|B|}\sum_{i\in B} x_i\,(x_i^\top w - y_i)"),
    "A batch $B$ gives an unbiased but noisy estimate of $\\nabla L$; its variance shrinks like $1/|B|$. "
    "The full batch walks straight down; a single sample jitters but takes 442 updates for the price of "
    "one full-batch gradient, so per *example processed* it gets close far sooner. With a constant η the "
    "noisy runs never settle: they hover in a ball around $w^*$ whose size grows with η — which is why "
    "learning rates are decayed (see the schedules page).",
]
SECOND_ORDER_EXPLAIN = [
    "Newton's method rescales the gradient by the inverse Hessian; on a quadratic "
    "$f = \\tfrac12\\theta^\\top A\\theta$ one step lands exactly on the minimum, whatever the condition "
    "number. Gradient descent needs about $\\kappa \\log(1/\\epsilon)$ steps and diverges for $\\eta L > 2$:",
    ("latex", r"\theta_{t+1} = \theta_t - \eta\,\nabla f \quad\text{vs.}\quad "
              r"\theta_{t+1} = \theta_t - \big[\nabla^2 f(\theta_t)\big]^{-1}\nabla f(\theta_t)"),
    "The natural gradient preconditions with the Fisher information $F$ of a probabilistic model instead: "
    "it measures steps by how much the *distribution* changes, not the parameters. For the quadratic, seen "
    "as the negative log-likelihood of $N(\\theta, A^{-1})$, $F = A$: the same step as Newton.",
    ("latex", r"\theta_{t+1} = \theta_t - \eta\,F(\theta_t)^{-1}\nabla f(\theta_t),\qquad "
              r"F(\mu,\sigma) = \begin{pmatrix}1/\sigma^2 & 0\\ 0 & 2/\sigma^2\end{pmatrix}\ \text{for } N(\mu,\sigma^2)"),
    "Fitting $N(\\mu, \\sigma^2)$ by maximum likelihood, the negative log-likelihood "
    "$\\log\\sigma + \\frac{(\\bar x-\\mu)^2 + s^2}{2\\sigma^2}$ is not a quadratic: its Hessian is positive "
    "definite only near the optimum, so Newton from far away can head for a saddle or jump out of the "
    "region $\\sigma > 0$. The Fisher is always positive definite: with step 1 the natural gradient sets μ to "
    "$\\bar x$ at once and updates $\\sigma \\leftarrow \\tfrac12(\\sigma + S/\\sigma)$ with "
    "$S = s^2 + (\\bar x - \\mu)^2$ — Heron's square-root iteration, converging to $\\sqrt{S}$.",
]
