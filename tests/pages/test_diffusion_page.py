"""The diffusion page's own behaviour: every section renders, links reach the charts, live
training, the digit denoiser and latent diffusion behind their buttons, presets, bad input."""
import json
import re
from urllib.parse import parse_qsl, urlparse

import pytest

from tests.pages.test_pages import notice_text, problems, run_page


def charts(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def titles(at) -> list[str]:
    return [c["layout"].get("title", {}).get("text", "") for c in charts(at)]


def titled(at, words: str) -> dict:
    return next(c for c in charts(at) if words in c["layout"].get("title", {}).get("text", ""))


def epoch_shown(at) -> int:
    text = " ".join(m.value for m in at.markdown)
    return int(re.search(r"Epoch ([\d,]+)", text).group(1).replace(",", ""))


def test_defaults_render_every_section():
    at = run_page("diffusion")
    assert problems(at) == [] and not at.warning
    t = " | ".join(titles(at))
    for words in ("Noise schedules over T = 200", "noised in closed form", "Two moons, cosine schedule",
                  "Training the 2-D denoiser", "DDPM, 200 steps", "DDIM, 20 steps, η = 0", "DDPM against DDIM",
                  "Samples of each sampler"):
        assert words in t, words
    assert epoch_shown(at) == 0
    assert any("still mostly noise" in i.value for i in at.info)
    # the digit and latent sections wait for a button
    assert at.button(key="diffusion_train_digits") and at.button(key="diffusion_train_latent")
    assert "generated digits" not in t


def test_link_values_reach_the_charts():
    at = run_page("diffusion", {"T": "50", "sched": "linear", "data": "gaussians", "ddim": "10", "eta": "0.5"})
    assert problems(at) == []
    sched = titled(at, "Noise schedules over T = 50")
    assert len(sched["data"][0]["x"]) == 50 or sched["data"][0]["x"].get("bdata")
    fwd = titled(at, "Eight Gaussians, linear schedule")
    assert len(fwd["frames"]) == 21
    ddim = titled(at, "DDIM, 10 steps, η = 0.5")
    assert len(ddim["frames"]) == 11  # x_T and one frame per step
    assert [s["label"] for s in ddim["layout"]["sliders"][0]["steps"]][[0, -1][0]] == "50"
    cmp_ = titled(at, "DDPM against DDIM")
    assert cmp_["data"][0]["y"] == ["DDPM, 50 steps", "DDIM, 5 steps", "DDIM, 10 steps", "DDIM, 20 steps",
                                    "DDIM, 50 steps"]
    assert at.session_state["_run:diffusion"].trainer.cfg.dataset == "gaussians"


def test_step_and_fast_forward_train_and_reset_goes_back():
    at = run_page("diffusion", {"T": "50", "width": "32"})
    at.button(key="step:diffusion").click().run()
    assert epoch_shown(at) == 1 and problems(at) == []
    at.button(key="diffusion_ff").click().run()
    assert problems(at) == []
    snap = at.session_state["_run:diffusion"].snapshot
    # the button trains to epoch 40 within the player's replay budget (20 s), or says where it stopped
    assert snap.epoch == 40 or any("Replaying stopped" in i.value for i in at.info)
    assert snap.epoch > 5 and snap.test_loss < 0.8
    assert f"epoch {snap.epoch}" in titled(at, "Training the 2-D denoiser")["layout"]["annotations"][2]["text"]
    at.button(key="reset:diffusion").click().run()
    assert epoch_shown(at) == 0


def test_digit_denoiser_trains_behind_its_button():
    at = run_page("diffusion", {"dsteps": "100", "T": "50"})
    at.button(key="diffusion_train_digits").click().run()
    assert problems(at) == []
    t = titles(at)
    assert any("32 generated digits" in x for x in t) and any("Reverse process" in x for x in t)
    loss = titled(at, "Digit denoiser: training loss")
    assert loss["data"][0]["name"] == "per step"
    assert any("Trained in" in c.value for c in at.caption)
    at.run()  # trained once: shown again without the button
    assert any("32 generated digits" in x for x in titles(at))


def test_latent_diffusion_behind_its_button():
    at = run_page("diffusion", {"lepochs": "5", "T": "50"})
    at.button(key="diffusion_train_latent").click().run()
    assert problems(at) == []
    lat = titled(at, "latent space")
    assert [d["name"] for d in lat["data"]][-1] == "diffusion samples" and len(lat["data"]) == 11
    assert any("Decoded diffusion samples" in x for x in titles(at))
    text = " ".join(c.value for c in at.caption)
    assert re.search(r"diffusion samples \*\*\d\.\d{3}\*\*", text)


def preset_queries():
    at = run_page("diffusion")
    links = [m.value for m in at.markdown if m.value.startswith("**[")]
    return [dict(parse_qsl(urlparse(re.search(r"\((/diffusion[^)]*)\)", s).group(1)).query)) for s in links]


@pytest.mark.parametrize("i", range(6))
def test_presets_render(i):
    q = preset_queries()[i]
    at = run_page("diffusion", q)
    assert problems(at) == [] and not at.warning
    for k, v in q.items():
        assert str(at.session_state[k]) in (v, str(float(v)) if v.replace(".", "").isdigit() else v)


def test_bad_typed_input_gives_a_notice():
    at = run_page("diffusion", {"img": "abc", "lr": "5", "T": "-3", "data": "<b>"})
    assert problems(at) == []
    text = notice_text(at)
    for name in ("img", "lr", "T", "data"):
        assert f"`{name}`" in text
    assert at.session_state["lr"] == 0.01 and at.session_state["data"] == "moons"


def test_more_ddim_steps_than_t_is_capped_with_a_note():
    at = run_page("diffusion", {"T": "50", "ddim": "100"})
    assert problems(at) == []
    assert any("cannot take more steps than T = 50" in c.value for c in at.caption)
    assert titled(at, "DDIM, 50 steps")
