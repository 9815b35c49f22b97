"""Schedules figures from tiny arrays: one trace per schedule, panels, scales."""
import numpy as np

from explorer.viz import schedules as vz


def test_lr_figure_one_line_per_schedule():
    curves = [{"key": "cosine", "name": "Cosine", "lr": np.cos(np.linspace(0, 1.5, 20)) + 0.01},
              {"key": "constant", "name": "Constant", "lr": np.full(20, 0.5)}]
    fig = vz.lr_figure(curves, title="LR")
    assert fig.layout.title.text == "LR" and len(fig.data) == 2
    assert [t.name for t in fig.data] == ["Cosine", "Constant"]
    assert list(fig.data[0].x) == list(range(20))
    assert fig.data[1].line.dash == "dot" and fig.data[0].line.color != fig.data[1].line.color
    assert fig.layout.xaxis.title.text == "update (step)" and fig.layout.yaxis.title.text == "learning rate"
    log = vz.lr_figure(curves, title="LR", log_y=True)
    assert log.layout.yaxis.type == "log" and "log" in log.layout.yaxis.title.text


def test_training_figure_three_panels_one_legend_entry_each():
    at = np.array([0, 5, 10])
    runs = [{"key": k, "name": k.title(), "at": at, "train_loss": np.array([2.3, 1.0, 0.5]),
             "test_loss": np.array([2.3, 1.1, np.nan]), "test_acc": np.array([0.1, 0.6, 0.9])}
            for k in ("step", "one_cycle")]
    fig = vz.training_figure(runs, title="Runs")
    assert fig.layout.title.text == "Runs" and len(fig.data) == 6
    assert sum(bool(t.showlegend) for t in fig.data) == 2
    assert [fig.layout[f"yaxis{a}"].title.text for a in ("", "2", "3")] == [
        "training loss (nats)", "test loss (nats)", "test accuracy (%)"]
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis3.type == "linear"
    acc = [t for t in fig.data if t.yaxis == "y3"]
    np.testing.assert_allclose(acc[0].y, [10, 60, 90])
    doms = [tuple(fig.layout[f"xaxis{a}"].domain) for a in ("", "2", "3")]
    assert all(a[1] < b[0] for a, b in zip(doms, doms[1:]))  # side by side, not overlapping


def test_each_schedule_keeps_its_colour_and_dash():
    from explorer.engines.schedules import SCHEDULES  # ids only; the figure never sees the engine

    assert set(vz.STYLE) == set(SCHEDULES) and len(set(vz.STYLE.values())) == len(SCHEDULES)
