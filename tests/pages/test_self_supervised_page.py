"""The self-supervised page: every section renders, the live runs step, links reach the charts."""
import base64
import json
import re

import numpy as np

from tests.pages.test_pages import problems, run_page


def charts(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def titled(at, words: str) -> dict:
    return next(c for c in charts(at) if words in c["layout"]["title"]["text"])


def values(arr) -> list:
    """A plotly array from a chart spec: a list, or base64 ``{"bdata", "dtype"}``."""
    if isinstance(arr, dict):
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=arr["dtype"]).tolist()
    return list(arr)


def text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_defaults_show_pairs_live_run_probe_and_mae():
    at = run_page("self_supervised")
    assert problems(at) == [] and not at.warning
    assert titled(at, "positive pair")["data"][0]["type"] == "image"
    assert len(titled(at, "on its own")["layout"]["yaxis"]["ticktext"]) == 7
    live = titled(at, "Training the encoder without labels")
    assert {"train loss", "test loss"} <= {t.get("name") for t in live["data"]}
    assert titled(at, "PCA of the representation h of 500 test digits")
    budget = titled(at, "label budget")
    assert len(budget["data"]) == 4 and budget["layout"]["xaxis"]["type"] == "log"
    ssl_acc, sup_acc, rnd_acc = (float(m.value.rstrip(" %")) for m in at.metric)
    assert ssl_acc > rnd_acc + 5  # pretrained features beat the untrained encoder at 10 labels/class
    assert 10 < sup_acc <= 100
    assert titled(at, "Masked autoencoder at epoch 0: 8 of 16 patches")
    assert re.search(r"Epoch 0 · 0 updates · NT-Xent loss", text(at))


def test_step_trains_one_epoch_of_each_run_and_reset_goes_back():
    at = run_page("self_supervised", {"batch": "128"})
    at.button(key="step:self_supervised").click().run()
    assert problems(at) == []
    assert re.search(r"Epoch 1 · 15 updates", text(at))
    assert at.session_state["_run:self_supervised"].snapshot.epoch == 1
    assert "epoch 1" in titled(at, "Training the encoder without labels")["layout"]["title"]["text"]
    at.button(key="step:self_supervised_mae").click().run()
    assert problems(at) == [] and "MAE epoch 1" in text(at)
    assert titled(at, "Masked autoencoder at epoch 1")
    at.button(key="reset:self_supervised").click().run()
    assert re.search(r"Epoch 0 · 0 updates", text(at))


def test_a_link_sets_method_budget_mask_and_projection():
    at = run_page("self_supervised", {"method": "byol", "budget": "3", "patch": "4", "mask": "0.75",
                                      "proj": "tsne"})
    assert problems(at) == []
    assert "BYOL loss" in text(at)
    assert at.select_slider(key="temp").disabled and not at.select_slider(key="ema").disabled
    assert at.session_state["_run:self_supervised"].trainer.cfg.method == "byol"
    assert all("3 labels/class" in m.label for m in at.metric)
    budget = titled(at, "label budget")
    assert 3 in values(budget["data"][0]["x"]) and "BYOL" in budget["data"][0]["name"]
    assert titled(at, "37 of 49 patches (4×4 px)")
    assert titled(at, "t-SNE of the representation h")


def test_probing_the_live_run_says_it_is_at_epoch_0():
    at = run_page("self_supervised", {"probe_on": "live"})
    assert problems(at) == []
    assert any("At epoch 0" in c.value for c in at.caption)
    assert "this run, epoch 0" in titled(at, "label budget")["data"][0]["name"]


def test_presets_render_without_problems():
    at = run_page("self_supervised")
    links = re.findall(r"\(/self_supervised\?([^)]*)\)", text(at))
    assert len(links) == 6
    for q in links:
        query = dict(p.split("=", 1) for p in q.split("&"))
        if query.get("method") == "byol":
            continue  # the BYOL reference encoder is exercised by the link test above
        page = run_page("self_supervised", query)
        assert problems(page) == [] and not page.warning, q


def test_bad_typed_input_gives_a_notice():
    at = run_page("self_supervised", {"mask": "0.99", "temp": "hot", "crop": "-3"})
    assert problems(at) == []
    notice = " ".join(w.value for w in at.warning)
    assert "`mask`" in notice and "`temp`" in notice and "`crop`" in notice
    assert at.session_state["mask"] == 0.9 and at.session_state["crop"] == 0.2
