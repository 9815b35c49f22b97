"""Linear-algebra figures from tiny arrays: traces, frames, animation button, image tiles."""
import base64

import numpy as np

from explorer.viz import linalg as vz


def arr(v) -> np.ndarray:
    """A plotly JSON array, plain or base64-typed ({"dtype", "bdata", "shape"})."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        return a.reshape([int(s) for s in str(shape).split(",")]) if shape else a
    return np.array([np.nan if x is None else x for x in np.ravel(v)] if np.ndim(v) == 1 else v, dtype=float)

GRID = np.array([[-1.0, 0.0], [1.0, 0.0], [np.nan, np.nan], [0.0, -1.0], [0.0, 1.0]])
CIRCLE = np.c_[np.cos(np.linspace(0, 2 * np.pi, 9)), np.sin(np.linspace(0, 2 * np.pi, 9))]
SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
A = np.array([[2.0, 1.0], [0.0, -1.0]])


def stages(n=3):
    return [(f"t = {t:.2f}", (1 - t) * np.eye(2) + t * A) for t in np.linspace(0, 1, n)]


def xy(trace):
    return arr(trace["x"]), arr(trace["y"])


def test_arrow_points_make_one_segment_per_arrow_with_a_head_at_the_tip():
    x, y, s = vz.arrow_points([[0, 0], [1, 1]], [[1, 0], [0, 2]])
    assert np.array_equal(x, [0.0, 1.0, np.nan, 1.0, 1.0, np.nan], equal_nan=True)
    assert np.array_equal(y, [0.0, 0.0, np.nan, 1.0, 3.0, np.nan], equal_nan=True)
    assert list(s) == [0, 13, 0, 0, 13, 0]


def test_map_figure_draws_the_chosen_stage_and_animates_all():
    eig = [(2.0, np.array([1.0, 0.0]))]
    fig = vz.map_figure(GRID, CIRCLE, SQUARE, stages(3), 2, eig, 3.0, "The plane")
    d = fig.to_dict()
    assert len(d["frames"]) == 3 and d["frames"][0]["traces"] == [1, 3, 4, 5, 6, 8]
    assert "t = 1.00" in d["layout"]["title"]["text"]
    cx, cy = xy(d["data"][3])
    assert np.allclose(np.c_[cx, cy], CIRCLE @ A.T)  # the static picture is A's
    e1x, e1y = xy(d["data"][5])
    assert np.allclose([e1x[1], e1y[1]], A[:, 0])
    assert "flipped" in d["data"][4]["name"] and d["data"][4]["fillcolor"] == vz.NEG_AREA  # det A = −2
    assert d["frames"][0]["data"][2]["fillcolor"] == vz.POS_AREA  # the identity keeps orientation
    btn = d["layout"]["updatemenus"][0]["buttons"][0]
    assert btn["method"] == "animate" and "Animate" in btn["label"] and "play" not in btn["label"].lower()
    assert d["layout"]["yaxis"]["scaleanchor"] == "x" and d["layout"]["xaxis"]["range"] == [-3.0, 3.0]
    vx, vy = xy(d["data"][8])
    assert np.allclose([vx[1], vy[1]], [2.0, 0.0])  # A v = λ v drawn


def test_map_figure_without_real_eigenvectors_hides_the_eigen_traces():
    fig = vz.map_figure(GRID, CIRCLE, SQUARE, stages(2), 0, [], 2.0, "R").to_dict()
    assert fig["data"][7]["visible"] is False and fig["data"][8]["visible"] is False


def test_svd_figure_has_a_frame_per_stage_and_the_final_ellipse():
    st = [("start", np.eye(2)), ("end", A)]
    d = vz.svd_figure(GRID, CIRCLE, st, 0, np.eye(2), A, 3.0).to_dict()
    assert len(d["frames"]) == 2 and d["layout"]["title"]["text"] == "start"
    fx, fy = xy(d["data"][0])
    assert np.allclose(np.c_[fx, fy], CIRCLE @ A.T)
    cx, cy = xy(d["data"][2])
    assert np.allclose(np.c_[cx, cy], CIRCLE)
    assert "Animate" in d["layout"]["updatemenus"][0]["buttons"][0]["label"]


def test_variance_figure_marks_k():
    ratio = np.array([0.5, 0.3, 0.2])
    d = vz.variance_figure(ratio, 2).to_dict()
    assert [t["type"] for t in d["data"]] == ["bar", "scatter", "scatter"]
    assert np.allclose(arr(d["data"][1]["y"]), [50, 80, 100])
    assert d["data"][2]["y"] == [80.0] and "80.0 %" in d["layout"]["title"]["text"]
    assert d["layout"]["xaxis"]["title"]["text"] and d["layout"]["yaxis"]["title"]["text"]


def test_projection_figure_has_one_trace_per_digit():
    lab = np.array([0, 1, 1, 7])
    d = vz.projection_figure(np.arange(4.0), np.arange(4.0), lab, ("PC1", "PC2")).to_dict()
    assert [t["name"] for t in d["data"]] == ["0", "1", "7"]
    assert len(arr(d["data"][1]["x"])) == 2 and d["layout"]["xaxis"]["title"]["text"] == "PC1"


def test_tiles_put_images_side_by_side_with_gaps():
    imgs = np.arange(2 * 3 * 64, dtype=float).reshape(2, 3, 64)
    t = vz.tiles(imgs)
    assert t.shape == (17, 26)
    assert np.isnan(t[8]).all() and np.isnan(t[:, 8]).all()
    assert np.array_equal(t[9:17, 9:17], imgs[1, 1].reshape(8, 8))


def test_digits_figure_has_three_image_panels():
    x = np.random.default_rng(0).uniform(0, 16, (4, 64))
    d = vz.digits_figure(x, x + 20, [0, 1, 2, 3], 5, np.ones(4), x[0], x[:3] - 8).to_dict()
    assert [t["type"] for t in d["data"]] == ["heatmap"] * 3
    top = arr(d["data"][0]["z"])
    assert top.shape == (17, 35) and np.nanmax(top) <= 16  # reconstructions clipped to the ink range
    assert "k = 5" in d["layout"]["title"]["text"]
