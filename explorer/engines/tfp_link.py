"""TensorFlow Playground links ⇄ :class:`~explorer.engines.playground.Config`.

The peer keeps its whole state in the URL hash (``#activation=tanh&batchSize=10&…``).
:func:`parse_tfp` reads a pasted link, its ``#…`` part or the bare ``key=value&…`` text,
never raises, and reports in plain words what it could not carry over.
:func:`to_tfp_link` writes the peer's link for a configuration it can represent.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
import re
from urllib.parse import quote

from explorer.engines import playground as pg

TFP_URL = "https://playground.tensorflow.org/"
MAX_LINK_CHARS = 4000
DEFAULT_SEED = "0.88025"

# the peer's feature flags, in its input order, and ours
FEATURE_KEYS = {"x": "x", "y": "y", "xSquared": "x2", "ySquared": "y2", "xTimesY": "xy",
                "sinX": "sinx", "sinY": "siny"}
# the peer's control names → our page's control names (for the ``*_hide`` flags)
CONTROL_NAMES = {"activation": "activation", "batchSize": "batch_size", "dataset": "dataset",
                 "regDataset": "reg_dataset", "learningRate": "learning_rate",
                 "regularization": "regularization", "regularizationRate": "reg_rate",
                 "noise": "noise", "networkShape": "hidden", "seed": "seed",
                 "showTestData": "show_test", "discretize": "discretize",
                 "percTrainData": "train_ratio", "problem": "problem", "initZero": "init_zero",
                 **{k: "features" for k in FEATURE_KEYS}}
# the peer's keys with a fixed set of values → (our field, allowed values, default)
ENUMS = {"activation": ("activation", pg.ACTIVATIONS, "tanh"),
         "regularization": ("regularization", pg.REGULARIZATIONS, "none"),
         "dataset": ("dataset", ("circle", "xor", "gauss", "spiral"), "circle"),
         "regDataset": ("reg_dataset", pg.REG_DATASETS, "reg-plane"),
         "problem": ("problem", pg.PROBLEMS, "classification")}
# the peer's whole-number keys → (our field, lowest, highest) as its sliders allow
INTS = {"batchSize": ("batch_size", 1, 30), "noise": ("noise", 0, 50), "percTrainData": ("train_ratio", 10, 90)}
SAFE_SEED = re.compile(r"[A-Za-z0-9._-]+")
NO_EFFECT = {"cosX", "cosY", "collectStats"}  # in the peer's state but unused by its engine
NOT_CARRIED = {"tutorial": "its tutorial text", "hideText": "hiding the explanatory text"}


@dataclass
class TfpLink:
    """What a link opens: the config (compatible mode), display flags, hidden controls,
    and one sentence per thing that was not carried over."""

    config: pg.Config
    show_test: bool = False
    discretize: bool = False
    hidden_controls: tuple = ()
    notices: list = field(default_factory=list)


def _split(link: str) -> list[tuple[str, str]]:
    """The peer's ``deserializeState``: ``&``-separated ``key=value``, nothing URL-decoded
    (its seed is the literal text), a value ends at a second ``=``, empty values ignored
    except ``networkShape=`` (no hidden layers), which the peer reads as an empty list."""
    text = link.strip()
    if "#" in text:
        text = text.split("#", 1)[1]
    elif "?" in text:
        text = text.split("?", 1)[1]
    elif re.match(r"^[a-z]+://", text, re.I):
        return []  # a link without its #… state carries no settings
    pairs = []
    for part in text.split("&"):
        key, _, rest = part.partition("=")
        value = rest.split("=")[0]
        if key and (value or key == "networkShape"):  # an empty networkShape is no hidden layer
            pairs.append((key, value))
    return pairs


def _number(value: str) -> float | None:
    try:
        v = float(value)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _clamp_int(name: str, value: str, lo: int, hi: int, notices: list) -> int | None:
    v = _number(value)
    if v is None:
        notices.append(f"{name}={value!r} is not a number; kept the default.")
        return None
    r = int(round(v))
    if r != v:
        notices.append(f"{name}={value} is not a whole number; using {r}.")
    if not lo <= r <= hi:
        c = min(hi, max(lo, r))
        notices.append(f"{name}={r} is outside {lo}..{hi}; using {c}.")
        r = c
    return r


def parse_tfp(link: str) -> TfpLink:
    """Parse a TensorFlow Playground link (or its hash) into a compatible-mode config."""
    notices: list[str] = []
    link = str(link or "")
    if len(link) > MAX_LINK_CHARS:
        notices.append(f"The link was longer than {MAX_LINK_CHARS} characters; read only its start.")
        link = link[:MAX_LINK_CHARS]
    kw: dict = {"compat": True, "seed": None}
    feats = {"x": True, "y": True}  # the peer's defaults
    show_test = discretize = False
    hidden: list[str] = []
    pairs = _split(link)
    for key, value in pairs:
        flag = value != "false"  # the peer reads every other value as true
        if key.endswith("_hide"):
            base = key[: -len("_hide")]
            if base in CONTROL_NAMES and value == "true":
                hidden.append(CONTROL_NAMES[base])
            elif base not in CONTROL_NAMES:
                notices.append(f"Ignored {key}: no such control.")
            continue
        if key in ENUMS:
            ours, allowed, default = ENUMS[key]
            if value in allowed:
                kw[ours] = value
            else:
                notices.append(f"{key}={value[:40]!r} is unknown; kept {default}.")
        elif key in INTS:
            ours, lo, hi = INTS[key]
            v = _clamp_int(key, value, lo, hi, notices)
            if v is not None:
                kw[ours] = v
        elif key in ("learningRate", "regularizationRate"):
            v = _number(value)
            lo, hi, ours, dflt = ((1e-6, 10.0, "learning_rate", 0.03) if key == "learningRate"
                                  else (0.0, 10.0, "reg_rate", 0.0))
            if v is None:
                notices.append(f"{key}={value!r} is not a number; kept {dflt}.")
            else:
                c = min(hi, max(lo, v))
                if c != v:
                    notices.append(f"{key}={v:g} is outside [{lo:g}, {hi:g}]; using {c:g}.")
                kw[ours] = c
        elif key == "networkShape":
            kw["hidden"] = _shape(value, notices)
        elif key == "seed":
            if not value:
                notices.append("seed is empty; used the default seed.")
            elif len(value) > pg.MAX_SEED_LEN:
                notices.append(f"seed is longer than {pg.MAX_SEED_LEN} characters; used its first "
                               f"{pg.MAX_SEED_LEN} (the data and weights differ from the peer's).")
                kw["seed"] = value[: pg.MAX_SEED_LEN]
            else:
                kw["seed"] = value
        elif key in FEATURE_KEYS:
            feats[key] = flag
        elif key == "showTestData":
            show_test = flag
        elif key == "discretize":
            discretize = flag
        elif key == "initZero":
            kw["init_zero"] = flag
        elif key in NO_EFFECT:
            continue
        elif key in NOT_CARRIED:
            if flag:
                notices.append(f"Not carried over: {NOT_CARRIED[key]} ({key}).")
        else:
            shown = key if len(key) <= 40 else key[:40] + "…"
            notices.append(f"Ignored unknown key {shown!r}.")
    chosen = tuple(FEATURE_KEYS[k] for k in FEATURE_KEYS if feats.get(k))
    if not chosen:
        notices.append("The link enables no input feature; using x₁ and x₂.")
        chosen = ("x", "y")
    kw["features"] = chosen
    if not pairs and link.strip():
        notices.append("The link carries no settings (no #… part); opened the peer's defaults.")
    if kw["seed"] is None:
        notices.append(f"The link has no seed (the peer would pick a random one); using {DEFAULT_SEED}.")
        kw["seed"] = DEFAULT_SEED
    try:
        cfg = pg.Config(**kw)
    except ValueError as err:  # a combination no single check above caught
        notices.append(f"Could not use the link's settings ({err}); opened the defaults.")
        cfg = pg.Config(compat=True, seed=kw["seed"])
    return TfpLink(cfg, show_test, discretize, tuple(dict.fromkeys(hidden)), notices)


def _shape(value: str, notices: list) -> tuple:
    if value == "":
        return ()
    out = []
    parts = value.split(",")
    if len(parts) > pg.MAX_LAYERS:
        notices.append(f"networkShape has {len(parts)} layers; kept the first {pg.MAX_LAYERS}.")
        parts = parts[: pg.MAX_LAYERS]
    for p in parts:
        v = _number(p)
        if v is None:
            notices.append(f"networkShape entry {p[:20]!r} is not a number; skipped it.")
            continue
        c = min(pg.MAX_NEURONS, max(1, int(round(v))))
        if c != v:
            notices.append(f"networkShape entry {p[:20]} is not a whole number in 1..{pg.MAX_NEURONS}; using {c}.")
        out.append(c)
    return tuple(out)


def representable(cfg: pg.Config) -> str | None:
    """None if the peer can show this configuration, else the reason it cannot."""
    if cfg.multiclass:
        return "it has two classes only"
    if cfg.loss != "squared":
        return "it trains with squared error only"
    if cfg.optimizer != "sgd":
        return "it has plain SGD only"
    if cfg.dropout > 0:
        return "it has no dropout"
    if not SAFE_SEED.fullmatch(cfg.seed):
        return "its links carry the seed literally, so a seed needs only letters, digits, '.', '_' or '-'"
    return None


def to_tfp_link(cfg: pg.Config, show_test: bool = False, discretize: bool = False,
                hidden_controls: tuple = ()) -> str | None:
    """The peer's link for this configuration, or None when it cannot represent it."""
    if representable(cfg) is not None:
        return None
    state = {
        "activation": cfg.activation, "batchSize": cfg.batch_size, "dataset": cfg.dataset,
        "regDataset": cfg.reg_dataset, "learningRate": repr(cfg.learning_rate),
        "regularizationRate": repr(cfg.reg_rate), "noise": cfg.noise,
        "networkShape": ",".join(str(h) for h in cfg.hidden), "seed": cfg.seed,
        "showTestData": show_test, "discretize": discretize, "percTrainData": cfg.train_ratio,
        **{k: (v in cfg.features) for k, v in FEATURE_KEYS.items()},
        "problem": cfg.problem, "initZero": cfg.init_zero, "regularization": cfg.regularization,
    }
    parts = [f"{k}={str(v).lower() if isinstance(v, bool) else quote(str(v), safe=',.-_')}"
             for k, v in state.items()]
    ours_to_peer = {}
    for peer, ours in CONTROL_NAMES.items():
        if ours != "features":
            ours_to_peer.setdefault(ours, peer)
    parts += [f"{ours_to_peer[h]}_hide=true" for h in hidden_controls if h in ours_to_peer]
    return TFP_URL + "#" + "&".join(parts)
