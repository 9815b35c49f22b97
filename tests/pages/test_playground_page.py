"""The playground page's own behaviour: step, replay from a link, TensorFlow Playground links."""
import re

from tests.pages.test_pages import problems, run_page
from tests.engines.test_tfp_link import PEER_DEFAULT


def epoch_shown(at) -> int:
    text = " ".join(m.value for m in at.markdown)
    return int(re.search(r"Epoch ([\d,]+)", text).group(1).replace(",", ""))


def test_step_trains_one_epoch_and_reset_goes_back():
    at = run_page("playground")
    assert epoch_shown(at) == 0
    at.button(key="step:playground").click().run()
    at.button(key="step:playground").click().run()
    assert epoch_shown(at) == 2 and problems(at) == []
    at.button(key="reset:playground").click().run()
    assert epoch_shown(at) == 0


def test_link_with_epoch_replays_the_exact_run():
    at = run_page("playground", {"seed": "0.88025", "compat": "1", "epoch": "25"})
    assert epoch_shown(at) == 25
    text = " ".join(m.value for m in at.markdown)
    from explorer.engines import playground as pg

    tr = pg.Trainer(pg.Config(seed="0.88025", compat=True))
    snap = tr.advance(25)
    assert f"training loss **{snap.train_loss:.3f}**" in text


def test_pasting_a_peer_link_opens_it_in_exact_mode():
    at = run_page("playground")
    at.text_input(key="tfp_paste").input(PEER_DEFAULT.replace("dataset=circle", "dataset=xor")
                                         + "&noise_hide=true&bogus=1").run()
    at.button(key="tfp_open").click().run()
    assert problems(at) == []
    assert at.session_state["dataset"] == "xor" and at.session_state["compat"] is True
    assert at.session_state["seed"] == "0.88025" and at.session_state["hide"] == ("noise",)
    infos = " ".join(i.value for i in at.info)
    assert "bogus" in infos
    q = at.query_params
    assert q["dataset"] in ("xor", ["xor"]) and q["compat"] in ("1", ["1"])


def test_multiclass_view_explains_what_it_changed():
    at = run_page("playground", {"dataset": "blobs", "classes": "4"})
    assert problems(at) == []
    assert any("cross-entropy" in c.value for c in at.caption)


def test_diverging_run_says_so_and_keeps_working():
    at = run_page("playground", {"problem": "regression", "activation": "relu", "learning_rate": "10",
                                 "batch_size": "1", "layers": "2", "n1": "8", "n2": "8", "epoch": "60"})
    assert problems(at) == []
    assert any("diverged" in w.value for w in at.warning)
    assert at.button(key="play:playground").disabled


def test_history_slider_shows_an_earlier_epoch():
    at = run_page("playground", {"epoch": "40"})
    assert epoch_shown(at) == 40
    slider = at.select_slider(key="scrub:playground")
    slider.set_value(slider.options[0] if isinstance(slider.options[0], int) else 0).run()
    assert problems(at) == []
    assert epoch_shown(at) == 0


def test_emptied_seed_box_and_no_features_fall_back_with_a_note():
    at = run_page("playground")
    at.text_input(key="seed").input("").run()
    assert problems(at) == []
    assert any("Seed" in c.value for c in at.caption)
    at.text_input(key="seed").input("7").run()
    assert not any("Seed" in c.value for c in at.caption)


def test_peer_link_values_off_our_steps_are_named():
    at = run_page("playground")
    at.text_input(key="tfp_paste").input("#learningRate=0.05&noise=7&seed=1").run()
    at.button(key="tfp_open").click().run()
    infos = " ".join(i.value for i in at.info)
    assert "learning_rate" in infos and "noise" in infos and problems(at) == []
    assert at.session_state["learning_rate"] == 0.03 and at.session_state["noise"] == 5


def test_share_link_drops_a_stale_epoch_after_reset():
    at = run_page("playground", {"epoch": "5"})
    at.button(key="reset:playground").click().run()
    codes = " ".join(c.value for c in at.code)
    assert "epoch=" not in codes
