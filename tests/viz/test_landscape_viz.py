"""Loss-landscape figures from tiny arrays."""
import numpy as np

from explorer.viz import landscape as vz


def test_contour_surface_compare_interpolation_spectrum():
    a = np.linspace(-1, 1, 5)
    z = 1 + np.add.outer(a**2, a**2)
    f = vz.contour_figure(a, a, z, title="T", path=np.array([[1.0, 1.0], [0.0, 0.0]]))
    assert [t.type for t in f.data] == ["contour", "scatter", "scatter", "scatter"]
    assert np.allclose(f.data[0].z, np.log10(z)) and f.layout.xaxis.title.text == "direction 1"
    s = vz.surface3d_figure(a, a, z, title="S", log=False)
    assert s.data[0].type == "surface" and np.allclose(s.data[0].z, z)
    c = vz.compare_figure(a, a, z, 2 * z, names=("A", "B"), title="C")
    assert c.data[0].zmax == c.data[1].zmax and c.data[0].zmin == c.data[1].zmin  # one colour scale
    i = vz.interpolation_figure({"x": (a, a**2)}, title="I")
    assert i.data[0].name == "x" and i.layout.xaxis.title.text == "α"
    sp = vz.spectrum_figure(a, np.ones(5), [(np.array([0.1, 2.0]), np.array([0.5, 0.5]))], [1.0, 1.9, 2.0],
                            title="H")
    assert len(sp.data) == 3 and sp.layout.title.text == "H"
