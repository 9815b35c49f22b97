"""The optimizers page's own behaviour: the race steps and resets, tabs open from links,
custom starts are clamped with a note, divergence is reported, the numbers shown are the engine's."""
import re

import numpy as np

from explorer.engines import optimizers as opt
from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import array as arr, charts

PAGE = "optimizers"


def step_shown(at) -> int:
    text = " ".join(m.value for m in at.markdown)
    return int(re.search(r"Step ([\d,]+) of", text).group(1).replace(",", ""))


def test_race_steps_and_resets_and_shows_the_engines_numbers():
    at = run_page(PAGE)
    assert problems(at) == [] and step_shown(at) == 0
    for _ in range(3):
        at.button(key=f"step:{PAGE}").click().run()
    assert step_shown(at) == 3 and problems(at) == []
    r = opt.race(opt.RaceConfig())  # the page's defaults: Beale, tuned rates, 7 racers
    text = " ".join(m.value for m in at.markdown)
    k = r.names.index("momentum")
    assert f"Momentum **{r.losses[k, 3]:.2g}**" in text
    fig = charts(at)[0]
    solid = [t for t in fig["data"] if t.get("name") == "Momentum"]
    assert len(solid) == 1 and len(arr(solid[0]["x"])) == 4  # drawn up to step 3
    np.testing.assert_allclose(arr(solid[0]["x"]), r.paths[k, :4, 0])
    at.button(key=f"reset:{PAGE}").click().run()
    assert step_shown(at) == 0


def test_only_the_chosen_racers_run():
    at = run_page(PAGE, {"racers": "adam,adabound", "surface": "saddle"})
    assert problems(at) == []
    names = {t.get("name") for t in charts(at)[0]["data"]}
    assert {"Adam", "AdaBound"} <= names and "SGD" not in names and "Momentum" not in names


def test_tuned_rates_follow_the_surface_and_explicit_ones_win():
    at = run_page(PAGE, {"surface": "rosenbrock"})
    caps = " ".join(c.value for c in at.caption)
    assert "η = 0.001, α = 0.2" in caps and "start (-1.5, 2)" in caps
    at = run_page(PAGE, {"surface": "rosenbrock", "lr_sgd": "0.01", "lr_adaptive": "0.5"})
    assert "η = 0.01, α = 0.5" in " ".join(c.value for c in at.caption)


def test_a_custom_start_outside_the_view_is_clamped_with_a_note():
    at = run_page(PAGE, {"surface": "rosenbrock", "custom_start": "1", "start_x": "0.5", "start_y": "-3"})
    assert problems(at) == []
    caps = " ".join(c.value for c in at.caption)
    assert "outside this surface's view" in caps and "start (0.5, -1)" in caps


def test_a_race_where_everyone_diverges_says_so_and_stops():
    at = run_page(PAGE, {"surface": "rosenbrock", "racers": "sgd", "lr_sgd": "1"})
    for _ in range(10):
        if at.button(key=f"step:{PAGE}").disabled:
            break
        at.button(key=f"step:{PAGE}").click().run()
    assert problems(at) == []
    assert any("diverged" in w.value for w in at.warning)
    assert "diverged at step" in " ".join(m.value for m in at.markdown)
    assert at.button(key=f"play:{PAGE}").disabled


def test_noise_tab_from_a_link():
    at = run_page(PAGE, {"section": "Batch size and noise", "noise_lr": "0.1", "noise_updates": "100"})
    assert problems(at) == []
    fig = charts(at)[0]
    assert "Diabetes" in fig["layout"]["title"]["text"]
    paths = opt.batch_noise(opt.NoiseConfig(lr=0.1, updates=100))
    _, L = opt.optimum()
    text = " ".join(m.value for m in at.markdown)
    assert f"L − L* = {paths['1'].loss[-1] - L:.2g} after 100 examples" in text


def test_second_order_tab_shows_newton_in_one_step():
    at = run_page(PAGE, {"section": "Newton and natural gradient", "kappa": "1000"})
    assert problems(at) == []
    df = at.dataframe[0].value
    row = df[df["method"] == "Newton"].iloc[0]
    assert row.iloc[1] == "1"
    gd = df[df["method"] == "Gradient descent"].iloc[0]
    assert gd.iloc[1].startswith("not within")
    assert len(charts(at)) == 2


def test_newton_far_away_is_reported():
    at = run_page(PAGE, {"section": "Newton and natural gradient", "mu0": "4.6", "sigma0": "1"})
    df = at.dataframe[0].value
    assert "diverged" in df[df["method"] == "Newton"].iloc[0].iloc[2]


def test_play_on_a_finished_race_starts_it_over():
    at = run_page(PAGE, {"steps": "10", "racers": "adam"})
    for _ in range(10):
        at.button(key=f"step:{PAGE}").click().run()
    assert step_shown(at) == 10 and problems(at) == []
    assert at.select_slider(key=f"scrub:{PAGE}")  # the history can be scrubbed
    at.button(key=f"play:{PAGE}").click().run()
    assert problems(at) == [] and step_shown(at) < 10  # back near the start, playing
    assert "Pause" in at.button(key=f"play:{PAGE}").label


def test_deselecting_every_racer_falls_back_with_a_note():
    at = run_page(PAGE)
    at.button_group(key="racers").set_value([]).run()
    assert problems(at) == []
    assert any("cannot be used" in c.value for c in at.caption)
    assert step_shown(at) == 0  # the default racers still race
