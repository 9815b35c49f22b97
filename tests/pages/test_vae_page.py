"""The VAE page's own behaviour: the live views, β and the decoder from links, the
reparameterization section, presets, bad input."""
import math
import re
from urllib.parse import parse_qsl, urlparse

from tests.pages.plotly_read import array, titled
from tests.pages.test_pages import problems, run_page

PAGE = "vae"


def epoch_shown(at) -> float:
    text = " ".join(m.value for m in at.markdown)
    return float(re.search(r"Epoch ([\d.]+)", text).group(1))


def test_defaults_show_every_view():
    at = run_page(PAGE)
    assert problems(at) == []
    grid = titled(at, "Decoded latent grid")
    assert grid["data"][0]["type"] == "image" and grid["layout"]["xaxis"]["title"]["text"] == "z1"
    assert len([t for t in titled(at, "Encoded test set")["data"] if t["type"] == "scattergl"]) == 10
    assert [t["name"] for t in titled(at, "the ELBO and its two terms")["data"]][:2] == [
        "ELBO", "reconstruction E[log p(x|z)]"]
    assert titled(at, "KL per latent dimension") and titled(at, "Rate–distortion")
    assert titled(at, "The reparameterization trick on f(z) = z²")
    assert epoch_shown(at) == 0


def test_step_trains_and_the_elbo_rises():
    at = run_page(PAGE)
    for _ in range(3):
        at.button(key="step:vae").click().run()
    assert problems(at) == [] and epoch_shown(at) == 0.75
    run = at.session_state["_run:vae"]
    assert run.snapshot.elbo > run.history[0].elbo + 50
    text = " ".join(m.value for m in at.markdown)
    assert f"{run.snapshot.elbo:.1f}" in text


def test_link_values_reach_the_model_and_the_charts():
    at = run_page(PAGE, {"beta": "4", "latent": "4", "free_bits": "0.25", "anneal": "3"})
    assert problems(at) == []
    cfg = at.session_state["_run:vae"].trainer.cfg
    assert (cfg.beta, cfg.latent, cfg.free_bits, cfg.anneal) == (4.0, 4, 0.25, 3)
    assert any("β = 4" in c.value for c in at.caption)
    heat = titled(at, "KL per latent dimension")
    assert len(heat["data"][0]["y"]) == 4
    assert "other dimensions 0" in titled(at, "Decoded latent grid")["layout"]["title"]["text"]


def test_powerful_decoder_renders():
    at = run_page(PAGE, {"decoder": "autoregressive", "latent": "16"})
    assert problems(at) == []
    assert at.session_state["_run:vae"].trainer.cfg.decoder == "autoregressive"
    assert titled(at, "Decoded latent grid")


def test_reparameterization_section_follows_its_controls():
    at = run_page(PAGE, {"fn": "exp", "mu": "1", "sigma": "0.5"})
    assert problems(at) == []
    fig = titled(at, "f(z) = eᶻ")
    truth = [t for t in fig["data"] if t.get("name") == "true gradient (closed form)"]
    want_mu, want_sigma = math.exp(1.125), 0.5 * math.exp(1.125)
    assert abs(array(truth[0]["y"])[0] - want_mu) < 1e-9 and abs(array(truth[1]["y"])[0] - want_sigma) < 1e-9
    assert any("true +3.080" in c.value for c in at.caption)


def test_bad_link_values_are_explained():
    at = run_page(PAGE, {"beta": "-3", "decoder": "pixelcnn", "sigma": "99"})
    assert problems(at) == []
    notice = " ".join(w.value for w in at.warning)
    assert "`beta`" in notice and "`decoder`" in notice and "`sigma`" in notice


def test_presets_are_valid_links():
    at = run_page(PAGE)
    links = re.findall(r"\]\((/vae\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 5
    for link in links:
        page = run_page(PAGE, dict(parse_qsl(urlparse(link).query)))
        assert problems(page) == [] and not page.warning, link


def test_collapse_comparison_runs_on_demand(monkeypatch):
    from explorer.engines import vae
    from explorer.ui import vae_view

    # a small budget (the page's own is 5 epochs × 3 runs on 4,000 digits; the engine test checks the collapse)
    monkeypatch.setattr(vae_view, "STUDY_EPOCHS", 1)
    monkeypatch.setattr(vae_view, "study_config", lambda seed: vae.Config(
        latent=4, decoder="autoregressive", learning_rate=1e-2, n_train=300, hidden=32, batch_size=50, seed=seed))
    vae_view.collapse.cache_clear()
    at = run_page(PAGE, {"seed": "7"})
    assert problems(at) == [] and not any("Posterior collapse and its cures" in c.proto.spec
                                          for c in at.get("plotly_chart"))
    at.button(key="vae_collapse_run").click().run()
    assert problems(at) == []
    fig = titled(at, "Posterior collapse and its cures")
    study = vae_view.collapse(7)          # the cached result the page drew
    lines = {t["name"]: t for t in fig["data"] if t.get("showlegend") is not False}
    assert list(lines) == ["none", "annealing", "free bits"]
    assert list(array(lines["free bits"]["y"])) == study.n_active["free bits"].tolist()
    table = at.table[0].value
    assert table.iloc[2, 1] == f"{int(study.n_active['free bits'][-1])} / 4"
    assert table.iloc[0, 2] == f"{study.kl['none'][-1]:.2f}"
    # it stays on the page on the next rerun (cached, no retraining)
    at.run()
    assert titled(at, "Posterior collapse and its cures") and problems(at) == []
    vae_view.collapse.cache_clear()
