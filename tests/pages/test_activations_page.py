"""The activations page's own behaviour: curves, the live dying-ReLU run, the init study, presets."""
import re
from urllib.parse import parse_qsl, urlparse

from tests.pages.test_pages import problems, run_page
from tests.pages.plotly_read import titled


def epoch_shown(at) -> int:
    text = " ".join(m.value for m in at.markdown)
    return int(re.search(r"Epoch ([\d,]+)", text).group(1).replace(",", ""))


def test_defaults_show_every_activation_and_all_three_sections():
    at = run_page("activations")
    assert problems(at) == []
    curves = titled(at, "f (solid)")
    panels = {a["text"] for a in curves["layout"]["annotations"]}
    assert {"sigmoid", "tanh", "ReLU", "LeakyReLU", "ELU", "SELU", "GELU", "Swish/SiLU", "Mish"} <= panels
    assert curves["layout"]["shapes"]  # the flat tails are shaded
    assert titled(at, "Training and dying") and titled(at, "Where the dead units are")
    assert titled(at, "does the signal survive depth") and titled(at, "histogram of |a|")
    assert epoch_shown(at) == 0


def test_step_trains_one_epoch_and_reset_goes_back():
    at = run_page("activations", {"depth": "3", "width": "8"})
    at.button(key="step:activations").click().run()
    at.button(key="step:activations").click().run()
    assert epoch_shown(at) == 2 and problems(at) == []
    assert at.session_state["_run:activations"].snapshot.epoch == 2
    at.button(key="reset:activations").click().run()
    assert epoch_shown(at) == 0


def test_negative_bias_shows_dead_relu_units_at_once():
    at = run_page("activations", {"bias_init": "-1"})
    assert problems(at) == []
    snap = at.session_state["_run:activations"].snapshot
    assert snap.dead[0].mean() > 0.3 and snap.dead[1].max() == 0
    text = " ".join(m.value for m in at.markdown)
    assert re.search(r"ReLU loss .*dead \*\*[3-9]\d %\*\*", text)


def test_more_than_four_activations_are_cut_with_a_note():
    at = run_page("activations", {"acts": "sigmoid,tanh,relu,elu,gelu"})
    assert problems(at) == []
    assert any("At most 4" in c.value for c in at.caption)
    assert at.session_state["_run:activations"].trainer.cfg.activations == ("sigmoid", "tanh", "relu", "elu")


def test_overlay_view_and_a_subset():
    at = run_page("activations", {"show": "relu,gelu", "view": "overlay"})
    assert problems(at) == []
    fig = titled(at, "one axis")
    assert [t["name"] for t in fig["data"] if t.get("showlegend", True)] == ["ReLU", "GELU"]


def test_diverging_run_says_so():
    at = run_page("activations", {"learning_rate": "3"})
    at.button(key="step:activations").click().run()
    assert problems(at) == []
    assert any("diverged" in w.value for w in at.warning)
    at.run()
    assert at.button(key="play:activations").disabled and at.button(key="step:activations").disabled


def test_init_study_follows_its_controls():
    at = run_page("activations", {"init_act": "relu", "init_depth": "6", "inits": "he,small"})
    assert problems(at) == []
    fig = titled(at, "does the signal survive depth")
    assert "ReLU" in fig["layout"]["title"]["text"]
    assert [t["name"] for t in fig["data"] if t.get("showlegend", True)] == ["N(0, 0.01²)", "He (Kaiming)"]
    assert len(fig["data"][0]["x"]) == 6


def test_presets_are_valid_links():
    at = run_page("activations")
    links = re.findall(r"\]\((/activations\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 3
    for link in links:
        query = dict(parse_qsl(urlparse(link).query))
        page = run_page("activations", query)
        assert problems(page) == [] and not page.warning, link
