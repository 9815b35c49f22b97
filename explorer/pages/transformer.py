"""Transformers (§4.6): attention step by step, positions, masks, a tiny transformer live,
BERT/GPT/T5 objectives, and a ViT."""
import streamlit as st

from explorer.engines import pretraining as pt
from explorer.engines import transformer as tr
from explorer.engines import vit
from explorer.engines.device import cap_threads
from explorer.ui import layout, live, params
from explorer.ui import transformer_view as view

layout.header(view.PAGE, "Follow one attention layer matrix by matrix on your own sentence, then open ④ and press "
              "▶ Play: a tiny transformer learns to reverse digits while you watch its attention maps form.")
params.show_notices(params.sync_from_url(view.PAGE, view.SPEC))
W = view.BY_NAME
cap_threads()
v = params.current(view.SPEC)
for p in params.invalid(view.SPEC):
    st.warning(f"{p.label}: that text cannot be used (empty, longer than {p.max_len} characters, or characters "
               f"other than {view.ALLOWED[p.name]}); showing the default meanwhile.", icon="✏️")
query = params.sync_to_url(view.PAGE, view.SPEC)
c = st.columns([5, 1])
params.widget(W["section"], c[0])
params.share_box(query, view.PAGE, c[1])
section = v["section"]
text = v["text"]
try:
    tr.words(text)
except ValueError as e:
    if section in ("attention", "masks"):
        st.warning(f"{e}; showing the default sentence meanwhile.", icon="✏️")
    text = W["text"].default

if section == "attention":
    c = st.columns([3, 1.2, 1.2])
    for col, name in zip(c, ("text", "heads", "causal")):
        params.widget(W[name], col)
    s = view.steps(text, v["heads"], v["causal"])
    view.render_steps(s, v["heads"], v["causal"])
    st.subheader("Multi-head attention")
    st.caption(f"The {tr.STEP_D} dimensions are split into {v['heads']} head(s) of {tr.STEP_D // v['heads']}: each "
               "head has its own slice of Q, K and V, so each can look for something different. Their outputs are "
               "put side by side and mixed by one more matrix W_O.")
    view.render_multihead(s, v["heads"], v["causal"])

elif section == "positions":
    st.caption("Attention itself ignores order: shuffle the words and each output row is just shuffled along. "
               "Positions are put back in one of three ways.")
    params.widget(W["pe_dim"])
    pos = view.positions(v["pe_dim"])
    st.plotly_chart(view.vz.sinusoidal_figure(pos["pe"], pos["sim"]), key="chart_sinusoidal")
    st.caption("Low dimensions change fast, high ones slowly, like the hands of a clock. The dot product of two "
               "positions depends only on how far apart they are (stripes parallel to the diagonal), and "
               "PE[p + k] is a fixed rotation of PE[p] for every p.")
    st.plotly_chart(view.vz.rope_figure(pos["tracks"], [f"pair {i}" for i in pos["pairs"]], pos["rope"]),
                    key="chart_rope")
    st.caption("RoPE adds nothing to the token: inside attention it rotates every pair of query and key "
               "coordinates by position × its own frequency. Rotations keep lengths, and a query at m against a "
               "key at m′ is rotated by m − m′ in total, so the score sees only the offset.")
    trained, fresh = view.ensure(view.learned_positions, view.PRE, "Training BERT, GPT and T5 on the toy corpus…")
    st.plotly_chart(view.vz.learned_figure(trained, fresh), key="chart_learned")
    st.caption("Learned positions are just one more embedding table, indexed by place. Random at first; after "
               "training (here: the GPT of section ⑤) neighbouring positions tend to end up more alike than "
               "distant ones. A learned table has no row for a position it never saw.")

elif section == "masks":
    st.caption(f"Masks on the sentence of ①: **{text}**, padded with two ⟨pad⟩ tokens as in a batch of "
               "sentences of different lengths.")
    s = view.steps(text, v["heads"], True)
    view.render_masks(s)
    causal, bidir = view.future(text, v["heads"])
    st.plotly_chart(view.vz.future_figure(list(s.tokens), causal, bidir), key="chart_future")
    before = causal[:-1].max() if len(causal) > 1 else 0.0
    st.caption(f"The sentence of ① with only its last word swapped. Causal attention: the largest change at "
               f"any earlier position is **{before:.1g}** (exactly zero: the softmax gives masked keys weight 0, "
               f"not a small number). Bidirectional attention: every position moves (up to {bidir.max():.2g}).")

elif section == "train":
    c = st.columns(4)
    for col, name in zip(c + c[:3], ("task", "length", "layers", "nheads", "pos", "lr", "seed")):
        params.widget(W[name], col)
    cfg = view.run_config(v)
    data = view.data_for(cfg.task, cfg.length, cfg.seed)
    params.widget(W["probe"])
    parsed, problem = view.probe_for(cfg, data, v["probe"])
    if problem:
        st.warning(f"**{v['probe']}** cannot be read for {view.TASK_LABELS[cfg.task]}: {problem}. Type "
                   f"{view.PROBE_HINT[cfg.task]}. Showing the held-out example `{''.join(parsed.symbols)}` "
                   "meanwhile.", icon="✏️")
    elif cfg.task in ("copy", "reverse", "sort") and len(parsed.symbols) != cfg.length:
        st.caption(f"ℹ️ The model trains on {cfg.length} digits; {len(parsed.symbols)} is outside what it saw.")
    run = live.session_run(view.PAGE, cfg, lambda: tr.Trainer(cfg, data))
    run.trainer.set_probe(parsed.src, parsed.steps)
    c = st.columns([3, 1.4])
    with c[0]:
        live.controls(view.PAGE, run, v["speed"])
    params.widget(W["speed"], c[1])
    st.caption(f"An encoder-decoder: {cfg.layers} encoder and {cfg.layers} decoder layer(s), width {cfg.d_model}, "
               f"{cfg.heads} head(s), {tr.POS_LABELS[cfg.pos].lower()} positions; {len(data.src):,} training "
               f"examples, {len(data.test_src)} held out. Every step: {cfg.updates} Adam updates (teacher forcing), "
               f"then greedy decoding of {tr.N_GREEDY} held-out inputs. Rows of each map are queries, columns keys.")
    live.player(view.PAGE, run, v["speed"], view.render_live(cfg, parsed, data), frame_s=0.6)

elif section == "objectives":
    params.widget(W["sentence"])
    res = view.ensure(view.pretrained, view.PRE, "Training BERT, GPT and T5 on the toy corpus…")
    try:
        words = pt.tokenize(v["sentence"])
    except ValueError as e:
        st.warning(f"{str(e).split(': ', 1)[-1]}. Showing the default sentence meanwhile.", icon="✏️")
        words = pt.tokenize(W["sentence"].default)
    pred = view.predictions(view.PRE, tuple(words))
    st.caption(f"One corpus of {view.PRE.n_sentences:,} sentences from a tiny grammar (each animal eats its own "
               "food; verbs agree with the subject), three objectives, the same small transformer size "
               f"({view.PRE.layers} layers, width {view.PRE.d_model}) and {view.PRE.steps} updates each.")
    st.plotly_chart(view.vz.objectives_figure(words, *view.true_probs(words, pred)), key="chart_objectives")
    st.dataframe(view.pretrain_rows(words, pred["bert"], pred["gpt"]), hide_index=True, width="stretch")
    st.markdown("**T5**, span corruption: " + "  \n".join(view.t5_lines(pred["t5"])))
    st.plotly_chart(view.vz.pretrain_losses_figure(res.losses, pt.LABELS), key="chart_pretrain_losses")

else:
    c = st.columns(2)
    params.widget(W["patch"], c[0])
    params.widget(W["digit"], c[1])
    vcfg = vit.Config(patch=v["patch"])
    trained_vit = view.ensure(view.vit_trained, vcfg, f"Training a ViT with {vcfg.patch}×{vcfg.patch} patches…")
    look = view.vit_look(vcfg, v["digit"])
    st.plotly_chart(view.vz.patches_figure(look.image, look.patches, look.embedded, vcfg.patch), key="chart_patches")
    truth = int(view.vit_data().y_test[v["digit"]])
    guess = int(look.probs.argmax())
    st.markdown(f"Test image {v['digit']}: a **{truth}**; the ViT says **{guess}** ({100 * look.probs[guess]:.0f} %) "
                f"{'✅' if guess == truth else '❌'} · accuracy on {vit.N_TEST:,} held-out digits "
                f"**{100 * trained_vit.test_acc:.1f} %** after {vcfg.epochs} epochs on {vit.N_TRAIN:,} "
                f"({trained_vit.seconds:.0f} s of training).")
    st.plotly_chart(view.vz.cls_attention_figure(look.image, look.cls, look.rollout, vcfg.patch), key="chart_cls")
    st.caption("Each panel: the weights of the [CLS] token's row over the image's patches (its weight on itself "
               "is left out). Rollout multiplies the head-averaged maps of all layers, adding the residual path. "
               "Try 14×14 patches: only 4 tokens, faster to train, and on 4,000 images even more accurate; a ViT "
               "has no convolution's built-in sense of neighbourhood and must learn it from data.")
    st.plotly_chart(view.vz.vit_losses_figure(trained_vit.losses), key="chart_vit_loss")

layout.explain("attention, positions, masks and objectives", [
    "Scaled dot-product attention, for queries Q, keys K and values V (one row per token):",
    ("latex", r"\operatorname{Attention}(Q,K,V) = \operatorname{softmax}\!\Big(\frac{QK^\top}{\sqrt{d_k}} + M\Big)V,"
              r"\qquad Q = XW_Q,\ K = XW_K,\ V = XW_V"),
    "M is 0 where a query may look and −∞ where it may not; e^−∞ = 0, so masked weights are exactly zero. "
    "Dividing by √d_k keeps the scores' spread near 1 whatever the width (a dot product of d_k unit-variance "
    "terms has variance d_k).",
    ("latex", r"\operatorname{MultiHead}(X) = [\,\mathrm{head}_1;\dots;\mathrm{head}_h\,]\,W_O,\qquad "
              r"\mathrm{head}_i = \operatorname{Attention}(XW_Q^{(i)}, XW_K^{(i)}, XW_V^{(i)})"),
    "Sinusoidal positions and RoPE's rotation of each coordinate pair (x₂ᵢ, x₂ᵢ₊₁) at position m:",
    ("latex", r"PE_{m,2i} = \sin(m\,\omega_i),\ PE_{m,2i+1} = \cos(m\,\omega_i),\ \omega_i = 10000^{-2i/d};"
              r"\qquad \langle R_m q, R_{m'} k\rangle = \langle q, R_{m'-m} k\rangle"),
    "Masks: an **encoder** is bidirectional (only padding is masked); a **decoder** is causal (query t sees "
    "keys ≤ t), which is what lets it be trained on every position of a sequence at once and still generate "
    "left to right; **cross-attention** lets every decoder position read the whole encoded source.",
    "Objectives: **BERT** hides 15 % of the tokens ([MASK] 80 %, a random word 10 %, unchanged 10 %) and "
    "predicts them from both sides; **GPT** predicts every next token from the left only; **T5** replaces spans "
    "with sentinels and an encoder-decoder writes the missing spans:",
    ("latex", r"\mathcal L_{\text{BERT}} = -\!\!\sum_{i\in\text{masked}}\!\!\log p(x_i \mid x_{\setminus "
              r"\text{masked}}),\quad \mathcal L_{\text{GPT}} = -\sum_t \log p(x_t \mid x_{<t}),\quad "
              r"\mathcal L_{\text{T5}} = -\sum_t \log p(y_t \mid y_{<t}, \tilde x)"),
    "**ViT**: cut the image into p×p patches, map each flattened patch linearly to a token (the same as a "
    "p×p convolution with stride p), put a learned [CLS] token first, add learned positions, and classify from "
    "[CLS] after the blocks. With no convolutional prior it needs more data than a CNN of the same size.",
])
layout.presets(view.PAGE, [
    ("Reverse 8 digits", "The preset that reaches 99 % of held-out tokens in about a hundred updates; "
     "cross-attention draws the anti-diagonal.", {"section": "train"}),
    ("Copy with RoPE", "Rotary positions: cross-attention becomes a clean diagonal, the offset is all it needs.",
     {"section": "train", "task": "copy", "pos": "rope"}),
    ("Blind to order", "No positional encoding: the encoder sees a bag of digits and reverse never gets far.",
     {"section": "train", "pos": "none"}),
    ("Sort with 4 heads", "Sorting: outputs no longer follow source positions; see which digits each one reads.",
     {"section": "train", "task": "sort", "nheads": "4"}),
    ("Dates", "Read human-written dates, write ISO dates.",
     {"section": "train", "task": "date", "probe": "march 3, 1999"}),
    ("Causal, one head", "Step by step with the decoder's mask: the upper triangle turns to −∞, then 0.",
     {"causal": "1", "heads": "1"}),
    ("A plural for BERT and GPT", "Only BERT can tell the animal from the food that follows it.",
     {"section": "objectives", "sentence": "some old dogs like the bone at night ."}),
    ("Fine ViT patches", "4×4 patches: 49 tokens, a sharper map of where [CLS] looks.",
     {"section": "vit", "patch": "4"}),
    ("Modular addition", f"a + b mod {tr.MODULUS} with a quarter of the sums held out.",
     {"section": "train", "task": "modular_add", "probe": "7+12="}),
])
