"""The regularization page's own behaviour: stepping, each technique's views, run keys."""
import json
import re

import pytest

from tests.pages.test_pages import problems, run_page

STEP = "step:regularization"


def epoch_shown(at) -> int:
    text = " ".join(m.value for m in at.markdown)
    return int(re.search(r"Epoch ([\d,]+)", text).group(1).replace(",", ""))


def traces(at) -> dict[str, list[str]]:
    """Chart key → names of its traces."""
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out[el.proto.id] = [t.get("name", "") for t in spec["data"]]
    return out


def all_names(at) -> set[str]:
    return {n for names in traces(at).values() for n in names}


def test_step_trains_one_epoch_and_reset_goes_back():
    at = run_page("regularization")
    assert epoch_shown(at) == 0 and problems(at) == []
    at.button(key=STEP).click().run()
    at.button(key=STEP).click().run()
    assert epoch_shown(at) == 2 and problems(at) == []
    table = " ".join(m.value for m in at.markdown)
    assert "| none |" in table and "| L1 |" in table and "| L2 |" in table
    at.button(key="reset:regularization").click().run()
    assert epoch_shown(at) == 0


@pytest.mark.parametrize("query,expect", [
    ({}, {"none", "L1", "L2", "training points"}),
    ({"technique": "dropout"}, {"dropout (eval mode)", "dropout, train mode (units dropped)"}),
    ({"technique": "early_stopping"}, {"none", "kept by early stopping"}),
    ({"technique": "augmentation"}, {"augmented", "what augmented trains on"}),
    ({"technique": "mixup", "task": "classification"}, {"mixup", "what it trains on", "class 1"}),
    ({"technique": "ensemble"}, {"member 1", "member 5", "ensemble average", "mean ± 2 std"}),
    ({"technique": "ensemble", "task": "classification", "members": "3"}, {"member 3", "ensemble average"}),
])
def test_each_technique_draws_its_models(query, expect):
    at = run_page("regularization", query)
    at.button(key=STEP).click().run()
    assert problems(at) == []
    assert expect <= all_names(at)


def test_penalty_shows_weight_histograms_and_classification_a_reliability_diagram():
    at = run_page("regularization", {"task": "classification"})
    at.button(key=STEP).click().run()
    names = traces(at)
    joined = " ".join(" ".join(v) for v in names.values())
    assert "perfectly calibrated" in joined and "ECE" in joined
    assert any(set(v) >= {"none", "L1", "L2"} and len(v) == 4 for v in names.values())  # histograms + bars


def test_label_smoothing_runs_on_classification_with_calibration():
    at = run_page("regularization", {"technique": "label_smoothing", "task": "regression"})
    at.button(key=STEP).click().run()
    assert problems(at) == []
    assert any("2-D classification" in c.value for c in at.caption)
    names = all_names(at)
    assert "smoothed" in names and "perfectly calibrated" in names
    assert any(n.startswith("smoothed · ECE") for n in names)


def test_another_techniques_control_does_not_restart_the_run():
    at = run_page("regularization")
    at.button(key=STEP).click().run()
    at.button(key=STEP).click().run()
    at.session_state["dropout"] = 0.5  # not this run's technique
    at.run()
    assert epoch_shown(at) == 2
    at.session_state["lam"] = 0.1  # this run's own control: a new run
    at.run()
    assert epoch_shown(at) == 0 and problems(at) == []


def test_early_stopping_reports_where_it_would_stop():
    at = run_page("regularization", {"technique": "early_stopping", "patience": "10"})
    for _ in range(3):
        at.button(key=STEP).click().run()
    text = " ".join(c.value for c in at.caption)
    assert "early stopping" in text.lower() and problems(at) == []
