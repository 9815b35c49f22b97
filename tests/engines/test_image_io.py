"""Upload validation (before decoding) and conversion to a model's input."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from explorer.engines import image_io as iio
from explorer.engines import images


def png_bytes(arr: np.ndarray, mode: str | None = None, **save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode=mode).save(buf, format="PNG", **save)
    return buf.getvalue()


def jpeg_bytes(img: Image.Image, **save) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=95, **save)
    return buf.getvalue()


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def crafted_png(width: int, height: int, idat: bytes) -> bytes:
    """A PNG with a valid IHDR (8-bit grey) and the given compressed data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return iio.MAGIC["PNG"] + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def digit():
    d = images.mnist(seed=0, n_train=10, n_test=10)
    return d.x_test[0, 0], int(d.y_test[0])


# -- refused uploads, each with a clear message --------------------------------------------------------
def test_empty_file():
    with pytest.raises(ValueError, match="empty"):
        iio.read_image(b"")


@pytest.mark.parametrize("data,kind", [
    (b"hello, this is a text file\n", "text"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"PK\x03\x04\x14\x00\x00\x00", "ZIP"),
    (b"\x80\x04\x95\x10\x00\x00", "pickle"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
])
def test_non_images_are_refused_by_their_bytes(data, kind):
    with pytest.raises(ValueError, match="not a PNG or JPEG") as e:
        iio.read_image(data)
    assert kind in str(e.value)


def test_other_image_formats_are_refused_and_named():
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="GIF")
    with pytest.raises(ValueError, match="GIF"):
        iio.read_image(buf.getvalue())
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="BMP")
    with pytest.raises(ValueError, match="BMP"):
        iio.read_image(buf.getvalue())


def test_a_png_named_jpg_is_fine_the_bytes_decide():
    data = png_bytes(np.zeros((10, 10), np.uint8))
    assert iio.sniff(data) == "PNG" and iio.read_image(data).format == "PNG"


def test_corrupt_png_data():
    good = png_bytes((np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64))
    for bad in (good[:len(good) // 2],                      # truncated
                good[:40] + bytes(200) + good[240:],         # zeros over the compressed data
                iio.MAGIC["PNG"] + b"garbage" * 10):          # no header at all
        with pytest.raises(ValueError, match="damaged"):
            iio.read_image(bad)


def test_corrupt_jpeg_data():
    good = jpeg_bytes(Image.fromarray((np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)))
    with pytest.raises(ValueError, match="damaged"):
        iio.read_image(good[:len(good) // 3])
    with pytest.raises(ValueError, match="damaged"):
        iio.read_image(iio.MAGIC["JPEG"] + b"\xe0" + bytes(30))


def test_decompression_bomb_is_refused_before_decoding():
    """36 megapixels of zeros compress to ~35 KB: the header's size is refused; nothing is decoded."""
    w = h = 6000
    data = crafted_png(w, h, zlib.compress(b"\x00" * ((w + 1) * h), 9))
    assert len(data) < 100_000
    assert iio.header_size(data, "PNG") == (w, h)
    with pytest.raises(ValueError, match="6,000×6,000 pixels") as e:
        iio.read_image(data)
    assert "decompression bomb" in str(e.value)


def test_pillow_bomb_check_is_the_second_line():
    """With our own caps lifted, Pillow's MAX_IMAGE_PIXELS guard still refuses 400 megapixels."""
    data = crafted_png(20_000, 20_000, zlib.compress(b"\x00" * 100))
    lifted = iio.Limits(max_pixels=10**10, max_side=10**6)
    with pytest.raises(ValueError, match="decompression bomb"):
        iio.read_image(data, limits=lifted)
    assert Image.MAX_IMAGE_PIXELS is not None


def test_huge_image_by_its_dimensions():
    data = crafted_png(12_000, 100, zlib.compress(b"\x00" * (12_001 * 100)))
    with pytest.raises(ValueError, match="10,000 pixels a side"):
        iio.read_image(data)


def test_huge_file_by_its_bytes():
    noise = (np.random.default_rng(1).random((1400, 1400, 3)) * 255).astype(np.uint8)
    data = png_bytes(noise, compress_level=0)
    assert len(data) > iio.LIMITS.max_bytes
    with pytest.raises(ValueError, match="limited to 5.0 MB"):
        iio.read_image(data)


def test_jpeg_header_is_read_without_decoding():
    data = jpeg_bytes(Image.new("RGB", (123, 45), "white"))
    assert iio.header_size(data, "JPEG") == (123, 45)
    with pytest.raises(ValueError, match="123×45"):
        iio.read_image(data, limits=iio.Limits(max_pixels=5000))


def test_limits_and_specs_are_validated():
    with pytest.raises(ValueError, match="max_bytes"):
        iio.Limits(max_bytes=0)
    with pytest.raises(ValueError, match="channels"):
        iio.InputSpec(channels=2)
    with pytest.raises(ValueError, match="fit"):
        iio.InputSpec(size=28, fit=40)


# -- conversion to the model's input --------------------------------------------------------------------
def test_a_dark_on_light_digit_comes_back_as_mnist(digit):
    """An MNIST digit drawn black on white at 4× size (as a user would) is inverted, cropped,
    fitted into 20×20 and centred by mass: it matches the original 28×28 digit closely."""
    x, _ = digit
    big = Image.fromarray(((1 - x) * 255).astype(np.uint8)).resize((112, 112), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    big.save(buf, format="PNG")
    p = iio.read_image(buf.getvalue(), iio.SPECS["mnist"])
    assert p.inverted and p.x.shape == (1, 28, 28) and p.x.dtype == np.float32
    assert 0.0 <= p.x.min() and p.x.max() <= 1.0
    assert np.corrcoef(p.x[0].ravel(), x.ravel())[0, 1] > 0.85
    yy, xx = np.mgrid[0:28, 0:28]
    m = p.x[0] / p.x[0].sum()
    assert abs((yy * m).sum() - 14) < 0.6 and abs((xx * m).sum() - 14) < 0.6  # MNIST's centre of mass


def test_light_on_dark_is_not_inverted(digit):
    x, _ = digit
    p = iio.read_image(png_bytes((x * 255).astype(np.uint8)), iio.SPECS["mnist"])
    assert not p.inverted
    assert np.corrcoef(p.x[0].ravel(), x.ravel())[0, 1] > 0.9


def test_rgb_alpha_and_palette_uploads(digit):
    x, _ = digit
    ink = (x * 255).astype(np.uint8)
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = ink  # black strokes on a transparent background: flattened onto white, then inverted
    p = iio.read_image(png_bytes(rgba))
    assert p.inverted and np.corrcoef(p.x[0].ravel(), x.ravel())[0, 1] > 0.8
    pal = Image.fromarray(np.stack([ink] * 3, -1)).convert("P", palette=Image.Palette.ADAPTIVE)
    buf = io.BytesIO()
    pal.save(buf, format="PNG")
    assert iio.read_image(buf.getvalue()).x.shape == (1, 28, 28)
    p16 = iio.read_image(png_bytes(ink.astype(np.uint16) * 257))  # a 16-bit grey PNG
    assert np.corrcoef(p16.x[0].ravel(), x.ravel())[0, 1] > 0.9


def test_shapes_input_keeps_colour_and_aspect():
    """A wide red bar on blue: letterboxed into 28×28 RGB, padded with the border colour."""
    a = np.zeros((30, 90, 3), np.uint8)
    a[...] = (0, 0, 255)
    a[10:20, 20:70] = (255, 0, 0)
    p = iio.read_image(png_bytes(a), iio.SPECS["shapes"])
    assert p.x.shape == (3, 28, 28) and not p.inverted
    assert p.x[:, 0, 14].tolist() == pytest.approx([0, 0, 1], abs=0.02)  # padding is the border blue
    assert p.x[:, 14, 14].tolist() == pytest.approx([1, 0, 0], abs=0.1)  # the red bar in the middle
    assert p.x[2, 14, 1] > 0.9 and p.x[0, 14, 1] < 0.1                  # blue at the bar's ends


def test_exif_orientation_is_applied():
    a = np.zeros((20, 40, 3), np.uint8)
    a[:, :20] = 255  # white left half
    img = Image.fromarray(a)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    p = iio.read_image(jpeg_bytes(img, exif=exif.tobytes()), iio.InputSpec(3, 28, "never", False, 28))
    top, bottom = p.x[:, 2, 10:18].mean(), p.x[:, 25, 10:18].mean()  # the middle columns (no padding)
    assert top > 0.8 and bottom < 0.2  # the white half is now on top


def test_blank_image_does_not_crash():
    p = iio.read_image(png_bytes(np.full((50, 50), 255, np.uint8)))
    assert p.x.shape == (1, 28, 28) and np.isfinite(p.x).all()


def test_encode_png_round_trip():
    x = np.random.default_rng(0).random((3, 9, 7)).astype(np.float32)
    back = np.asarray(Image.open(io.BytesIO(iio.encode_png(x)))) / 255.0
    np.testing.assert_allclose(back.transpose(2, 0, 1), x, atol=1 / 255)


def test_grey_paper_is_stretched_to_black_and_white(digit):
    """A faint photo-like digit (ink 0.35 on paper 0.8): background 0 and ink 1 after conversion."""
    x, _ = digit
    photo = ((0.8 - 0.45 * x) * 255).astype(np.uint8)
    p = iio.read_image(png_bytes(photo))
    assert p.inverted and p.x.max() == pytest.approx(1.0, abs=0.02)
    assert np.median(p.x) < 0.01 and np.corrcoef(p.x[0].ravel(), x.ravel())[0, 1] > 0.9
