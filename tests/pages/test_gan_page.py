"""The GAN page's own behaviour: the live 2-D GAN, links reaching the charts, bad centres, the DCGAN, presets."""
import base64
import json
import re
from urllib.parse import parse_qsl, urlparse

import numpy as np

from tests.pages.test_pages import problems, run_page


def charts(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def titled(at, words: str) -> dict:
    return next(c for c in charts(at) if words in c["layout"]["title"]["text"])


def values(a):
    """A plotly array from the chart spec (a list, or base64 {"bdata", "dtype"})."""
    if isinstance(a, dict) and "bdata" in a:
        return np.frombuffer(base64.b64decode(a["bdata"]), dtype=np.dtype(a["dtype"])).tolist()
    return a


def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name") == name)


def headline(at) -> str:
    return next(m.value for m in at.markdown if "generator updates" in m.value)


def test_defaults_show_the_plane_the_loss_shapes_and_the_dcgan():
    at = run_page("gan")
    assert problems(at) == [] and not at.warning
    fig = titled(at, "The GAN at work")
    names = {t.get("name") for t in fig["data"]}
    assert {"D", "real", "fake G(z)", "−∂L_G/∂x", "modes covered", "samples per mode"} <= names
    assert "G(latent grid)" not in names
    assert len(values(trace(fig, "samples per mode")["y"])) == 8
    assert "0 / 8" in headline(at)
    assert titled(at, "Generator loss vs D's verdict")
    assert titled(at, "DCGAN on MNIST") and titled(at, "interpolation from latent seed 1 to seed 2")


def test_step_trains_ten_generator_updates_and_reset_goes_back():
    at = run_page("gan")
    at.button(key="step:gan").click().run()
    at.button(key="step:gan").click().run()
    assert problems(at) == []
    assert headline(at).startswith("#### 20 generator updates")
    assert at.session_state["_run:gan"].snapshot.step == 20
    at.button(key="reset:gan").click().run()
    assert headline(at).startswith("#### 0 generator updates")


def test_a_link_sets_target_loss_and_layers_and_they_reach_the_chart():
    at = run_page("gan", {"target": "grid", "loss": "wgan_gp", "d_steps": "2", "sn": "1",
                          "show": "arrows,manifold", "seed": "3"})
    assert problems(at) == [] and not at.warning
    cfg = at.session_state["_run:gan"].trainer.cfg
    assert (cfg.target, cfg.loss, cfg.d_steps, cfg.sn, cfg.seed) == ("grid", "wgan_gp", 2, True, 3)
    fig = titled(at, "The GAN at work")
    names = {t.get("name") for t in fig["data"]}
    assert {"D loss (WGAN-GP)", "G(latent grid)"} <= names
    assert len(values(trace(fig, "samples per mode")["y"])) == 9   # the 3×3 grid
    assert "score" in trace(fig, "D")["colorbar"]["title"]["text"]   # a critic's score, not a probability
    assert len([s for s in fig["layout"]["shapes"] if s["type"] == "circle"]) == 9


def test_a_typed_mixture_is_used_and_a_bad_one_says_why():
    at = run_page("gan", {"target": "mixture", "centres": "-2,2; 2,2; 0,-2"})
    assert problems(at) == [] and not at.warning
    assert at.session_state["_run:gan"].trainer.cfg.centres == ((-2.0, 2.0), (2.0, 2.0), (0.0, -2.0))
    assert len(values(trace(titled(at, "The GAN at work"), "samples per mode")["y"])) == 3
    at.text_input(key="centres").input("1,2; 3").run()
    assert problems(at) == []
    assert any("centre 2 ('3') must be two numbers" in w.value for w in at.warning)
    at.text_input(key="centres").input("1,2; 9,9").run()
    assert any("must lie in" in w.value for w in at.warning)
    at.text_input(key="centres").input("one, two").run()   # letters: not a valid entry at all
    assert problems(at) == [] and any("Mixture centres" in w.value for w in at.warning)


def test_the_dcgan_steps_and_the_interpolation_follows_its_controls():
    at = run_page("gan", {"interp": "linear", "za": "7", "zb": "8"})
    assert problems(at) == []
    assert titled(at, "Linear (lerp) interpolation from latent seed 7 to seed 8")
    at.button(key="step:gan_dcgan").click().run()
    assert problems(at) == []
    assert at.session_state["_run:gan_dcgan"].snapshot.step == 10
    assert titled(at, "the same 36 latents after 10 generator updates")
    assert any(m.value.startswith("#### DCGAN · 10 updates") for m in at.markdown)


def test_presets_are_valid_links():
    at = run_page("gan")
    links = re.findall(r"\]\((/gan\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 5
    for link in links:
        query = dict(parse_qsl(urlparse(link).query))
        page = run_page("gan", query)
        assert problems(page) == [] and not page.warning, link


def test_auto_picks_each_loss_recipe_and_says_so_while_a_typed_value_is_kept_exactly():
    at = run_page("gan", {"loss": "wgan"})
    assert problems(at) == [] and not at.warning
    cfg = at.session_state["_run:gan"].trainer.cfg
    assert (cfg.loss, cfg.lr, cfg.d_steps) == ("wgan", 1e-3, 5)
    assert type(at.session_state["_run:gan"].trainer.opt_d).__name__ == "RMSprop"
    assert any("Training: RMSProp, learning rate 0.001, 5 D updates" in c.value for c in at.caption)
    at = run_page("gan", {"loss": "hinge", "lr": "0.003", "d_steps": "2"})
    cfg = at.session_state["_run:gan"].trainer.cfg
    assert (cfg.lr, cfg.d_steps) == (3e-3, 2) and problems(at) == []
    assert any("Adam (β = 0.5, 0.9), learning rate 0.003, 2 D updates" in c.value for c in at.caption)
