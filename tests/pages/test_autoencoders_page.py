"""The autoencoder page's own behaviour: the live views, links into the charts, presets, bad input."""
import re
from urllib.parse import parse_qsl, urlparse

from tests.pages.plotly_read import titled
from tests.pages.test_pages import problems, run_page

PAGE = "autoencoders"


def epoch_shown(at) -> float:
    text = " ".join(m.value for m in at.markdown)
    return float(re.search(r"Epoch ([\d.]+)", text).group(1))


def test_defaults_show_reconstructions_code_and_anomaly_views():
    at = run_page(PAGE)
    assert problems(at) == []
    recon = titled(at, "beside their reconstructions")
    assert [a["text"] for a in recon["layout"]["annotations"]][:2] == ["input", "reconstruction"]
    assert titled(at, "Training")
    anomaly = titled(at, "the 0s were never seen")
    assert any(t.get("name") == "ROC" for t in anomaly["data"])
    code = titled(at, "The code space: 16 units, PCA")
    assert len([t for t in code["data"] if t["type"] == "scattergl"]) == 10
    assert epoch_shown(at) == 0


def test_step_trains_a_quarter_epoch_and_reset_goes_back():
    at = run_page(PAGE, {"code": "4"})
    at.button(key="step:autoencoders").click().run()
    at.button(key="step:autoencoders").click().run()
    assert problems(at) == [] and epoch_shown(at) == 0.5
    run = at.session_state["_run:autoencoders"]
    assert run.snapshot.step > 0 and run.snapshot.test_loss < run.history[0].test_loss
    at.button(key="reset:autoencoders").click().run()
    assert epoch_shown(at) == 0


def test_link_values_reach_the_charts():
    at = run_page(PAGE, {"kind": "denoising", "noise": "0.7", "holdout": "3", "code": "2"})
    assert problems(at) == []
    labels = [a["text"] for a in titled(at, "beside their reconstructions")["layout"]["annotations"]]
    assert labels[:3] == ["noisy input", "reconstruction", "clean target"] and "held-out 3" in labels
    assert titled(at, "the 3s were never seen")
    assert titled(at, "The code space: 2 units")["layout"]["xaxis"]["title"]["text"] == "code unit 1"
    cfg = at.session_state["_run:autoencoders"].trainer.cfg
    assert (cfg.kind, cfg.noise, cfg.holdout, cfg.code) == ("denoising", 0.7, 3, 2)


def test_sparse_shows_unit_activity_and_unused_controls_do_not_restart():
    at = run_page(PAGE, {"kind": "sparse", "penalty": "kl", "rho": "0.1"})
    assert problems(at) == []
    units = titled(at, "Mean activation of each code unit")
    assert units["layout"]["shapes"][0]["y0"] == 0.1
    # the noise slider does not matter for a sparse autoencoder: the run is the same
    at2 = run_page(PAGE, {"noise": "0.9"})
    assert at2.session_state["_run:autoencoders"].trainer.cfg.noise == 0.5
    assert any("denoising autoencoder only" in c.value for c in at2.caption)


def test_bad_link_values_are_explained():
    at = run_page(PAGE, {"code": "3", "kind": "variational", "noise": "9"})
    assert problems(at) == []
    notice = " ".join(w.value for w in at.warning)
    assert "`code`" in notice and "`kind`" in notice and "`noise`" in notice


def test_presets_are_valid_links():
    at = run_page(PAGE)
    links = re.findall(r"\]\((/autoencoders\?[^)]+)\)", " ".join(m.value for m in at.markdown))
    assert len(links) >= 5
    for link in links:
        page = run_page(PAGE, dict(parse_qsl(urlparse(link).query)))
        assert problems(page) == [] and not page.warning, link
