"""The from-scratch page's own behaviour: the gradient-check table, stepping both networks,
the code shown is the code that runs, digits, divergence, a finished run."""
import base64
import inspect
import json
import re

import numpy as np

from explorer.engines import from_scratch as fs
from tests.pages.test_pages import problems, run_page

PAGE = "from_scratch"


def text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def epoch_shown(at) -> int:
    return int(re.search(r"Epoch ([\d,]+) of", text(at)).group(1).replace(",", ""))


def check_rows(at) -> list[dict]:
    return at.dataframe[0].value.to_dict("records")


def chart(at) -> dict:
    """The training figure's JSON (the first plotly chart on the page)."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def values(v) -> np.ndarray:
    """A plotly JSON array, plain or base64-typed ({"dtype", "bdata", "shape"})."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        return a.reshape([int(s) for s in str(shape).split(",")]) if shape else a
    return np.asarray(v, dtype=float)


def test_defaults_show_a_passing_gradient_check_for_every_parameter():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    rows = check_rows(at)
    assert [r["parameter"] for r in rows] == list(fs.PARAM_NAMES)
    for r in rows:
        fd = float(r["NumPy vs finite differences"].split()[-1])
        auto = float(r["NumPy vs PyTorch autograd"].split()[-1])
        assert r["NumPy vs finite differences"].startswith("✅") and fd <= 1e-7
        assert r["NumPy vs PyTorch autograd"].startswith("✅") and auto <= 1e-12


def test_step_trains_both_networks_and_their_curves_coincide():
    at = run_page(PAGE)
    assert epoch_shown(at) == 0
    for _ in range(2):
        at.button(key="step:from_scratch").click().run()
    assert problems(at) == [] and epoch_shown(at) == 2
    gap = float(re.search(r"largest loss gap over all [\d,]+ steps \*\*([^*]+)\*\*", text(at)).group(1))
    assert gap <= 1e-12
    spec = chart(at)
    traces = {t.get("name"): t for t in spec["data"]}
    a, b = values(traces["NumPy network"]["y"]), values(traces["PyTorch twin"]["y"])
    assert len(a) == 2 and np.max(np.abs(a - b)) <= 1e-12
    at.button(key="reset:from_scratch").click().run()
    assert epoch_shown(at) == 0


def test_the_code_shown_is_the_engines_source():
    at = run_page(PAGE)
    shown = " ".join(c.value for c in at.code)
    for fn in (fs.forward, fs.softmax_cross_entropy, fs.backward, fs.sgd_step, fs.init_params):
        assert inspect.getsource(fn).strip() in shown, fn.__name__
    assert "class TorchTwin(nn.Module)" in shown and "torch.optim.SGD" in inspect.getsource(fs.Trainer)
    assert any("∂" in e.value or r"\partial" in e.value for e in at.get("latex") or [])


def test_digits_show_a_confusion_matrix_and_disable_the_2d_knobs():
    at = run_page(PAGE, {"dataset": "digits", "hidden": "8", "batch_size": "256"})
    assert problems(at) == []
    at.button(key="step:from_scratch").click().run()
    spec = chart(at)
    heat = spec["data"][0]
    assert heat["type"] == "heatmap" and values(heat["z"]).shape == (10, 10)
    assert values(heat["z"]).sum() == round(fs.TEST_SHARE * 1797)  # every test image counted once
    assert at.slider(key="n_points").disabled and at.slider(key="noise").disabled
    assert "64 inputs, 10 classes" in " ".join(c.value for c in at.caption)


def test_a_too_small_epsilon_fails_the_finite_difference_check_only():
    at = run_page(PAGE, {"fd_step": "1e-12"})
    rows = check_rows(at)
    assert any(r["NumPy vs finite differences"].startswith("❌") for r in rows)
    assert all(r["NumPy vs PyTorch autograd"].startswith("✅") for r in rows)


def test_a_diverging_run_says_so_and_stops():
    at = run_page(PAGE, {"learning_rate": "30", "activation": "relu", "hidden": "32"})
    at.button(key="step:from_scratch").click().run()
    assert problems(at) == []
    assert any("diverged" in w.value for w in at.warning)
    at.run()
    assert at.button(key="play:from_scratch").disabled and at.button(key="step:from_scratch").disabled
    assert any("no longer finite" in i.value for i in at.info) or at.dataframe


def test_play_on_a_finished_run_explains_instead_of_spinning():
    at = run_page(PAGE, {"epochs": "5", "n_points": "60"})
    for _ in range(5):
        at.button(key="step:from_scratch").click().run()
    assert epoch_shown(at) == 5 and "finished" in text(at)
    at.button(key="play:from_scratch").click().run()
    assert problems(at) == []
    assert any("finished its 5 epochs" in i.value for i in at.info)
    assert at.session_state["_run:from_scratch"].playing is False
