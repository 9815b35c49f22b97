"""TensorFlow Playground links: parse, emit, round-trip, and survive hostile input."""
import pytest

from explorer.engines import playground as pg
from explorer.engines.tfp_link import parse_tfp, to_tfp_link

PEER_DEFAULT = ("https://playground.tensorflow.org/#activation=tanh&batchSize=10&dataset=circle&regDataset=reg-plane"
                "&learningRate=0.03&regularizationRate=0&noise=0&networkShape=4,2&seed=0.88025&showTestData=false"
                "&discretize=false&percTrainData=50&x=true&y=true&xTimesY=false&xSquared=false&ySquared=false"
                "&cosX=false&sinX=false&cosY=false&sinY=false&collectStats=false&problem=classification"
                "&initZero=false&hideText=false")


def test_peer_default_link_opens_the_peer_default_config():
    link = parse_tfp(PEER_DEFAULT)
    assert link.config == pg.Config(seed="0.88025", compat=True)
    assert link.notices == [] and not link.show_test and link.hidden_controls == ()
    assert pg.config_from_tfp(PEER_DEFAULT) == link.config
    assert parse_tfp(PEER_DEFAULT.split("#", 1)[1]).config == link.config  # the bare hash works too


def test_link_fields_and_hide_flags_are_carried_over():
    link = parse_tfp("#activation=relu&batchSize=3&dataset=spiral&learningRate=0.1&regularization=L1"
                     "&regularizationRate=0.003&noise=35&networkShape=8,8,5&seed=abc&percTrainData=70"
                     "&x=false&y=false&sinX=true&sinY=true&xTimesY=true&showTestData=true&discretize=true"
                     "&problem=classification&initZero=true&dataset_hide=true&noise_hide=true&tutorial=dp")
    c = link.config
    assert (c.activation, c.batch_size, c.dataset, c.learning_rate) == ("relu", 3, "spiral", 0.1)
    assert (c.regularization, c.reg_rate, c.noise, c.hidden) == ("L1", 0.003, 35, (8, 8, 5))
    assert (c.seed, c.train_ratio, c.features, c.init_zero) == ("abc", 70, ("xy", "sinx", "siny"), True)
    assert link.show_test and link.discretize and link.hidden_controls == ("dataset", "noise")
    assert any("tutorial" in n for n in link.notices)


def test_regression_link():
    c = parse_tfp("#problem=regression&regDataset=reg-gauss&seed=1").config
    assert c.problem == "regression" and c.reg_dataset == "reg-gauss" and c.compat


@pytest.mark.parametrize("hostile", [
    "", "#", "&&&", "not a link at all", "#networkShape=9,9,9,9,9,9,9,9,9", "#networkShape=a,-3,1e9",
    "#batchSize=NaN&noise=Infinity&learningRate=-1&percTrainData=1e300", "#seed=" + "s" * 10_000,
    "#activation=<script>&dataset=../../etc&problem=42", "#x=false&y=false", "#%ZZ=%%&=&==",
    "#regularizationRate=1e400&learningRate=1e-30", "#" + "a=b&" * 5000, "#seed=\u0000\ud83d\ude00",
])
def test_hostile_links_open_a_valid_config_with_notices(hostile):
    link = parse_tfp(hostile)
    assert isinstance(link.config, pg.Config) and link.config.compat
    assert isinstance(link.notices, list)


def test_hostile_values_are_named_in_notices():
    link = parse_tfp("#networkShape=9,0&batchSize=99&foo=1&learningRate=abc")
    text = " ".join(link.notices)
    assert link.config.hidden == (8, 1) and link.config.batch_size == 30
    for word in ("networkShape", "batchSize", "foo", "learningRate"):
        assert word in text


@pytest.mark.parametrize("cfg", [
    pg.Config(seed="0.88025", compat=True),
    pg.Config(dataset="xor", activation="relu", hidden=(), features=("xy",), batch_size=1, seed="q_w-9"),
    pg.Config(problem="regression", reg_dataset="reg-gauss", regularization="L2", reg_rate=0.3, noise=45,
              train_ratio=90, hidden=(8, 1, 3), learning_rate=0.0123456789, init_zero=True, seed="Z.z"),
])
def test_emit_then_parse_round_trips(cfg):
    link = to_tfp_link(cfg, show_test=True, hidden_controls=("noise",))
    back = parse_tfp(link)
    assert back.config == cfg.replace(compat=True) and back.show_test and back.hidden_controls == ("noise",)
    assert back.notices == []


def test_values_are_read_literally_like_the_peer():
    link = parse_tfp("#seed=a%20b&x=False&y=&xSquared=1&noise=10=20&dataset_hide=1&noise_hide=true")
    c = link.config
    assert c.seed == "a%20b"                  # the peer never URL-decodes its hash
    assert c.features == ("x", "y", "x2")     # only "false" is false; an empty value keeps the default
    assert c.noise == 10 and link.hidden_controls == ("noise",)
    assert parse_tfp("https://playground.tensorflow.org/").notices[0].startswith("The link carries no settings")


def test_views_the_peer_cannot_show_have_no_link():
    assert to_tfp_link(pg.Config(seed="has space")) is None
    assert to_tfp_link(pg.Config(dataset="blobs", loss="cross_entropy")) is None
    assert to_tfp_link(pg.Config(optimizer="adam")) is None
    assert to_tfp_link(pg.Config(dropout=0.1)) is None


def test_any_seed_string_trains():
    for seed in ("\u0000\ud83d\ude00", "😀", "a b"):
        cfg = parse_tfp("#seed=" + seed).config
        assert pg.Trainer(cfg).advance(1).epoch == 1
