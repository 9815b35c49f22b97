"""The schedules page's own behaviour: the chosen schedules are drawn with the engine's values,
every run shares its seed, presets' views render, and the table reports the runs."""

import numpy as np

from explorer.engines import schedules as sch
from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import array as arr, charts

PAGE = "schedules"


def test_defaults_draw_the_engines_curves_and_a_row_per_schedule():
    at = run_page(PAGE)
    assert problems(at) == []
    lr, runs = charts(at)
    names = [t["name"] for t in lr["data"]]
    assert names == [sch.LABELS[s] for s in ("constant", "step", "cosine", "one_cycle", "warmup_cosine")]
    cos = next(t for t in lr["data"] if t["name"] == "Cosine")
    np.testing.assert_allclose(arr(cos["y"]), sch.lr_curve(sch.Config(schedule="cosine", base_lr=0.5, steps=200)))
    assert len(runs["data"]) == 3 * 5
    df = at.dataframe[0].value
    assert list(df["schedule"]) == names
    c = sch.train(sch.Config(schedule="step", base_lr=0.5, steps=200))
    row = df[df["schedule"] == sch.LABELS["step"]].iloc[0]
    assert row["final test accuracy (%)"] == round(100 * float(c.test_acc[-1]), 1)


def test_choosing_schedules_and_rates_from_a_link():
    at = run_page(PAGE, {"schedules": "warm_restarts,warmup", "base_lr": "0.1", "steps": "100",
                         "optimizer": "adam", "log_lr": "1", "warmup_frac": "0.2"})
    assert problems(at) == []
    lr, _ = charts(at)
    assert [t["name"] for t in lr["data"]] == [sch.LABELS["warm_restarts"], sch.LABELS["warmup"]]
    assert lr["layout"]["yaxis"]["type"] == "log"
    warm = arr(lr["data"][1]["y"])
    assert np.isclose(warm[0], 0.1 * 0.01) and np.allclose(warm[20:], 0.1)
    caps = " ".join(c.value for c in at.caption)
    assert "T = 100 updates" in caps and "W = 20 updates" in caps


def test_every_run_starts_from_the_same_network():
    at = run_page(PAGE, {"schedules": "constant,warmup,one_cycle", "steps": "60"})
    _, runs = charts(at)
    first_test_loss = {t["name"]: arr(t["y"])[0] for t in runs["data"] if t.get("yaxis") == "y2"}
    assert len(set(first_test_loss.values())) == 1


def test_presets_render():
    for query in ({"base_lr": "1"}, {"optimizer": "adam", "base_lr": "0.3",
                                     "schedules": "constant,warmup,warmup_cosine", "warmup_frac": "0.2"}):
        at = run_page(PAGE, query)
        assert problems(at) == [] and len(charts(at)) == 2
