"""The probability page's own behaviour: family controls, links into the charts, the LLN/CLT,
MLE and Bayes numbers against the engine, presets."""
import json
import re
from urllib.parse import parse_qsl

import numpy as np
import pytest

from explorer.engines import probability as pr
from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import array


def charts(at) -> dict:
    """title → plotly spec of every chart on the page."""
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out[spec["layout"]["title"]["text"]] = spec
    return out


def chart(at, start: str) -> dict:
    return next(s for t, s in charts(at).items() if t.startswith(start))


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_defaults_show_every_part():
    at = run_page("probability")
    assert problems(at) == [] and not at.warning
    titles = " | ".join(charts(at))
    for t in ("Exponential(λ = 1): density and 1,000 samples", "Law of large numbers", "Sample means · n = 10",
              "How fast the means turn normal", "Log-likelihood of 20 draws", "Bernoulli log-likelihood of 20 tosses",
              "after 20 tosses", "Belief about p"):
        assert t in titles
    assert [s.label for s in at.slider][:1] == ["λ (rate)"]  # the family's own parameter names
    # the histogram is over the same draws the engine makes for this config
    bars = chart(at, "Exponential")["data"][0]
    view = pr.describe(pr.DistConfig())
    np.testing.assert_allclose(array(bars["y"]), view.hist)


def test_a_link_sets_the_family_and_its_parameters():
    at = run_page("probability", {"dist": "normal", "a": "2", "b": "0.5", "n": "100"})
    assert problems(at) == [] and not at.warning
    spec = chart(at, "Normal(μ = 2, σ = 0.5): density and 100 samples")
    x = array(spec["data"][1]["x"])
    f = array(spec["data"][1]["y"])
    assert x[np.argmax(f)] == pytest.approx(2.0, abs=0.02)
    assert {"μ (mean)", "σ (std. dev.)"} <= {s.label for s in at.slider}
    lln = chart(at, "Law of large numbers")
    assert lln["layout"]["title"]["text"].endswith("n = 100")
    assert any(d.get("name") == "μ = 2" for d in lln["data"])


def test_picking_a_family_starts_from_its_defaults():
    at = run_page("probability", {"dist": "normal", "a": "-3", "b": "4"})
    at.selectbox(key="dist").set_value("beta").run()
    assert problems(at) == []
    assert (at.session_state["a"], at.session_state["b"]) == (2.0, 5.0)
    assert any(t.startswith("Beta(α = 2, β = 5)") for t in charts(at))


def test_values_that_do_not_fit_the_family_are_clamped_with_a_note():
    at = run_page("probability", {"dist": "exponential", "a": "30"})
    assert problems(at) == [] and not at.warning
    assert "must be in 0.1…5; using 5" in captions(at) and at.session_state["a"] == 5.0
    at = run_page("probability", {"dist": "uniform", "a": "3", "b": "1"})
    assert problems(at) == [] and "needs b > a" in captions(at)
    assert at.session_state["b"] > at.session_state["a"]
    at = run_page("probability", {"dist": "binomial", "a": "7.4", "b": "0.5"})
    assert problems(at) == [] and at.session_state["a"] == 7.0
    assert any(t.startswith("Binomial(n = 7, p = 0.5)") for t in charts(at))


def test_clt_frame_and_stats_follow_the_size():
    at = run_page("probability", {"clt_n": "1000"})
    spec = chart(at, "Sample means · n = 1,000")
    ks = float(re.search(r"KS distance to N\(0, 1\): ([0-9.]+)", spec["layout"]["title"]["text"]).group(1))
    res = pr.clt(pr.CLTConfig())
    assert ks == pytest.approx(res.ks[-1], abs=5e-4) and ks < res.ks[0]
    assert [f["name"] for f in spec["frames"]] == [f"{s:,}" for s in pr.CLT_SIZES]
    assert spec["layout"]["sliders"][0]["active"] == len(pr.CLT_SIZES) - 1


def test_infinite_variance_says_the_clt_does_not_apply():
    at = run_page("probability", {"dist": "student_t", "a": "1.5"})
    assert problems(at) == []
    assert any("CLT does not apply" in i.value for i in at.info)


def test_mle_caption_matches_the_closed_form():
    at = run_page("probability", {"mle_n": "100", "mle_mu": "-1", "mle_sigma": "0.5"})
    assert problems(at) == []
    g = pr.gauss_mle(pr.MLEConfig(n=100, mu=-1.0, sigma=0.5))
    text = captions(at)
    assert f"μ̂ = x̄ = **{g.mle[0]:.4f}**" in text and f"σ̂ = √(Σ(xᵢ − x̄)²/n) = **{g.mle[1]:.4f}**" in text
    assert f"reaches ({g.mle[0]:.4f}, {g.mle[1]:.4f})" in text
    assert "Log-likelihood of 100 draws" in " ".join(charts(at))


def test_bayes_numbers_are_the_conjugate_update():
    at = run_page("probability", {"prior_a": "40", "prior_b": "10", "coin_p": "0.5", "seen": "200", "level": "0.95"})
    assert problems(at) == []
    data = pr.stream(pr.BayesConfig(p=0.5))[:200]
    k = int(data.sum())
    text = " ".join(m.value for m in at.markdown)
    a, b = 40 + k, 10 + 200 - k
    assert f"**Beta({a:g}, {b:g})**" in text and f"mean **{a / (a + b):.3f}**" in text
    lo, hi = pr.credible(a, b, 0.95)
    assert f"[{lo:.3f}, {hi:.3f}]" in text
    spec = chart(at, "Prior × likelihood → posterior")
    assert spec["frames"][-1]["name"] == "200" and f"({k} heads)" in spec["layout"]["title"]["text"]


def test_no_tosses_yet_shows_the_prior():
    at = run_page("probability", {"seen": "0"})
    assert problems(at) == []
    assert "after 0 tosses (0 heads)" in " ".join(charts(at))
    assert "Beta(2, 2)" in " ".join(m.value for m in at.markdown)


def preset_queries(at, page: str) -> list[dict]:
    """The query of every "Try this" link on the page."""
    links = re.findall(r"\]\(/" + page + r"\?([^)]*)\)", " ".join(m.value for m in at.markdown))
    return [dict(parse_qsl(q)) for q in links]


def test_presets_render():
    queries = preset_queries(run_page("probability"), "probability")
    assert len(queries) == 6
    for query in queries:
        at = run_page("probability", query)
        assert problems(at) == [] and not at.warning, query
        for k, v in query.items():  # the link's values are what the page now holds
            assert pr_encode(at, k) == v, (query, k)


def pr_encode(at, name):
    from explorer.ui import params

    p = next(q for q in params.REGISTRY["probability"] if q.name == name)
    return params.encode(p, at.session_state[name])
