"""Numerical computing (§2.5): floating-point formats, stable formulas, conditioning.

* Formats are built generically from their bit layout (sign · exponent · mantissa, bias,
  subnormals, inf/NaN rules): fp32, fp16, bf16, fp8 e4m3fn and e5m2, plus fp64 as the
  reference. :func:`round_to` rounds float64 to a format (round to nearest, ties to even);
  :func:`round_exact` rounds an exact rational. Both agree with torch's own dtypes bit for
  bit (tests), with two facts of torch worth knowing, reproduced by :func:`torch_rule`:
  torch casts float64 to the 16- and 8-bit types *through float32* (two roundings), and it
  saturates out-of-range casts to e4m3fn at ±448 (±inf too) instead of giving NaN.
* Arithmetic "in a format" is emulated by rounding after every operation (IEEE's rule for
  + − × ÷ √; for exp, cos, sin it is the correctly rounded result).
* Lessons: overflow/underflow of exp(x) and x², softmax naive vs max-subtracted,
  catastrophic cancellation, the condition number of Ax = b, gradient descent vs κ.

Everything returns NumPy (float64) or small frozen dataclasses of it.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from explorer.engines.contract import check


# -- formats ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Format:
    """A binary floating-point format.

    ``fn``: "finite + NaN" (OCP e4m3fn): no infinities; only S.1111.111 is NaN, so the top
    exponent holds normal numbers. ``saturate``: an overflowing cast gives ±max (torch's
    behaviour for e4m3fn) instead of ±inf (or NaN in a format without inf).
    """

    key: str
    label: str
    exp_bits: int
    man_bits: int
    fn: bool = False
    saturate: bool = False
    torch_dtype: str = ""

    @property
    def bits(self) -> int:
        return 1 + self.exp_bits + self.man_bits

    @property
    def bias(self) -> int:
        return 2 ** (self.exp_bits - 1) - 1

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal number (subnormals share it)."""
        return 1 - self.bias

    @property
    def emax(self) -> int:
        return 2 ** self.exp_bits - (1 if self.fn else 2) - self.bias

    @property
    def max(self) -> float:
        top = 2 - 2.0 ** (1 - self.man_bits) if self.fn else 2 - 2.0 ** -self.man_bits
        return math.ldexp(top, self.emax)

    @property
    def min_normal(self) -> float:
        return math.ldexp(1.0, self.emin)

    @property
    def min_subnormal(self) -> float:
        return math.ldexp(1.0, self.emin - self.man_bits)

    @property
    def eps(self) -> float:
        """Machine epsilon: the gap between 1 and the next number, 2^−mantissa_bits."""
        return math.ldexp(1.0, -self.man_bits)

    @property
    def digits(self) -> float:
        """Decimal digits of precision, log10(2^(m+1))."""
        return (self.man_bits + 1) * math.log10(2)

    @property
    def max_code(self) -> int:
        """The bit pattern (sign 0) of the largest finite number."""
        top_e = 2 ** self.exp_bits - (1 if self.fn else 2)
        top_m = 2 ** self.man_bits - (2 if self.fn else 1)
        return (top_e << self.man_bits) | top_m


FP64 = Format("fp64", "float64", 11, 52, torch_dtype="float64")
FP32 = Format("fp32", "float32", 8, 23, torch_dtype="float32")
FORMATS = {
    "fp32": FP32,
    "fp16": Format("fp16", "float16", 5, 10, torch_dtype="float16"),
    "bf16": Format("bf16", "bfloat16", 8, 7, torch_dtype="bfloat16"),
    "e4m3": Format("e4m3", "fp8 e4m3fn", 4, 3, fn=True, saturate=True, torch_dtype="float8_e4m3fn"),
    "e5m2": Format("e5m2", "fp8 e5m2", 5, 2, torch_dtype="float8_e5m2"),
}
ORDER = tuple(FORMATS)
ALL = {**FORMATS, "fp64": FP64}


def get(key: str) -> Format:
    check(key in ALL, "format", f"one of {', '.join(ALL)}")
    return ALL[key]


def round_to(x, fmt: Format) -> np.ndarray:
    """float64 values (any shape) rounded to ``fmt``: nearest, ties to even, with gradual
    underflow; overflow gives ±inf, or ±max when ``fmt.saturate``, or NaN in an ``fn``
    format that does not saturate. NaN stays NaN; the sign of zero is kept."""
    x = np.asarray(x, dtype=np.float64)
    if fmt.key == "fp64":
        return x.copy()
    with np.errstate(all="ignore"):
        ax = np.abs(x)
        _, e = np.frexp(ax)  # ax = f · 2^e with f in [0.5, 1)
        exp = np.maximum(e.astype(np.int64) - 1, fmt.emin)
        q = np.ldexp(1.0, (exp - fmt.man_bits).astype(np.int32))  # the spacing at ax: a power of 2
        mag = np.round(ax / q) * q  # ax / q is exact (power-of-2 scaling); np.round ties to even
        over = mag > fmt.max  # also catches inf
        fill = fmt.max if fmt.saturate else (np.nan if fmt.fn else np.inf)
        mag = np.where(over, fill, mag)
        return np.copysign(mag, x)


def torch_rule(x, fmt: Format) -> np.ndarray:
    """What ``torch.tensor(x, dtype=float64).to(dtype)`` gives: torch converts float64 to the
    16- and 8-bit types through float32, so the value is rounded twice."""
    if fmt.key in ("fp32", "fp64"):
        return round_to(x, fmt)
    return round_to(round_to(x, FP32), fmt)


def torch_cast(x, fmt: Format) -> np.ndarray:
    """torch's actual cast of float64 values to ``fmt``'s dtype, read back as float64."""
    import torch

    t = torch.as_tensor(np.asarray(x, dtype=np.float64))
    return t.to(getattr(torch, fmt.torch_dtype)).to(torch.float64).numpy()


def torch_bits(x, fmt: Format) -> np.ndarray:
    """The bit patterns (as int64) torch stores for float64 values cast to ``fmt``."""
    import torch

    view = {8: torch.uint8, 16: torch.int16, 32: torch.int32}[fmt.bits]
    t = torch.as_tensor(np.asarray(x, dtype=np.float64)).to(getattr(torch, fmt.torch_dtype))
    return t.view(view).to(torch.int64).numpy() & ((1 << fmt.bits) - 1)


def encode(v, fmt: Format) -> np.ndarray:
    """Bit patterns (int64, sign·exponent·mantissa) of values already representable in
    ``fmt`` (≤ 32 bits). NaN gets the canonical pattern (quiet NaN, or S.1111.111 in fn)."""
    check(fmt.bits <= 32, "fmt", "a format of at most 32 bits")
    v = np.asarray(v, dtype=np.float64)
    m, eb = fmt.man_bits, fmt.exp_bits
    with np.errstate(all="ignore"):
        sign = np.signbit(v).astype(np.int64)
        av = np.where(np.isfinite(v), np.abs(v), 0.0)
        _, e = np.frexp(av)
        exp = e.astype(np.int64) - 1
        normal = av >= fmt.min_normal
        big_e = np.where(normal, exp + fmt.bias, 0)
        frac = np.where(normal, np.ldexp(av, (-exp).astype(np.int32)) - 1.0, av / fmt.min_subnormal / 2.0 ** m)
        mant = np.rint(frac * 2.0 ** m).astype(np.int64)
    top = 2 ** eb - 1
    big_e = np.where(np.isinf(v), top, big_e)
    mant = np.where(np.isinf(v), 0, mant)
    nan = np.isnan(v)
    big_e = np.where(nan, top, big_e)
    mant = np.where(nan, 2 ** m - 1 if fmt.fn else 1 << (m - 1), mant)
    return (sign << (eb + m)) | (big_e << m) | mant


def decode(code, fmt: Format) -> np.ndarray:
    """float64 values of bit patterns (int64) of ``fmt`` (≤ 32 bits)."""
    code = np.asarray(code, dtype=np.int64)
    m, eb = fmt.man_bits, fmt.exp_bits
    sign = (code >> (eb + m)) & 1
    big_e = (code >> m) & (2 ** eb - 1)
    mant = code & (2 ** m - 1)
    val = np.where(big_e == 0, mant * fmt.min_subnormal,
                   np.ldexp(1.0 + mant / 2.0 ** m, (big_e - fmt.bias).astype(np.int32)))
    top = big_e == 2 ** eb - 1
    if fmt.fn:
        nan = top & (mant == 2 ** m - 1)
    else:
        nan = top & (mant != 0)
        val = np.where(top & (mant == 0), np.inf, val)
    val = np.where(nan, np.nan, val)
    return np.where(sign == 1, -val, val)


def fields(code: int, fmt: Format) -> tuple[int, int, int]:
    """(sign, exponent field, mantissa field) of one bit pattern."""
    m, eb = fmt.man_bits, fmt.exp_bits
    return (code >> (eb + m)) & 1, (code >> m) & (2 ** eb - 1), code & (2 ** m - 1)


def ulp(v, fmt: Format) -> np.ndarray:
    """The spacing of ``fmt`` at |v|: the gap from |v| to the next larger number."""
    av = np.abs(np.asarray(v, dtype=np.float64))
    with np.errstate(all="ignore"):
        _, e = np.frexp(np.where(np.isfinite(av), av, fmt.max))
    exp = np.where(av == 0, fmt.emin, np.maximum(e.astype(np.int64) - 1, fmt.emin))
    return np.ldexp(1.0, (exp - fmt.man_bits).astype(np.int32))


def neighbors(v: float, fmt: Format, k: int = 4) -> np.ndarray:
    """The 2k+1 representable numbers around a representable (or ±inf) v, in increasing
    order, v in the middle; NaN where the finite range ends."""
    if math.isnan(v):
        return np.full(2 * k + 1, np.nan)
    code = int(encode(v, fmt))
    mag = code & ((1 << (fmt.bits - 1)) - 1)
    ordinal = -mag if code >> (fmt.bits - 1) else mag
    ords = ordinal + np.arange(-k, k + 1)
    mags = np.abs(ords)
    vals = decode(mags, fmt) * np.where(ords < 0, -1.0, 1.0)
    vals = np.where(mags <= fmt.max_code, vals, np.nan)
    vals[k] = v
    return vals


def relative_spacing(fmt: Format, sub_points: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """The relative gap (gap to the next number)/x of ``fmt`` for x from its smallest
    subnormal to its largest number: it rises as min_subnormal/x through the subnormals, then
    saws between ε (at each power of two) and ε/2 (just below the next). Returns (x, rel) for
    a line plot (repeated x values make the vertical drops)."""
    xs = [np.geomspace(fmt.min_subnormal, fmt.min_normal, sub_points)]
    rel = [fmt.min_subnormal / xs[0]]
    edges = np.ldexp(1.0, np.arange(fmt.emin, fmt.emax + 1).astype(np.int32))
    tops = np.minimum(2 * edges, fmt.max)
    xs.append(np.column_stack([edges, tops]).ravel())
    rel.append(np.column_stack([np.full(edges.size, fmt.eps), ulp(edges, fmt) / tops]).ravel())
    return np.concatenate(xs), np.concatenate(rel)


# -- a typed number ---------------------------------------------------------------------------
MAX_DECIMAL_EXPONENT = 1000
HOW_TO_TYPE = ("Type a decimal like 0.1 or -3.75e-5, a fraction like 1/3, a power like 2^-24, "
               "or inf / nan.")
_DEC = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?"


@dataclass(frozen=True)
class Parsed:
    """A typed number: ``exact`` (a Fraction) when finite, else ``special`` (±inf or NaN);
    ``error`` says why the text is not a number (both None then)."""

    text: str
    exact: Fraction | None = None
    special: float | None = None
    error: str | None = None

    @property
    def value(self) -> float:
        """The nearest float64 (±inf beyond its range)."""
        if self.special is not None:
            return self.special
        return _float(self.exact)


def _decimal(s: str) -> Fraction:
    m = re.fullmatch(_DEC, s)
    if m is None:
        raise ValueError
    exp = re.search(r"e([+-]?\d+)$", s)
    if exp and abs(int(exp.group(1))) > MAX_DECIMAL_EXPONENT:
        raise OverflowError
    return Fraction(s)


def parse_number(text: str) -> Parsed:
    """Parse a typed number exactly: decimals, fractions a/b, powers a^n, inf, nan."""
    s = str(text).strip().replace(" ", "").replace("_", "").lower()
    if not s:
        return Parsed(text, error="The box is empty. " + HOW_TO_TYPE)
    bare = s.lstrip("+-")
    neg = s.startswith("-")
    if bare in ("inf", "infinity"):
        return Parsed(text, special=-math.inf if neg else math.inf)
    if bare == "nan":
        return Parsed(text, special=math.nan)
    try:
        if "/" in s:
            a, _, b = s.partition("/")
            num, den = _decimal(a), _decimal(b)
            if den == 0:
                return Parsed(text, error="Division by zero: the denominator is 0. " + HOW_TO_TYPE)
            q = num / den
        elif "^" in s:
            a, _, b = s.partition("^")
            if not re.fullmatch(r"[+-]?\d{1,5}", b):
                raise ValueError
            base, n = _decimal(a), int(b)
            if base == 0 and n < 0:
                return Parsed(text, error="0 to a negative power is undefined. " + HOW_TO_TYPE)
            if base != 0 and abs(n * math.log10(abs(base))) > MAX_DECIMAL_EXPONENT:
                raise OverflowError
            q = base ** n
        else:
            q = _decimal(s)
    except OverflowError:
        return Parsed(text, error=f"That number is beyond 10^±{MAX_DECIMAL_EXPONENT}, far outside every "
                                  "format here. " + HOW_TO_TYPE)
    except (ValueError, ZeroDivisionError):
        return Parsed(text, error="That is not a number. " + HOW_TO_TYPE)
    if q != 0 and abs(q.numerator.bit_length() - q.denominator.bit_length()) > 3.33 * MAX_DECIMAL_EXPONENT:
        return Parsed(text, error=f"That number is beyond 10^±{MAX_DECIMAL_EXPONENT}, far outside every "
                                  "format here. " + HOW_TO_TYPE)
    return Parsed(text, exact=Fraction(q))


def _floor_log2(a: Fraction) -> int:
    e = a.numerator.bit_length() - a.denominator.bit_length()
    return e - 1 if a < Fraction(2) ** e else e


def _round_unbounded(a: Fraction, fmt: Format) -> Fraction:
    """a ≥ 0 rounded to fmt's precision as if the exponent range had no top."""
    if a == 0:
        return Fraction(0)
    e = max(_floor_log2(a), fmt.emin)
    quantum = Fraction(2) ** (e - fmt.man_bits)
    return round(a / quantum) * quantum  # Fraction.__round__ rounds half to even


def round_exact(q: Fraction, fmt: Format) -> Fraction | float:
    """An exact rational rounded to ``fmt`` in exact arithmetic (nearest, ties to even): a
    Fraction when finite, else ±inf or NaN (the overflow rule of :func:`round_to`)."""
    r = _round_unbounded(abs(q), fmt)
    if r > Fraction(fmt.max):
        if fmt.saturate:
            r = Fraction(fmt.max)
        else:
            return math.nan if fmt.fn else (math.inf if q > 0 else -math.inf)
    return r if q > 0 else -r


def exact_decimal(q: Fraction, digits: int = 36) -> str:
    """The exact decimal expansion of a dyadic rational (every float is one), shortened to
    ``digits`` significant digits with '…' when longer."""
    if q == 0:
        return "0"
    sign = "-" if q < 0 else ""
    a = abs(q)
    den, k = a.denominator, 0
    while den % 2 == 0:
        den //= 2
        k += 1
    if den != 1:  # not dyadic: print a rounded decimal
        return sign + f"{float(a):.17g}"
    n = a.numerator * 5 ** k  # a = n / 10^k exactly
    s = str(n)
    point = len(s) - k  # digits before the decimal point
    s = s.rstrip("0") or "0"
    cut = len(s) > digits
    sig = s[:digits]
    if -4 < point <= 20:
        if point <= 0:
            out = "0." + "0" * (-point) + sig
        elif point >= len(sig):
            out = sig + "0" * (point - len(sig)) if not cut else sig + "…"
            return sign + out
        else:
            out = sig[:point] + "." + sig[point:]
        return sign + out + ("…" if cut else "")
    mant = sig[0] + ("." + sig[1:] if len(sig) > 1 else "")
    return f"{sign}{mant}{'…' if cut else ''}e{point - 1:+d}"


@dataclass(frozen=True)
class Stored:
    """One format's storage of the typed number."""

    fmt: str
    value: float              # the stored value (float64 holds every value of these formats)
    exact: Fraction | None    # the same, exactly (None when ±inf/NaN)
    abs_err: float            # |stored − typed| (inf/NaN when not finite)
    rel_err: float            # abs_err / |typed| (NaN for 0)
    code: int | None          # bit pattern (None for fp64)
    gap: float                # spacing of the format at the stored value
    neighbors: np.ndarray     # (2k+1,) representable values around it
    torch_value: float        # torch's cast of the float64 value
    status: str


def _float(q: Fraction) -> float:
    """float(q), or ±inf beyond float64's range."""
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def store(p: Parsed, fmt: Format, k: int = 4) -> Stored:
    """How the typed number is stored in ``fmt``: value, bits, errors, neighbours, status."""
    if p.exact is not None:
        r = round_exact(p.exact, fmt)
        exact = r if isinstance(r, Fraction) else None
        value = float(r)
        if value == 0 and p.exact < 0:
            value = -0.0  # a negative number that underflows keeps its sign
        if exact is not None:
            err = abs(exact - p.exact)
            abs_err = _float(err)
            rel_err = _float(err / abs(p.exact)) if p.exact != 0 else math.nan
        else:
            abs_err = rel_err = math.inf if math.isinf(value) else math.nan
        tiny = p.exact != 0 and abs(p.exact) < Fraction(fmt.min_normal)
        if exact is None or _round_unbounded(abs(p.exact), fmt) > Fraction(fmt.max):
            status = ("overflow → NaN" if math.isnan(value) else f"overflow → {value:g}" if math.isinf(value)
                      else f"saturated at {value:g}")
        elif exact == p.exact:
            status = "exact" + (" (subnormal)" if tiny else "")
        elif exact == 0:
            status = "underflow → 0"
        else:
            status = "rounded" + (" (subnormal)" if tiny else "")
    else:
        value = float(round_to(p.special, fmt))
        exact = None
        abs_err = rel_err = 0.0 if (value == p.special) else math.nan
        status = ("NaN" if math.isnan(value) else f"{value:g}" if math.isinf(value) else f"saturated at {value:g}")
    if fmt.bits <= 32:
        code = int(encode(value, fmt))
        near = neighbors(value, fmt, k)
    else:
        code = None
        near = np.full(2 * k + 1, np.nan)
        if math.isfinite(value):
            near[k] = value
            for i in range(1, k + 1):
                near[k + i] = np.nextafter(near[k + i - 1], np.inf)
                near[k - i] = np.nextafter(near[k - i + 1], -np.inf)
    gap = float(ulp(value, fmt)) if math.isfinite(value) else math.nan
    tv = float(torch_cast(p.value, fmt)) if fmt.torch_dtype else math.nan
    return Stored(fmt.key, value, exact, abs_err, rel_err, code, gap, near, tv, status)


# -- overflow and underflow -------------------------------------------------------------------
OVERFLOW_FNS = ("exp", "square")
# status codes of a stored result
NORMAL, SUBNORMAL, UNDERFLOW, OVERFLOW, SATURATED, NAN = range(6)
STATUS_NAMES = ("normal", "subnormal (precision lost)", "underflow → 0", "overflow → inf", "saturated at max",
                "NaN")


@dataclass(frozen=True)
class RangeStudy:
    """f(x) computed in each format of ``ORDER``: x (N,), true f(x) (N,), stored (F, N),
    relative error (F, N), status codes (F, N)."""

    fn: str
    x: np.ndarray
    true: np.ndarray
    stored: np.ndarray
    rel_err: np.ndarray
    status: np.ndarray


def range_study(fn: str, n: int = 601) -> RangeStudy:
    """exp(x) on x ∈ [−110, 95] or x² on x ∈ [1e−30, 1e30]: x is stored in the format, f
    is computed, the result stored in the format."""
    check(fn in OVERFLOW_FNS, "fn", f"one of {', '.join(OVERFLOW_FNS)}")
    x = np.linspace(-110.0, 95.0, n) if fn == "exp" else np.logspace(-30, 30, n)
    f = np.exp if fn == "exp" else np.square
    true = f(x)
    stored, rel, status = [], [], []
    with np.errstate(all="ignore"):
        for key in ORDER:
            fmt = FORMATS[key]
            y = round_to(f(round_to(x, fmt)), fmt)
            r = np.abs(y - true) / np.abs(true)
            s = np.full(n, NORMAL, dtype=np.int8)
            s[(np.abs(y) < fmt.min_normal) & (y != 0)] = SUBNORMAL
            s[(y == 0) & (true != 0)] = UNDERFLOW
            s[np.isinf(y)] = OVERFLOW
            s[(np.abs(y) == fmt.max) & (true > fmt.max)] = SATURATED
            s[np.isnan(y)] = NAN
            stored.append(y), rel.append(r), status.append(s)
    return RangeStudy(fn, x, true, np.array(stored), np.array(rel), np.array(status))


# -- softmax ------------------------------------------------------------------------------------
LOGITS = np.array([2.0, 1.3, 0.8, 0.2, -0.4, -1.0, -1.7, -2.5])
SOFTMAX_FORMATS = ("fp16", "bf16", "fp32")


@dataclass(frozen=True)
class Softmax:
    """Softmax of logits = scale·LOGITS + shift, computed by torch in one dtype.

    logits (K,) as stored; exact (K,) float64 softmax of the stored logits; naive (K,)
    exp(l)/Σexp(l); stable (K,) exp(l − max)/Σexp(l − max); exps (K,) the naive exp(l);
    lse_*: log Σ exp(l) (naive: log of the sum; stable: max + log Σ exp(l − max))."""

    fmt: str
    logits: np.ndarray
    exact: np.ndarray
    naive: np.ndarray
    stable: np.ndarray
    exps: np.ndarray
    lse_exact: float
    lse_naive: float
    lse_stable: float


def _softmaxes(logits64: np.ndarray, fmt_key: str):
    import torch

    check(fmt_key in SOFTMAX_FORMATS, "fmt", f"one of {', '.join(SOFTMAX_FORMATS)}")
    dtype = getattr(torch, FORMATS[fmt_key].torch_dtype)
    t = torch.as_tensor(logits64).to(dtype)
    e = torch.exp(t)
    s = e.sum(-1, keepdim=True)
    naive = e / s
    m = t.max(-1, keepdim=True).values
    e2 = torch.exp(t - m)
    s2 = e2.sum(-1, keepdim=True)
    stable = e2 / s2
    lse_naive = torch.log(s)[..., 0]
    lse_stable = (m + torch.log(s2))[..., 0]
    l64 = t.to(torch.float64)
    exact = torch.softmax(l64, -1)
    f = lambda a: a.to(torch.float64).numpy()  # noqa: E731
    return (f(l64), exact.numpy(), f(naive), f(stable), f(e), torch.logsumexp(l64, -1).numpy(),
            f(lse_naive), f(lse_stable))


def softmax(fmt_key: str, scale: float, shift: float) -> Softmax:
    """Naive and stable softmax of scale·LOGITS + shift in ``fmt_key`` (torch's own ops)."""
    check(math.isfinite(scale) and math.isfinite(shift), "scale", "finite scale and shift")
    out = _softmaxes(scale * LOGITS + shift, fmt_key)
    return Softmax(fmt_key, *out[:5], float(out[5]), float(out[6]), float(out[7]))


def softmax_sweep(fmt_key: str, shift: float, scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max |p − p_exact| of the naive and the stable softmax for each scale (NaN where the
    result has a NaN)."""
    scales = np.asarray(scales, dtype=np.float64)
    _, exact, naive, stable, *_ = _softmaxes(scales[:, None] * LOGITS[None, :] + shift, fmt_key)
    with np.errstate(invalid="ignore"):
        return np.abs(naive - exact).max(1), np.abs(stable - exact).max(1)


# -- catastrophic cancellation -------------------------------------------------------------------
CANCELLATIONS = ("cos", "var", "sqrt", "plus1")
VAR_SAMPLES = 64


@dataclass(frozen=True)
class Cancellation:
    """Relative error of a naive formula and of a stable rewrite, per format of ``ORDER``:
    x (N,), naive (F, N), stable (F, N) (all NaN for 'plus1', which has no rewrite)."""

    kind: str
    x: np.ndarray
    naive: np.ndarray
    stable: np.ndarray


def _variance(data: np.ndarray, r) -> tuple[np.ndarray, np.ndarray]:
    """Textbook E[x²] − E[x]² and Welford's one-pass variance of each row of data (M, n),
    every operation rounded by r."""
    n = data.shape[1]
    s1 = np.zeros(data.shape[0])
    s2 = np.zeros(data.shape[0])
    mean = np.zeros(data.shape[0])
    m2 = np.zeros(data.shape[0])
    for i in range(n):
        xi = data[:, i]
        s1 = r(s1 + xi)
        s2 = r(s2 + r(xi * xi))
        d = r(xi - mean)
        mean = r(mean + r(d / (i + 1)))
        m2 = r(m2 + r(d * r(xi - mean)))
    mu = r(s1 / n)
    return r(r(s2 / n) - r(mu * mu)), r(m2 / n)


def cancellation(kind: str) -> Cancellation:
    """Catastrophic cancellation in every format, the input first stored in the format.

    cos: (1 − cos x)/x² vs ½(sin(x/2)/(x/2))², x ∈ [1e−6, 3];
    var: E[x²] − E[x]² vs Welford on 64 samples of mean μ and σ = 1, μ ∈ [0.1, 1e6];
    sqrt: √(x+1) − √x vs 1/(√(x+1) + √x), x ∈ [1, 1e12];
    plus1: (1 + x) − 1, whose exact value is x, x ∈ [1e−10, 1].
    Points where the input itself is 0 or not finite in a format are NaN."""
    check(kind in CANCELLATIONS, "kind", f"one of {', '.join(CANCELLATIONS)}")
    grids = {"cos": (-6, math.log10(3)), "var": (-1, 6), "sqrt": (0, 12), "plus1": (-10, 0)}
    x = np.logspace(*grids[kind], 131)
    naive, stable = [], []
    z = np.random.default_rng(0).standard_normal(VAR_SAMPLES)
    z = (z - z.mean()) / z.std()
    with np.errstate(all="ignore"):
        for key in ORDER:
            fmt = FORMATS[key]

            def r(a, fmt=fmt):
                return round_to(a, fmt)

            xs = r(x)
            bad = (xs == 0) | ~np.isfinite(xs)
            if kind == "cos":
                h = xs / 2
                true = 0.5 * (np.sin(h) / h) ** 2
                nv = r(r(1 - r(np.cos(xs))) / r(xs * xs))
                t = r(r(np.sin(r(h))) / r(h))
                sv = r(r(t * t) / 2)
            elif kind == "var":
                data = r(x[:, None] + z[None, :])
                dev = data - np.array([math.fsum(row) for row in data])[:, None] / VAR_SAMPLES
                true = np.array([math.fsum(row) for row in dev * dev]) / VAR_SAMPLES
                nv, sv = _variance(data, r)
                bad = ~np.isfinite(data).all(1) | (true == 0)
            elif kind == "sqrt":
                true = 1 / (np.sqrt(xs + 1) + np.sqrt(xs))
                a, b = r(np.sqrt(r(xs + 1))), r(np.sqrt(xs))
                nv = r(a - b)
                sv = r(1 / r(a + b))
            else:
                true = xs
                nv = r(r(1 + xs) - 1)
                sv = np.full_like(x, np.nan)
            err_n = np.abs(nv - true) / np.abs(true)
            err_s = np.abs(sv - true) / np.abs(true)
            naive.append(np.where(bad, np.nan, err_n))
            stable.append(np.where(bad, np.nan, err_s))
    return Cancellation(kind, x, np.array(naive), np.array(stable))


# -- conditioning of Ax = b ---------------------------------------------------------------------
@dataclass(frozen=True)
class SystemConfig:
    """Ax = b with A = U·diag(σ)·Vᵀ, σ geometric from 1 down to 1/κ, U and V seeded
    orthogonal; b is perturbed by a relative ``delta``."""

    log_kappa: float = 6.0
    n: int = 20
    delta: float = 1e-6
    seed: int = 0

    def __post_init__(self):
        check(isinstance(self.log_kappa, (int, float)) and 0 <= self.log_kappa <= 18, "log_kappa",
              "a number in 0..18")
        check(isinstance(self.n, int) and 2 <= self.n <= 200, "n", "an integer in 2..200")
        check(isinstance(self.delta, (int, float)) and 1e-16 <= self.delta <= 0.1, "delta", "in 1e-16..0.1")
        check(isinstance(self.seed, int) and 0 <= self.seed <= 10 ** 6, "seed", "an integer in 0..1000000")

    @property
    def kappa(self) -> float:
        return 10.0 ** self.log_kappa


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random n×n orthogonal matrix (QR of a Gaussian, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def designed(n: int, kappa: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(A, U, σ, V) with A = U·diag(σ)·Vᵀ, σ_1 = 1 … σ_n = 1/κ (geometric), so κ₂(A) = κ."""
    rng = np.random.default_rng(seed)
    u, v = orthogonal(n, rng), orthogonal(n, rng)
    s = kappa ** -np.linspace(0.0, 1.0, n)
    return (u * s) @ v.T, u, s, v


def _solve(a: np.ndarray, b: np.ndarray, dtype) -> np.ndarray:
    try:
        return np.linalg.solve(a.astype(dtype), b.astype(dtype)).astype(np.float64)
    except np.linalg.LinAlgError:
        return np.full(b.shape, np.nan)


def _rel(d: np.ndarray, x: np.ndarray) -> float:
    return float(np.linalg.norm(d) / np.linalg.norm(x))


@dataclass(frozen=True)
class Perturbation:
    """What a relative change δ in b does to x, and what solving in fp32/fp64 does.

    worst: b along u₁, Δb along uₙ (‖Δx‖/‖x‖ = κδ exactly); random: x and Δb random.
    err32 / err64: ‖x̂ − x‖/‖x‖ of LAPACK's solve in float32 / float64, no perturbation."""

    kappa: float          # κ₂(A) as measured by numpy (σ_max/σ_min)
    bound: float          # κ·‖Δb‖/‖b‖
    worst: float
    random: float
    random_db: float      # ‖Δb‖/‖b‖ of the random perturbation (= δ)
    err32: float
    err64: float


def perturbation(cfg: SystemConfig) -> Perturbation:
    a, u, s, v = designed(cfg.n, cfg.kappa, cfg.seed)
    rng = np.random.default_rng(cfg.seed + 1)
    # worst case: x = v₁ so b = u₁ (σ₁ = 1); Δb = δ‖b‖·uₙ ⇒ Δx = δ/σₙ·vₙ
    b_w = a @ v[:, 0]
    dx_w = _solve(a, cfg.delta * np.linalg.norm(b_w) * u[:, -1], np.float64)
    x = rng.standard_normal(cfg.n)
    b = a @ x
    d = rng.standard_normal(cfg.n)
    db = cfg.delta * np.linalg.norm(b) * d / np.linalg.norm(d)
    dx = _solve(a, db, np.float64)
    return Perturbation(kappa=float(np.linalg.cond(a)), bound=cfg.kappa * cfg.delta,
                        worst=_rel(dx_w, v[:, 0]), random=_rel(dx, x), random_db=_rel(db, b),
                        err32=_rel(_solve(a, b, np.float32) - x, x), err64=_rel(_solve(a, b, np.float64) - x, x))


@dataclass(frozen=True)
class KappaSweep:
    """:func:`perturbation` for κ = 10^0 … 10^16 at one n, δ and seed (arrays of (K,))."""

    kappa: np.ndarray
    worst: np.ndarray
    random: np.ndarray
    err32: np.ndarray
    err64: np.ndarray


def kappa_sweep(n: int, delta: float, seed: int, log_kappas=tuple(np.arange(0.0, 16.5, 0.5))) -> KappaSweep:
    rows = [perturbation(SystemConfig(float(k), n, delta, seed)) for k in log_kappas]
    return KappaSweep(np.array([10.0 ** k for k in log_kappas]), np.array([r.worst for r in rows]),
                      np.array([r.random for r in rows]), np.array([r.err32 for r in rows]),
                      np.array([r.err64 for r in rows]))


@dataclass(frozen=True)
class HilbertStudy:
    """Hilbert matrices H_ij = 1/(i+j−1), n = 2…: κ₂ and the solve errors with x = 1."""

    n: np.ndarray
    kappa: np.ndarray
    err32: np.ndarray
    err64: np.ndarray


def hilbert_study(ns=tuple(range(2, 13))) -> HilbertStudy:
    from scipy.linalg import hilbert

    kap, e32, e64 = [], [], []
    for n in ns:
        h = hilbert(n)
        x = np.ones(n)
        b = h @ x
        kap.append(np.linalg.cond(h))
        e32.append(_rel(_solve(h, b, np.float32) - x, x))
        e64.append(_rel(_solve(h, b, np.float64) - x, x))
    return HilbertStudy(np.array(ns), np.array(kap), np.array(e32), np.array(e64))


@dataclass(frozen=True)
class Plane:
    """The 2×2 picture: rows of A (2, 2) and b (2,) define two lines crossing at x (2,);
    ``ring`` (M, 2) are the solutions for every Δb with ‖Δb‖ = δ‖b‖; ``worst`` (2,) the
    solution moved farthest; ``shift`` (2,) how far each line moves."""

    a: np.ndarray
    b: np.ndarray
    x: np.ndarray
    ring: np.ndarray
    worst: np.ndarray
    shift: np.ndarray


def plane(kappa: float, delta: float, seed: int, m: int = 181) -> Plane:
    a, u, s, v = designed(2, kappa, seed)
    x = np.array([0.6, 0.8])
    b = a @ x
    t = np.linspace(0, 2 * np.pi, m)
    db = delta * np.linalg.norm(b) * np.stack([np.cos(t), np.sin(t)], 1)
    # A⁻¹Δb through the SVD, exact up to rounding however large κ is
    ring = x + ((db @ u) / s) @ v.T
    worst = x + delta * np.linalg.norm(b) / s[1] * v[:, 1]
    shift = delta * np.linalg.norm(b) / np.linalg.norm(a, axis=1)
    return Plane(a, b, x, ring, worst, shift)


# -- gradient descent vs conditioning -----------------------------------------------------------
GD_STEPS = ("optimal", "inv_l")
GD_X0 = (1.0, 0.6)  # start (flat coordinate, steep coordinate)


@dataclass(frozen=True)
class GDConfig:
    """Gradient descent on f(x) = ½xᵀAx, A = diag(1/κ, 1) (eigenvalues μ = 1/κ, L = 1), from
    GD_X0, with step 2/(L+μ) ("optimal") or 1/L ("inv_l"), until ‖x_k‖ ≤ tol·‖x_0‖."""

    kappa: float = 20.0
    step: str = "optimal"
    tol: float = 1e-6
    max_iter: int = 100_000

    def __post_init__(self):
        check(isinstance(self.kappa, (int, float)) and 1 <= self.kappa <= 1e4, "kappa", "a number in 1..10000")
        check(self.step in GD_STEPS, "step", f"one of {', '.join(GD_STEPS)}")
        check(isinstance(self.tol, (int, float)) and 1e-14 <= self.tol < 1, "tol", "in 1e-14..1 (exclusive)")
        check(isinstance(self.max_iter, int) and 1 <= self.max_iter <= 10 ** 6, "max_iter", "an integer in 1..1e6")

    @property
    def eigenvalues(self) -> tuple[float, float]:
        return 1.0 / self.kappa, 1.0

    @property
    def lr(self) -> float:
        mu, big_l = self.eigenvalues
        return 2.0 / (big_l + mu) if self.step == "optimal" else 1.0 / big_l

    @property
    def rate(self) -> float:
        """Contraction per step of the slowest component: max |1 − η·λ|."""
        return max(abs(1 - self.lr * lam) for lam in self.eigenvalues)

    @property
    def theory_iters(self) -> int:
        """Steps to ‖x_k‖ ≤ tol·‖x_0‖ for the worst start: ⌈ln(1/tol) / ln(1/rate)⌉."""
        q = self.rate
        if q <= 0:
            return 1
        return max(1, math.ceil(math.log(1 / self.tol) / -math.log(q) - 1e-9))

    @property
    def rule_of_thumb(self) -> float:
        """κ·ln(1/tol) for step 1/L, (κ/2)·ln(1/tol) for the optimal step (κ ≫ 1)."""
        return self.kappa * math.log(1 / self.tol) / (2.0 if self.step == "optimal" else 1.0)


@dataclass(frozen=True)
class GDRun:
    """path (k+1, 2) every iterate; loss (k+1,) f(x_k) (f* = 0); dist (k+1,) ‖x_k‖/‖x_0‖;
    iters: steps until dist ≤ tol (or max_iter when it did not get there)."""

    path: np.ndarray
    loss: np.ndarray
    dist: np.ndarray
    iters: int
    converged: bool


def gd_run(cfg: GDConfig) -> GDRun:
    """Run plain gradient descent x ← x − η·Ax (scalar arithmetic: it is 2-D)."""
    mu, big_l = cfg.eigenvalues
    lr = cfg.lr
    x1, x2 = GD_X0
    norm0 = math.hypot(x1, x2)
    xs, ys = [x1], [x2]
    k = 0
    while math.hypot(x1, x2) > cfg.tol * norm0 and k < cfg.max_iter:
        g1, g2 = mu * x1, big_l * x2  # ∇f = Ax
        x1, x2 = x1 - lr * g1, x2 - lr * g2
        xs.append(x1), ys.append(x2)
        k += 1
    path = np.column_stack([xs, ys])
    loss = 0.5 * (mu * path[:, 0] ** 2 + big_l * path[:, 1] ** 2)
    dist = np.hypot(path[:, 0], path[:, 1]) / norm0
    return GDRun(path, loss, dist, k, bool(dist[-1] <= cfg.tol))


GD_KAPPAS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def gd_sweep(step: str, tol: float, kappas=GD_KAPPAS) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(κ, measured iterations, theory ⌈ln(1/tol)/ln(1/rate)⌉, rule of thumb) over κ."""
    cfgs = [GDConfig(float(k), step, tol) for k in kappas]
    return (np.array(kappas, dtype=float), np.array([gd_run(c).iters for c in cfgs]),
            np.array([c.theory_iters for c in cfgs]), np.array([c.rule_of_thumb for c in cfgs]))


def gd_grid(cfg: GDConfig, run: GDRun, n: int = 81) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contour grid (xs (n,), ys (n,), f (n, n)) covering the path, for the contour plot."""
    lo1, hi1 = min(run.path[:, 0].min(), 0.0), max(run.path[:, 0].max(), 0.0)
    lo2, hi2 = min(run.path[:, 1].min(), 0.0), max(run.path[:, 1].max(), 0.0)
    pad = 0.15 * max(hi1 - lo1, hi2 - lo2)
    xs = np.linspace(lo1 - pad, hi1 + pad, n)
    ys = np.linspace(lo2 - pad, hi2 + pad, n)
    mu, big_l = cfg.eigenvalues
    f = 0.5 * (mu * xs[None, :] ** 2 + big_l * ys[:, None] ** 2)
    return xs, ys, f
