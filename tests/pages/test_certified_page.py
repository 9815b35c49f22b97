"""The certified page's own behaviour: a link's σ, n and point in the charts, the certificate's
numbers, the on-demand curve, presets."""
import re

import numpy as np
import pytest
from scipy import stats

from tests.pages.test_pages import notice_text, problems, run_page
from tests.pages.plotly_read import charts_by_key as charts, by_key as chart, array as values

PAGE = "certified"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_defaults_certify_one_image_and_draw_the_boxes():
    at = run_page(PAGE)
    assert problems(at) == [] and not at.warning
    title = chart(at, "chart_smoothing")["layout"]["title"]["text"]
    assert title.startswith("σ = 0.25, n = 1,000")
    p_low = float(re.search(r"p̲_A = ([\d.]+)", title).group(1))
    m = metrics(at)
    # the radius shown is σ·Φ⁻¹(p̲_A) of the bound shown
    assert float(m["Certified L2 radius"]) == pytest.approx(0.25 * stats.norm.ppf(p_low), abs=2e-3)
    votes = next(t for t in chart(at, "chart_smoothing")["data"] if t["type"] == "bar")
    assert values(votes["y"]).sum() == 1000
    ibp = chart(at, "chart_ibp")
    assert "around (1.00, 0.50)" in ibp["layout"]["title"]["text"]
    legend = [t.get("name", "") for t in ibp["data"]]
    assert any(n.startswith("IBP certifies ε ≤") for n in legend) and "your box ε = 0.3: certified" in legend
    assert "chart_cert_curve" not in " ".join(charts(at))


def test_a_link_sets_sigma_samples_and_the_point():
    at = run_page(PAGE, {"sigma": "0.5", "n": "500", "px": "-2", "py": "1.5", "eps": "0.5", "alpha": "0.01"})
    assert problems(at) == []
    assert chart(at, "chart_smoothing")["layout"]["title"]["text"].startswith("σ = 0.5, n = 500")
    ibp = chart(at, "chart_ibp")
    assert "around (-2.00, 1.50)" in ibp["layout"]["title"]["text"]
    user_box = ibp["layout"]["shapes"][-1]
    assert user_box["x0"] == pytest.approx(-2.5) and user_box["x1"] == pytest.approx(-1.5)
    radius = chart(at, "chart_radius")
    cap = [s for s in radius["layout"]["shapes"]][0]["x0"]
    assert cap == pytest.approx(0.01 ** (1 / 500))


def test_a_box_beyond_ibps_radius_is_not_certified():
    at = run_page(PAGE, {"eps": "3.5"})
    m = metrics(at)
    assert m["Your box"] == "not certified"
    ibp_eps = float(m["IBP certifies up to"].split("=")[1])
    true = float(m["True radius (dense grid)"].split("=")[1])
    pgd = float(m["PGD flips it at"].split("=")[1])
    assert ibp_eps < 3.5 and ibp_eps <= true + 0.01 and true <= pgd + 0.01


def test_the_certified_accuracy_curve_runs_on_the_button():
    at = run_page(PAGE, {"images": "20", "n": "100"})
    at.button(key="cert_run_curve").click().run()
    assert problems(at) == []
    spec = chart(at, "chart_cert_curve")
    assert [t["name"].split(" (")[0] for t in spec["data"]] == ["σ = 0.12", "σ = 0.25", "σ = 0.5"]
    for t in spec["data"]:
        y = values(t["y"])
        assert (np.diff(y) <= 1e-9).all() and 0 <= y.min() and y.max() <= 100
    # with n = 100 and α = 0.001 no radius can exceed σ·Φ⁻¹(α^(1/100))
    for t, s in zip(spec["data"], (0.12, 0.25, 0.5)):
        x, y = values(t["x"]), values(t["y"])
        cap = s * stats.norm.ppf(0.001 ** (1 / 100))
        assert (y[x > cap + 1e-9] == 0).all()


def test_hostile_point_is_replaced_with_a_notice():
    at = run_page(PAGE, {"px": "junk", "py": "99"})
    assert problems(at) == []
    text = notice_text(at)
    assert "`px`" in text and "`py`" in text and at.session_state["py"] == 6.0


@pytest.mark.parametrize("query", [{"sigma": "0.5"}, {"n": "100", "alpha": "0.01"}, {"depth": "4", "width": "64"},
                                   {"px": "2.2", "py": "0.5"}, {"dataset": "spiral", "px": "0.5", "py": "1"}])
def test_presets_render(query):
    at = run_page(PAGE, query)
    assert problems(at) == [] and not at.warning
