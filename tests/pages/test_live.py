"""The live player's bookkeeping, without a browser: history bounds, pacing."""
from explorer.engines import playground as pg
from explorer.ui import live


def test_history_is_bounded_and_keeps_the_start_and_the_latest():
    run = live.Run(key="k", trainer=pg.Trainer(pg.Config(hidden=(2,))))
    for _ in range(30):
        run.advance(40, 10.0)
    assert run.snapshot.epoch == 1200
    assert len(run.history) <= live.MAX_HISTORY
    assert run.history[0].epoch == 0 and run.history[-1] is run.snapshot
    epochs = [s.epoch for s in run.history]
    assert epochs == sorted(set(epochs))
    assert run.curve["epoch"][-1] == 1200 and len(run.curve["epoch"]) == 1201


def test_slow_speeds_are_paced_by_the_clock():
    run = live.Run(key="k", trainer=pg.Trainer(pg.Config(hidden=(2,))))
    run.last_frame = 1.0
    # 20 frames of 0.15 s at 1 epoch/s → 3 epochs; at 100 epochs/s → 300
    assert sum(live.steps_for_frame(run, 1, now=1.0 + 0.15 * i) for i in range(1, 21)) == 3
    run.last_frame, run.credit = 1.0, 0.0
    assert sum(live.steps_for_frame(run, 100, now=1.0 + 0.15 * i) for i in range(1, 21)) == 300
