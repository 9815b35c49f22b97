"""The adversarial page's own behaviour: a link's attack in the charts, notes for attacks that cannot
follow a control, the on-demand curve and transfer, stepping the live run, presets."""
import re

import numpy as np
import pytest

from explorer.ui import adversarial_view as view
from tests.pages.test_pages import notice_text, problems, run_page
from tests.pages.plotly_read import charts_by_key as charts, by_key as chart, array as values

PAGE = "adversarial"


def names(spec: dict) -> list[str]:
    return [t.get("name", "") for t in spec["data"]]


def test_defaults_show_one_fgsm_attack_and_its_pgd_trace():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    attack = chart(at, "chart_attack")
    assert attack["layout"]["title"]["text"].startswith("FGSM · budget ε = 0.1 in L∞")
    bars = [t for t in attack["data"] if t["type"] == "bar"]
    assert [b["name"] for b in bars] == ["clean image", "adversarial image"]
    for b in bars:
        assert values(b["y"]).sum() == pytest.approx(1.0, abs=1e-6)
    first = view.data().classes[int(view.data().y_test[6])]  # the default: test image #6
    assert f"P(true class {first})" in names(chart(at, "chart_trace"))
    assert not [k for k in charts(at) if "curve" in k or "transfer" in k], "the heavy views wait for a button"
    assert "Epoch 0" in " ".join(m.value for m in at.markdown)


def test_a_link_sets_the_attack_budget_and_target():
    at = run_page(PAGE, {"attack": "pgd", "eps": "0.25", "steps": "10", "target": "3", "img": "5"})
    assert problems(at) == []
    attack = chart(at, "chart_attack")
    assert attack["layout"]["title"]["text"].startswith("PGD · budget ε = 0.25 in L∞")
    assert "target: 3" in attack["layout"]["xaxis4"]["title"]["text"]
    trace = chart(at, "chart_trace")
    assert "P(target 3)" in names(trace) and "cross-entropy, target 3" in names(trace)
    first = next(t for t in trace["data"] if t["name"] == "P(target 3)")
    assert len(values(first["y"])) == 11  # the clean image and 10 steps
    ms = {m.label: m.value for m in at.metric}
    assert ms["Adversarial prediction"].startswith("3")  # a 0.25 box is plenty to make it a 3


def test_an_attack_that_cannot_follow_the_controls_says_so():
    at = run_page(PAGE, {"attack": "fgsm", "norm": "L2", "target": "2"})
    text = " ".join(c.value for c in at.caption)
    assert "FGSM works in Linf only" in text and problems(at) == []
    at = run_page(PAGE, {"attack": "deepfool", "target": "2", "eps2": "0.5"})
    text = " ".join(c.value for c in at.caption)
    assert "DeepFool works in L2 only" in text and "no targeted mode" in text
    assert chart(at, "chart_attack")["layout"]["title"]["text"].startswith("DeepFool · budget ε = 0.5 in L2")


def test_the_robustness_curve_runs_on_the_button():
    at = run_page(PAGE, {"curve": "fgsm"})
    at.button(key="adv_run_curve").click().run()
    assert problems(at) == []
    spec = chart(at, "chart_curve")
    assert names(spec) == ["FGSM"]
    x, y = values(spec["data"][0]["x"]), values(spec["data"][0]["y"])
    np.testing.assert_allclose(x, view.CURVE_EPS["Linf"])
    assert y[0] > 90 and (np.diff(y) <= 1e-9).all() and y[-1] < y[0]
    at.run()  # a rerun keeps showing it (cached)
    assert "chart_curve" in " ".join(charts(at))


def test_transfer_with_one_model_is_the_white_box_attack():
    at = run_page(PAGE, {"others": "lenet", "attack": "pgd", "steps": "10"})
    at.button(key="adv_run_transfer").click().run()
    assert problems(at) == []
    spec = chart(at, "chart_transfer")
    z = values(spec["data"][0]["z"]) if not isinstance(spec["data"][0]["z"], list) else np.asarray(spec["data"][0]["z"])
    assert np.asarray(z).size == 1 and "LeNet-5" in spec["layout"]["title"]["text"]


def test_step_trains_both_models_one_epoch():
    at = run_page(PAGE)
    at.button(key="step:adversarial").click().run()
    assert problems(at) == []
    text = " ".join(m.value for m in at.markdown)
    assert re.search(r"Epoch 1 · standard: clean \*\*\d+ %\*\*", text)
    spec = chart(at, "chart_adv_training")
    assert len([t for t in spec["data"] if t.get("xaxis", "x") == "x"]) == 4


def test_a_hostile_image_number_is_clamped_with_a_notice():
    at = run_page(PAGE, {"img": "5000"})
    assert problems(at) == [] and "`img`" in notice_text(at)
    assert at.session_state["img"] == 999


@pytest.mark.parametrize("query", [
    {"attack": "pgd", "steps": "20"},
    {"attack": "pgd", "target": "3", "eps": "0.2", "steps": "50"},
    {"attack": "cw", "norm": "L2", "eps2": "2", "steps": "100"},
    {"attack": "square", "steps": "100", "eps": "0.2"},
    {"attack": "noise", "eps": "0.2", "curve": "fgsm,pgd,noise"},
    {"attack": "mifgsm", "eps": "0.3", "steps": "10"},
    {"at_eps": "0.3"},
])
def test_presets_render(query):
    at = run_page(PAGE, query)
    assert problems(at) == [] and not at.warning
    assert "chart_attack" in " ".join(charts(at))


def test_an_upload_has_no_label_so_the_attack_pushes_away_from_the_models_answer():
    from explorer.engines import attacks as atk
    from explorer.engines import zoo

    model = zoo.session_copy(zoo.reference_model("lenet"))
    x = view.data().x_test[6]
    cfg = atk.AttackConfig("pgd", "Linf", 0.2, 10, atk.default_alpha(0.2, 10))
    res = view.attack_one("lenet", "upload:unit-test", cfg, -1, x, model)
    assert res.labels[0] == res.clean_pred[0] and res.fooled[0]
    tr = view.trace_one("lenet", "upload:unit-test", cfg, int(res.labels[0]), x, model)
    assert tr.labels[0] == res.labels[0] and tr.loss[-1, 0] > tr.loss[0, 0]
