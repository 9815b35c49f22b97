"""Adversarial examples (§8.1): attacks on a zoo model, PGD step by step, robust accuracy, transfer, PGD-AT live."""
import streamlit as st

from explorer.engines import adv_training as at
from explorer.ui import adversarial_view as view
from explorer.ui import layout, live, params

layout.header(view.PAGE, "Pick an attack and a budget ε and watch a tiny perturbation flip the prediction; see PGD "
              "climb the loss step by step, how accuracy collapses as ε grows, whether an attack transfers to "
              "another model — then press ▶ Play to train a robust network beside a standard one.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME
v = params.current(view.SPEC)

with st.sidebar:
    st.header("Model and image")
    params.widget(W["model"])
    params.widget(W["img"])
    x, label, caption, source = view.image_choice(v)
    st.header("Attack")
    for name in ("attack", "norm"):
        params.widget(W[name])
    params.widget(W["eps"], disabled=v["norm"] != "Linf")
    params.widget(W["eps2"], disabled=v["norm"] != "L2")
    for name in ("steps", "alpha", "target", "seed"):
        params.widget(W[name])
v = params.current(view.SPEC)
query = params.sync_to_url(view.PAGE, view.SPEC)
params.share_box(query, view.PAGE, st.columns([4, 1])[1])

arch = v["model"]
model = None
if view.available(arch):
    model = view.session_model(arch)
else:
    st.info(f"The reference {view.ARCH_LABEL[arch]} is not trained on this server yet: that takes a minute or two, "
            "once (then it is cached on disk for everyone).", icon="🧰")
    if st.button(f"Train the reference {view.ARCH_LABEL[arch]} now", key="adv_train_reference"):
        view.reference(arch)
        st.rerun()

st.subheader("1 · One image, one attack")
classes = list(view.data().classes)
cfg, notes = view.attack_config(v, len(classes))
for note in notes:
    st.caption("ℹ️ " + note)
if model is not None:
    label = view.attack_section(arch, model, x, label, caption, source, cfg, classes)
    st.subheader("2 · PGD, step by step")
    view.trace_section(arch, model, x, label, source, cfg, classes)

st.subheader("3 · Robust accuracy as ε grows")
params.widget(W["curve"])
v = params.current(view.SPEC)
for p in params.invalid(view.SPEC):
    st.caption(f"ℹ️ {p.label}: choose at least one; using the default meanwhile.")
if model is not None:
    view.curve_section(arch, model, v["curve"], cfg)

st.subheader("4 · Transfer: craft on one model, test on another")
params.widget(W["others"])
v = params.current(view.SPEC)
if model is not None:
    view.transfer_section(tuple(dict.fromkeys((arch,) + tuple(v["others"]))), cfg)

st.subheader("5 · Adversarial training, live")
st.caption("Two copies of one network start from the same weights and see the same batches. The standard one trains "
           "on clean images; PGD-AT first attacks each batch (3 PGD steps at the training ε) and trains on the "
           "result. After each epoch (1,024 training images; 512 for LeNet) both are tested on 256 test images "
           "(200 for LeNet), clean and under a 10-step PGD at the same ε.")
c = st.columns([1.2, 1.5])
params.widget(W["at_arch"], c[0])
params.widget(W["at_eps"], c[1])
v = params.current(view.SPEC)
tcfg = view.training_config(v)
run = live.session_run(view.PAGE, tcfg, lambda: at.Trainer(tcfg, view.training_data()))
c = st.columns([3, 1.4])
with c[0]:
    live.controls(view.PAGE, run, v["speed"])
params.widget(W["speed"], c[1])
live.player(view.PAGE, run, v["speed"], view.render_training(tcfg), frame_s=0.6)

layout.explain("adversarial examples and adversarial training", [
    "An **adversarial example** is x' = x + δ with a small δ — ‖δ‖∞ ≤ ε (no pixel moves more than ε) or "
    "‖δ‖₂ ≤ ε — that changes the prediction. Attacks maximize the loss L (cross-entropy) inside that ball:",
    ("latex", r"\max_{\|\delta\|\le\varepsilon,\; x+\delta\in[0,1]^d} \; L\big(f(x+\delta),\, y\big)"),
    "**FGSM** takes one step along the sign of the gradient (the best step for a linear model under L∞):",
    ("latex", r"x' = \operatorname{clip}_{[0,1]}\big(x + \varepsilon\,\operatorname{sign}\nabla_x L(f(x), y)\big)"),
    "**PGD** repeats small steps of size α and projects back onto the ball Π after each (BIM without the random "
    "start); the L2 version steps along ∇/‖∇‖₂ and rescales δ to length ε when it is longer:",
    ("latex", r"x^{t+1} = \Pi_{B_\varepsilon(x)\cap[0,1]^d}\Big(x^t + \alpha\,\operatorname{sign}\nabla_x "
              r"L(f(x^t), y)\Big)"),
    "A **targeted** attack descends the loss of the target class t instead: it maximizes −L(f(x + δ), t). "
    "**CW** minimizes ‖δ‖₂² + c·max(z_y − max_{j≠y} z_j, −κ) (z: the logits); **DeepFool** steps to "
    "the nearest linearized boundary. Both find small perturbations without a budget; here they are scaled back "
    "to ε. **Square** uses no gradients at all, only the model's answers; **AutoAttack** runs APGD-CE, APGD-T, FAB-T "
    "and Square in turn and keeps the first success.",
    "**Robust accuracy** at ε is the accuracy when every test image is attacked — an upper bound on the true "
    "robust accuracy, since a stronger attack can only lower it.",
    "**Adversarial training** (Madry et al. 2018) trains on the worst case PGD finds, a min-max problem:",
    ("latex", r"\min_\theta\; \mathbb{E}_{(x,y)}\Big[\max_{\|\delta\|_\infty\le\varepsilon} "
              r"L\big(f_\theta(x+\delta), y\big)\Big]"),
    "It costs one attack per batch (here 3 extra forward-backward passes) and usually some clean accuracy: "
    "robustness and accuracy trade off.",
])
layout.presets(view.PAGE, [
    ("PGD instead of FGSM", "20 steps inside the same ε = 0.1 box: more images fall.",
     {"attack": "pgd", "steps": "20"}),
    ("Make it a 3", "Targeted PGD with a larger box steers the digit to a 3.",
     {"attack": "pgd", "target": "3", "eps": "0.2", "steps": "50"}),
    ("Carlini–Wagner in L2", "CW finds a small L2 perturbation; the budget caps it at 2.",
     {"attack": "cw", "norm": "L2", "eps2": "2", "steps": "100"}),
    ("Black box", "Square Attack: 5,000 queries, no gradients.", {"attack": "square", "steps": "100", "eps": "0.2"}),
    ("Noise is not an attack", "Random noise as large as the attack changes nothing.",
     {"attack": "noise", "eps": "0.2", "curve": "fgsm,pgd,noise"}),
    ("Transfer with momentum", "MI-FGSM at ε = 0.3: run the transfer matrix; compare with PGD at the same ε.",
     {"attack": "mifgsm", "eps": "0.3", "steps": "10"}),
    ("Robust training at 0.3", "PGD-AT with a big box: watch clean accuracy pay for robustness.",
     {"at_eps": "0.3"}),
])
