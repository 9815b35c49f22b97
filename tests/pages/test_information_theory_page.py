"""The information-theory page's own behaviour: typed distributions (good, normalized, bad),
∞ KL, units, the KL fits and mutual information against the engine, presets."""
import math
import re

import numpy as np
import pytest

from explorer.engines import information as it
from tests.pages.test_pages import problems, run_page
from tests.pages.test_probability_page import array, chart, charts, preset_queries

PAGE = "information_theory"


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_defaults_show_every_part():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    titles = " | ".join(charts(at))
    for t in ("Entropy of p", "what each outcome adds to KL", "Cross-entropy = entropy + KL",
              "One Gaussian fitted to two modes", "The two objectives over (μ, σ)", "500 draws with ρ = 0.6",
              "Mutual information vs correlation"):
        assert t in titles
    m = metrics(at)
    assert m["H(p) (bits)"] == "1.7500" and m["H(q) (bits)"] == f"{it.entropy(np.array([.1, .2, .3, .4])) / math.log(2):.4f}"
    assert m["KL(p‖q) (bits)"] != m["KL(q‖p) (bits)"]  # the default pair shows the asymmetry
    h_pq = float(m["H(p, q) (bits)"])
    assert h_pq == pytest.approx(float(m["H(p) (bits)"]) + float(m["KL(p‖q) (bits)"]), abs=2e-4)


def test_typed_weights_are_normalized_with_a_note_and_reach_the_chart():
    at = run_page(PAGE, {"p": "1 2 1", "unit": "nats"})
    assert problems(at) == [] and not at.warning
    assert "p: the weights sum to 4, so each was divided by 4" in captions(at)
    bars = chart(at, "Entropy of p")["data"][0]
    np.testing.assert_allclose(array(bars["y"]), [0.25, 0.5, 0.25])
    assert metrics(at)["H(p) (nats)"] == f"{it.entropy(np.array([0.25, 0.5, 0.25])):.4f}"


@pytest.mark.parametrize("text,needle", [("abc", "'abc' is not a number"), ("0.5, -0.5", "cannot be negative"),
                                         ("0, 0, 0", "at least one weight must be positive"), ("7", "at least two")])
def test_bad_weights_give_a_message_not_a_traceback(text, needle):
    at = run_page(PAGE, {"q": text})
    assert problems(at) == []
    warn = " ".join(w.value for w in at.warning)
    assert "Distribution q" in warn and needle in warn and "Showing the default" in warn
    default_q = it.parse_weights("0.1, 0.2, 0.3, 0.4").probs  # the page still draws, with the default q
    assert metrics(at)["H(q) (bits)"] == f"{it.entropy(default_q) / math.log(2):.4f}"
    assert len(charts(at)) == 7


@pytest.mark.parametrize("typed", ["", "0.5; 0.5", "<b>1, 2</b>"])
def test_unusable_text_typed_in_the_box_gives_a_message(typed):
    at = run_page(PAGE)
    at.text_input(key="p").set_value(typed).run()
    assert problems(at) == []
    warn = " ".join(w.value for w in at.warning)
    assert "Distribution p: type numbers separated by commas" in warn
    assert metrics(at)["H(p) (bits)"] == "1.7500"  # drawn with the default meanwhile


def test_zero_in_q_makes_kl_infinite_and_says_so():
    at = run_page(PAGE, {"p": "0.5, 0.5, 0", "q": "1, 0, 0"})
    assert problems(at) == []
    m = metrics(at)
    assert m["KL(p‖q) (bits)"] == "∞" and m["H(p, q) (bits)"] == "∞" and m["KL(q‖p) (bits)"] == "1.0000"
    info = " ".join(i.value for i in at.info)
    assert "KL(p‖q) = ∞" in info and "#2" in info
    kl = chart(at, "Two distributions")
    assert "∞" in kl["data"][2]["text"]


def test_different_lengths_are_padded_with_zeros():
    at = run_page(PAGE, {"p": "0.5, 0.5", "q": "0.2, 0.3, 0.5"})
    assert problems(at) == []
    assert "p has 2 outcomes and q has 3" in captions(at)
    assert metrics(at)["KL(q‖p) (bits)"] == "∞" and metrics(at)["KL(p‖q) (bits)"] != "∞"


def test_fits_table_matches_the_engine_and_moments():
    at = run_page(PAGE, {"sep": "6", "weight": "0.3", "width": "0.5", "start": "-2", "unit": "nats"})
    assert problems(at) == []
    df = at.dataframe[0].value
    cfg = it.MixConfig(sep=6.0, weight=0.3, sd=0.5, start=-2.0)
    mean, sd = it.mix_moments(cfg)
    fwd = df.loc["forward: min KL(p‖q)"]
    assert (fwd["μ"], fwd["σ"]) == pytest.approx((mean, sd), abs=1e-4)
    rev = df.loc["reverse: min KL(q‖p)"]
    assert rev["μ"] == pytest.approx(-3.0, abs=0.02)  # the start −2 sits in the left mode's basin
    assert rev["KL(q‖p) (nats)"] == pytest.approx(-math.log(0.3), abs=0.01)
    assert fwd["KL(p‖q) (nats)"] < rev["KL(p‖q) (nats)"] and rev["KL(q‖p) (nats)"] < fwd["KL(q‖p) (nats)"]
    assert "lands on **the left mode**" in captions(at)


def test_start_decides_the_reverse_mode():
    right = run_page(PAGE, {"start": "2"}).dataframe[0].value.loc["reverse: min KL(q‖p)", "μ"]
    left = run_page(PAGE, {"start": "-2"}).dataframe[0].value.loc["reverse: min KL(q‖p)", "μ"]
    assert right == pytest.approx(2.0, abs=0.02) and left == pytest.approx(-2.0, abs=0.02)


def test_mutual_information_follows_rho_and_the_unit():
    at = run_page(PAGE, {"rho": "0.9", "unit": "nats", "mi_n": "1000"})
    assert problems(at) == []
    exact = float(it.mi_gaussian(0.9))
    text = captions(at)
    assert f"closed form **{exact:.4f} nats**" in text
    ksg = float(re.search(r"kNN \(KSG\) estimate \*\*([0-9.]+)\*\*", text).group(1))
    assert ksg == pytest.approx(exact, abs=0.1)
    spec = chart(at, "Mutual information vs correlation (1,000 draws per estimate)")
    assert array(spec["data"][3]["y"])[0] == pytest.approx(exact, abs=1e-9)
    assert "1,000 draws with ρ = 0.9" in " ".join(charts(at))
    bits = run_page(PAGE, {"rho": "0.9"})
    assert f"closed form **{exact / math.log(2):.4f} bits**" in captions(bits)


def test_presets_render():
    queries = preset_queries(run_page(PAGE), PAGE)
    assert len(queries) == 6
    for query in queries:
        at = run_page(PAGE, query)
        assert problems(at) == [] and not at.warning, query
