"""The adversarial-examples page's controls table, models, cached attacks and live views."""
from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from explorer.engines import adv_training as at
from explorer.engines import attacks as atk
from explorer.engines import image_io, zoo
from explorer.engines.device import cap_threads
from explorer.ui import live, uploads
from explorer.ui.cached import memo
from explorer.ui.params import Param
from explorer.viz import adversarial as vz
from explorer.ui.layout import progress_bar
from explorer.ui import zoo_models

PAGE = "adversarial"
DATASET = "mnist"
ARCH_LABEL = zoo_models.ARCH_LABEL
ATTACK_LABEL = {k: v.label for k, v in atk.ATTACKS.items()}
NORM_LABEL = {"Linf": "L∞ (every pixel by at most ε)", "L2": "L2 (total length ε)"}
STEPS = (1, 2, 5, 10, 20, 50, 100, 200)
ALPHAS = ("auto", 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
TARGETS = (-1,) + tuple(range(10))
# DeepFool and AutoAttack are left out: on 256 images they take minutes (DeepFool builds a Jacobian per
# image and step; AutoAttack's Square stage runs 5,000 queries per robust image).
CURVE_ATTACKS = ("fgsm", "bim", "pgd", "pgdl2", "mifgsm", "apgd", "square", "cw", "noise")
CURVE_EPS = {"Linf": (0.0, 0.02, 0.05, 0.1, 0.15, 0.2), "L2": (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)}
CURVE_IMAGES, CURVE_STEPS = 256, 10
TRANSFER_IMAGES = 128
AT_ARCHS = ("mlp", "lenet")
AT_EPS = (0.05, 0.1, 0.15, 0.2, 0.3)
SPEEDS = (1, 2, 5)
UPLOAD_KEY = "adv_upload"


def _alpha_label(a) -> str:
    return "auto: 2.5·ε/steps" if a == "auto" else f"{a:g} × ε"


SPEC = [
    Param("model", "Model (the zoo's reference, trained on MNIST)", "choice", "lenet", choices=zoo.ARCHS,
          fmt=ARCH_LABEL.get, help="LeNet is trained on first use in seconds; the others take a minute or two once "
                                   "(then they are cached on disk)."),
    Param("img", "Test image #", "int", 6, lo=0, hi=999, widget="number",
          help="One of the 1,000 MNIST test images the zoo models never trained on."),
    Param("attack", "Attack", "choice", "fgsm", choices=atk.NAMES, fmt=ATTACK_LABEL.get,
          help="All from torchattacks 3.3, behind one interface; each keeps to the same ε budget."),
    Param("norm", "Budget measured in", "choice", "Linf", choices=atk.NORMS, widget="segmented",
          fmt={"Linf": "L∞", "L2": "L2"}.get,
          help="L∞: no pixel changes by more than ε. L2: the perturbation's length √Σδ² is at most ε."),
    Param("eps", "ε (L∞, pixel values in 0…1)", "float", 0.1, lo=0.0, hi=0.5, step=0.01,
          help="0.1 lets every pixel move by a tenth of the way from black to white."),
    Param("eps2", "ε (L2)", "float", 1.5, lo=0.0, hi=8.0, step=0.1,
          help="An L2 budget of 1.5 is, for example, 0.1 on 225 pixels, or 0.75 on 4."),
    Param("steps", "Steps", "choice", 20, choices=STEPS, widget="select_slider",
          help="Iterations of the iterative attacks (Square: 50 queries per step; FGSM and AutoAttack ignore it)."),
    Param("alpha", "Step size", "choice", "auto", choices=ALPHAS, widget="select_slider", fmt=_alpha_label,
          help="Per step, as a fraction of ε (CW: Adam's learning rate as that fraction of ε)."),
    Param("target", "Target class", "choice", -1, choices=TARGETS,
          fmt=lambda t: "none (untargeted)" if t < 0 else f"make it a {t}",
          help="Targeted attacks push toward this class instead of away from the true one."),
    Param("curve", "Attacks on the robustness curve", "multi", ("fgsm", "pgd"), choices=CURVE_ATTACKS,
          fmt=ATTACK_LABEL.get, widget="pills", min_items=1,
          help="Each with 10 steps. DeepFool and AutoAttack would take minutes on 256 images, so they are not "
               "offered here; try them on one image above."),
    Param("others", "Transfer between", "multi", ("lenet", "vgg"), choices=zoo.ARCHS, fmt=ARCH_LABEL.get,
          widget="pills", min_items=1, help="The page's model is always included."),
    Param("at_arch", "Network trained live", "choice", "mlp", choices=AT_ARCHS, widget="segmented",
          fmt={"mlp": "MLP (fast)", "lenet": "LeNet"}.get),
    Param("at_eps", "Training ε (L∞)", "choice", 0.15, choices=AT_EPS, widget="select_slider",
          fmt=lambda v: f"{v:g}"),
    Param("speed", "Speed (epochs/s)", "choice", 2, choices=SPEEDS, widget="select_slider"),
    Param("seed", "Seed", "int", 0, lo=0, hi=999, widget="number",
          help="Random starts and searches (PGD, APGD, Square, …) and the live run's weights and batches."),
]
BY_NAME = {p.name: p for p in SPEC}


# -- data and models ----------------------------------------------------------------------------------
def data():
    return zoo.data_for(DATASET)


def reference(arch: str):
    return zoo_models.reference(arch, DATASET)


def available(arch: str) -> bool:
    return zoo_models.available(arch, DATASET)


def session_model(arch: str):
    """This session's own copy of a reference model (attacks switch a model's mode)."""
    return zoo_models.session_model(PAGE, arch, DATASET)


def card(arch: str) -> dict:
    return zoo.reference_card(arch, DATASET) or {}


# -- the attack -----------------------------------------------------------------------------------------
def attack_config(v: dict, n_classes: int) -> tuple[atk.AttackConfig, list[str]]:
    """The engine config from control values, and a note for each thing that had to change (an
    attack that works in one norm only, a target it cannot take or that does not exist)."""
    info = atk.ATTACKS[v["attack"]]
    notes = []
    norm = v["norm"]
    if norm not in info.norms:
        norm = info.norms[0]
        notes.append(f"{info.label} works in {norm} only, so its budget is the {norm} ε.")
    eps = float(v["eps"] if norm == "Linf" else v["eps2"])
    steps = int(v["steps"])
    if v["alpha"] == "auto":
        alpha = 0.01 * max(1.0, eps) if v["attack"] == "cw" else atk.default_alpha(eps, steps)
    else:
        alpha = float(v["alpha"]) * eps
    target = None if v["target"] < 0 else int(v["target"])
    if target is not None and not info.targeted:
        notes.append(f"{info.label} has no targeted mode: it pushes away from the true class.")
        target = None
    if target is not None and target >= n_classes:
        notes.append(f"There is no class {target}; the attack is untargeted.")
        target = None
    return atk.AttackConfig(name=v["attack"], norm=norm, eps=eps, steps=steps, alpha=min(alpha, 10.0),
                            target=target, seed=int(v["seed"])), notes


def image_choice(v: dict, where=st) -> tuple[np.ndarray, int, str, str]:
    """(image [1, 28, 28], its label, a caption, a cache key): an upload when there is a good one
    (its label: the model's own prediction), else test image ``img``."""
    up = uploads.image_uploader("Or upload your own digit", key=UPLOAD_KEY, spec=image_io.SPECS["mnist"],
                                where=where)
    d = data()
    if up is not None:
        digest = hashlib.sha1(np.ascontiguousarray(up.x).tobytes()).hexdigest()[:16]
        note = ", colours inverted (MNIST is light ink on black)" if up.inverted else ""
        return up.x, -1, f"your {up.format} image ({up.width}×{up.height}{note})", f"upload:{digest}"
    idx = min(int(v["img"]), len(d.y_test) - 1)
    return d.x_test[idx], int(d.y_test[idx]), f"test image #{idx}, a {d.classes[int(d.y_test[idx])]}", f"test:{idx}"


@st.cache_data(max_entries=64, show_spinner=False)
def attack_one(arch: str, source: str, cfg: atk.AttackConfig, label: int, _x: np.ndarray, _model) -> atk.AttackResult:
    """One image attacked; ``label`` −1 attacks the model's own prediction. Keyed by the model,
    the image's key and the config."""
    cap_threads()
    if label < 0:
        label = int(atk.run_attack(_model, _x[None], [0], cfg.replace(eps=0.0)).clean_pred[0])
    return atk.run_attack(_model, _x[None], [label], cfg)


@st.cache_data(max_entries=64, show_spinner=False)
def trace_one(arch: str, source: str, cfg: atk.AttackConfig, label: int, _x: np.ndarray, _model) -> atk.Trace:
    """PGD step by step on one image (the budget, steps, step size and target of ``cfg``)."""
    cap_threads()
    name = "pgd" if cfg.norm == "Linf" else "pgdl2"
    alpha = cfg.alpha if cfg.name != "cw" else atk.default_alpha(cfg.eps, cfg.steps)
    pcfg = atk.AttackConfig(name=name, norm=cfg.norm, eps=cfg.eps, steps=cfg.steps, alpha=alpha, target=cfg.target,
                            seed=cfg.seed)
    return atk.pgd_trace(_model, _x[None], [label], pcfg, random_start=False)


@memo(8)
def robust_curve(arch: str, attacks: tuple, norm: str, seed: int, _model=None, _progress=None) -> atk.RobustCurve:
    cap_threads()
    d = data()
    return atk.robust_accuracy_curve(_model, d.x_test[:CURVE_IMAGES], d.y_test[:CURVE_IMAGES], attacks,
                                     CURVE_EPS[norm], norm=norm, steps=CURVE_STEPS, seed=seed, progress=_progress)


@memo(8)
def transfer(archs: tuple, cfg: atk.AttackConfig, _models=None, _progress=None) -> atk.Transfer:
    cap_threads()
    d = data()
    return atk.transfer_matrix(_models, d.x_test[:TRANSFER_IMAGES], d.y_test[:TRANSFER_IMAGES], cfg,
                               progress=_progress)


# -- the sections ------------------------------------------------------------------------------------------
def attack_section(arch: str, model, x: np.ndarray, label: int, caption: str, source: str, cfg: atk.AttackConfig,
                   classes: list[str]) -> int:
    """The attack on one image: the figure, four numbers and notes. Returns the label attacked
    (an upload's is the model's own prediction)."""
    res = attack_one(arch, source, cfg, label, x, model)
    label = int(res.labels[0])
    _, factor = atk.amplify(res.delta[0])
    st.plotly_chart(vz.attack_figure(x, res.delta[0], res.adv[0], factor, res.clean_prob[0], res.adv_prob[0],
                                     classes, label, norm=cfg.norm, eps=cfg.eps, linf=float(res.linf[0]),
                                     l2=float(res.l2[0]), attack=cfg.info.label, target=res.target),
                    key="chart_attack")
    upload = source.startswith("upload")
    c = st.columns(4)
    c[0].metric("True class", "your image" if upload else classes[label], help=caption)
    c[1].metric("Clean prediction", f"{classes[int(res.clean_pred[0])]} ({100 * res.clean_prob[0].max():.0f} %)")
    c[2].metric("Adversarial prediction", f"{classes[int(res.adv_pred[0])]} ({100 * res.adv_prob[0].max():.0f} %)",
                delta="fooled" if res.fooled[0] else "still right", delta_color="inverse" if res.fooled[0] else "off")
    c[3].metric("Attack time", f"{1000 * res.seconds:.0f} ms")
    if upload:
        st.caption("Your image has no true label here: the attack pushes away from the model's own prediction.")
    if res.projected[0]:
        st.caption(f"ℹ️ {cfg.info.label} looks for the smallest perturbation and found one of size "
                   f"{res.raw_norm[0]:.3g}, beyond the budget: it was scaled back onto the ε-ball.")
    st.caption(f"{cfg.info.line} The perturbation is shown amplified ×{factor:.3g} so that its largest pixel spans "
               "the full colour range (orange darkens a pixel, blue brightens it).")
    return label


def trace_section(arch: str, model, x: np.ndarray, label: int, source: str, cfg: atk.AttackConfig,
                  classes: list[str]) -> None:
    tr = trace_one(arch, source, cfg, label, x, model)
    st.plotly_chart(vz.trace_figure(tr.objective[:, 0], tr.loss[:, 0], tr.probs[:, 0], tr.preds[:, 0], classes,
                                    label, tr.target, cfg.eps), key="chart_trace")
    st.caption(f"Projected gradient ascent from the clean image with this budget ({cfg.norm}, ε = {cfg.eps:g}): "
               f"{cfg.steps} steps of {cfg.alpha:.3g}, each along the gradient's sign (L∞) or direction (L2), then "
               "back into the ε-ball and into [0, 1].")


def curve_section(arch: str, model, chosen: tuple, cfg: atk.AttackConfig) -> None:
    """Robust accuracy against ε for the chosen attacks that work in ``cfg.norm``, on a button."""
    usable = tuple(a for a in chosen if cfg.norm in atk.ATTACKS[a].norms)
    dropped = [atk.ATTACKS[a].label for a in chosen if a not in usable]
    if dropped:
        st.caption(f"ℹ️ Left out in {cfg.norm}: {', '.join(dropped)} (another norm).")
    if not usable:
        return
    key = (arch, usable, cfg.norm, cfg.seed)
    if not (st.button(f"Attack {CURVE_IMAGES} test images at {len(CURVE_EPS[cfg.norm])} budgets",
                      key="adv_run_curve") or st.session_state.get("_adv_curve") == key):
        st.caption("Runs on demand: a few seconds per gradient attack for LeNet, Square (500 queries per image) "
                   "about ten times that, longer for the bigger models.")
        return
    bar, prog = progress_bar("Attacking…")
    curve = robust_curve(arch, usable, cfg.norm, cfg.seed, _model=model, _progress=prog)
    bar.empty()
    st.session_state["_adv_curve"] = key
    st.plotly_chart(vz.robust_curve_figure(curve.eps, [atk.ATTACKS[a].label for a in curve.attacks], curve.acc,
                                           norm=curve.norm, n=curve.n, steps=curve.steps, model=ARCH_LABEL[arch]),
                    key="chart_curve")
    st.caption(f"Every point attacks the same {curve.n} test images ({CURVE_STEPS} steps, step 2.5·ε/steps). Clean "
               f"accuracy {100 * curve.clean_acc:.1f} %. An attack that scores higher is simply weaker; the model's "
               "robustness is at most the lowest curve.")


def transfer_section(archs: tuple, cfg: atk.AttackConfig) -> None:
    """The transfer matrix between ``archs`` for ``cfg``'s attack, on a button."""
    missing = [ARCH_LABEL[a] for a in archs if not available(a)]
    text = f"Attack {TRANSFER_IMAGES} images on each model" + (f" (trains {', '.join(missing)} first)"
                                                               if missing else "")
    key = (archs, cfg)
    if not (st.button(text, key="adv_run_transfer") or st.session_state.get("_adv_transfer") == key):
        return
    models = {ARCH_LABEL[a]: session_model(a) for a in archs}
    bar, prog = progress_bar(f"Crafting {cfg.info.label} on each model…")
    tm = transfer(archs, cfg, _models=models, _progress=prog)
    bar.empty()
    st.session_state["_adv_transfer"] = key
    st.plotly_chart(vz.transfer_figure(list(tm.names), tm.acc, tm.clean, attack=cfg.info.label, eps=cfg.eps,
                                       norm=cfg.norm), key="chart_transfer")
    st.caption("Rows: the model the attack saw (white box). Columns: the model tested. Off the diagonal the attacker "
               "never looked at the tested model: how far its accuracy falls there is the transfer — usually far less "
               "than white box, more with a larger ε or a momentum attack (MI-FGSM).")


# -- adversarial training, live --------------------------------------------------------------------------
def training_config(v: dict) -> at.Config:
    lenet = v["at_arch"] == "lenet"  # a conv net costs several times more per image: smaller epochs
    return at.Config(arch=v["at_arch"], eps=float(v["at_eps"]), steps=3, eval_steps=10, lr=2e-3, batch_size=64,
                     n_train=512 if lenet else 1024, n_eval=200 if lenet else 256, seed=int(v["seed"]))


def training_data() -> at.Data:
    d = data()
    return at.Data(d.x_train, d.y_train, d.x_test, d.y_test)


def render_training(cfg: at.Config):
    """The frame renderer for :func:`explorer.ui.live.player`."""

    def draw(snap: at.Snapshot, run: live.Run) -> None:
        # No st.columns in here: charts in columns of a rerunning fragment remount and flicker.
        s, a = 0, 1
        st.markdown(
            f"#### Epoch {snap.epoch:,} · standard: clean **{100 * snap.clean_acc[s]:.0f} %**, robust "
            f"**{100 * snap.robust_acc[s]:.0f} %** · PGD-AT: clean **{100 * snap.clean_acc[a]:.0f} %**, robust "
            f"**{100 * snap.robust_acc[a]:.0f} %**")
        if snap.epoch:
            st.caption(f"Last epoch's compute: standard {snap.seconds[s]:.2f} s, PGD-AT {snap.seconds[a]:.2f} s — "
                       f"each adversarial step first runs a {cfg.steps}-step attack.")
        h = run.trainer.curves(snap.epoch)
        st.plotly_chart(vz.training_figure(h["epoch"], h["clean"], h["robust"], h["train"], eps=cfg.eps),
                        key="chart_adv_training", config={"displayModeBar": False})

    return draw
