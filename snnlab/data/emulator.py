"""A DVS saccade emulator: MNIST digits -> N-MNIST-like event streams.

N-MNIST (Orchard et al. 2015) was recorded by an ATIS sensor (34 x 34 crop) looking at MNIST
digits on a monitor while a pan-tilt unit moved it along three ~100 ms saccades forming a
triangle. This module replays that recording in software:

1. the digit (28 x 28, intensity ``I = pixel / 255``) is blurred (optics), placed in the middle of
   the 34 x 34 sensor and translated along the saccade path measured from the real recordings
   (:data:`PATH_FILE`, made by ``results/nmnist/emulator/fit_emulator.py``) with sub-pixel
   bilinear interpolation;
2. every pixel sees the log intensity ``L = log(floor + (1 - floor) * I)`` (``floor``: the
   monitor's black level relative to its white, so that black pixels have a finite log). By
   default the digit is dark on a bright background (``invert``): per saccade, the real
   recordings' ON and OFF events sit where a dark digit's would (the accumulated ON/OFF images
   of each saccade correlate at r ~ 0.92 with it, ~ 0.25 with a bright digit; see
   ``results/nmnist/emulator/fit.json``, "contrast_check");
3. the usual DVS pixel model (:class:`DVSPixels`): a per-pixel memorised level ``ref``; an ON
   event when ``L - ref >= C_on``, an OFF event when ``L - ref <= -C_off``, one event per threshold
   crossed (``ref`` moves by one threshold per event), event times interpolated to the crossing
   time inside the simulation step; per-pixel thresholds with Gaussian mismatch; a refractory
   period ``T_ref`` after each event; optional shot-noise events.

All randomness comes from numpy Generators: the fixed-pattern threshold mismatch from
``EmulatorParams.sensor_seed`` (one "sensor" for every stream, as in the real dataset), the
per-stream state (initial residual of each pixel, noise events) from the ``rng`` passed to
:func:`emulate`. Same seed -> same events.

:func:`stream_statistics` / :func:`compare_statistics` compute the statistics used to fit and
validate the emulator against real N-MNIST (events per sample, on-fraction, event-rate profile,
accumulated on/off images), so tests, scripts and notebooks use one definition.
"""
from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage, signal

from ..events import DVS_DTYPE

__all__ = ["EmulatorParams", "DVSPixels", "emulate", "simulate_log_video", "load_saccade_path",
           "write_saccade_path",
           "path_offsets", "render_digits", "measure_saccade_path", "stream_statistics",
           "compare_statistics", "accumulate", "TARGETS", "SACCADES", "PATH_FILE", "SENSOR"]

SENSOR = 34                      # sensor width = height (pixels)
DIGIT = 28                       # MNIST image size (pixels)
OFFSET = (SENSOR - DIGIT) // 2   # 3: a centred digit's top-left corner on the sensor
_EPS = 1e-9                      # log units: a change of exactly n thresholds gives n events
PATH_FILE = Path(__file__).with_name("nmnist_saccade_path.csv")
"""The measured N-MNIST saccade path: columns t_ms, dx_px, dy_px (digit offset from the centred
position; x = column, y = row, both growing like the sensor's x and y)."""

TARGETS = {
    "events_rel": 0.20,          # |emulated / real - 1| of the median, p10 and p90 events/sample
    "on_fraction_abs": 0.05,     # |emulated - real| on-fraction
    "profile_r": 0.80,           # Pearson r of the mean event-rate profiles
    "peak_ms": 10.0,             # |emulated - real| time of each of the three rate peaks (ms)
    "image_r": 0.60,             # mean Pearson r of accumulated 34x34x2 images, same sample
}
"""Validation targets (see :func:`compare_statistics`)."""


@dataclass(frozen=True)
class EmulatorParams:
    """Parameters of the emulated sensor. Defaults: fitted to the 1,000 real N-MNIST training
    recordings in ``../shared/data`` (``results/nmnist/emulator/fit.json``).

    Attributes:
        c_on: mean ON contrast threshold (log-intensity units).
        c_off: mean OFF contrast threshold (log-intensity units).
        sigma_c: std of the per-pixel threshold mismatch (log units, Gaussian, fixed pattern).
        refractory: refractory period after each event (s).
        refractory_mode: ``"hold"``: a change during the refractory period is kept and emitted
            when the pixel recovers (the memorised level moves only by emitted events);
            ``"reset"``: the memorised level follows the input while the pixel is refractory,
            so changes during that time are lost (a DVS pixel's held reset switch).
        floor: black level of the monitor relative to white; ``L = log(floor + (1-floor) I)``.
        invert: show the digit dark on a bright background (``I = 1 - pixel / 255`` everywhere).
        swap_polarity: label brightening events 0 and darkening events 1 (the opposite of
            :data:`snnlab.events.DVS_DTYPE`'s ON = 1), e.g. to mimic a sensor whose polarity bit
            has the other meaning.
        blur: Gaussian blur of the digit (pixels, optics / monitor), applied before the motion.
        scale: size of a digit pixel on the sensor (sensor pixels per MNIST pixel).
        noise_rate: shot-noise events per pixel per second (random polarity), 0 = none.
        noise_on_fraction: fraction of the noise events that are ON events.
        dt: simulation step (s).
        duration: length of each stream (s).
        sensor_seed: seed of the fixed-pattern threshold mismatch.
    """
    c_on: float = 0.1438          # fitted (fit.json; c_on = c_off)
    c_off: float = 0.1438
    sigma_c: float = 0.005844     # fitted: small, the fit statistics hardly call for mismatch
    refractory: float = 2.202e-3  # fitted (s)
    refractory_mode: str = "hold"
    floor: float = 0.3225         # fitted
    invert: bool = True           # chosen by fit_emulator.py (per-saccade ON/OFF images)
    swap_polarity: bool = False
    blur: float = 0.611           # fitted (px)
    scale: float = 1.0
    noise_rate: float = 0.01313   # fitted (Hz per pixel)
    noise_on_fraction: float = 0.5
    dt: float = 0.5e-3
    duration: float = 0.31
    sensor_seed: int = 0

    def __post_init__(self):
        checks = [
            (self.c_on > 0 and self.c_off > 0, f"contrast thresholds must be > 0, got c_on={self.c_on}, "
                                               f"c_off={self.c_off}"),
            (self.sigma_c >= 0, f"sigma_c must be >= 0, got {self.sigma_c}"),
            (self.refractory >= 0, f"refractory must be >= 0 s, got {self.refractory}"),
            (self.refractory_mode in ("hold", "reset"),
             f"refractory_mode must be 'hold' or 'reset', got {self.refractory_mode!r}"),
            (0 < self.floor < 1, f"floor must be in (0, 1), got {self.floor}"),
            (self.blur >= 0, f"blur must be >= 0 pixels, got {self.blur}"),
            (self.scale > 0, f"scale must be > 0, got {self.scale}"),
            (self.noise_rate >= 0, f"noise_rate must be >= 0 Hz, got {self.noise_rate}"),
            (0 <= self.noise_on_fraction <= 1, f"noise_on_fraction must be in [0, 1]"),
            (0 < self.dt <= 0.005, f"dt must be in (0, 5 ms], got {self.dt} s"),
            (self.duration > 0, f"duration must be > 0 s, got {self.duration}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(msg)

    def replace(self, **changes) -> "EmulatorParams":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def thresholds(self, n_pixels: int = SENSOR * SENSOR) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel (C_on, C_off), (n_pixels,) each: the fixed mismatch pattern of this sensor.

        Gaussian around ``c_on`` / ``c_off`` with std ``sigma_c``, clipped below at 20 % of the mean.
        """
        g = np.random.default_rng(self.sensor_seed)
        z = g.standard_normal((2, n_pixels))
        con = np.maximum(self.c_on + self.sigma_c * z[0], 0.2 * self.c_on)
        coff = np.maximum(self.c_off + self.sigma_c * z[1], 0.2 * self.c_off)
        return con, coff


# ----------------------------------------------------------------------------- pixel model
class DVSPixels:
    """The DVS pixel model for a batch of B streams of P pixels each, advanced step by step.

    Args:
        L0: (B, P) log intensity at the start time, or (P, B) if ``pixel_major``.
        c_on, c_off: scalars or (P,) per-pixel thresholds (log units), or arrays shaped like L0.
        refractory: refractory period (s).
        mode: ``"hold"`` or ``"reset"`` (see :class:`EmulatorParams`).
        residual: initial ``L0 - ref``, shaped like L0 (default 0: every pixel just reset).
        t0: start time (s).
        swap_polarity: record brightening events with p = 0 and darkening ones with p = 1.
        pixel_major: L0, residual and every ``step`` input are (P, B) (streams along the last,
            contiguous axis: faster for large batches).
    """

    def __init__(self, L0, c_on, c_off, refractory: float = 0.0, mode: str = "hold",
                 residual=None, t0: float = 0.0, swap_polarity: bool = False,
                 pixel_major: bool = False):
        L0 = np.asarray(L0)
        if L0.ndim != 2:
            raise ValueError(f"L0 must be 2-D ((B, P) or (P, B)), got shape {L0.shape}")
        self.pixel_major = bool(pixel_major)
        self.swap_polarity = bool(swap_polarity)
        shape = L0.shape
        self.P, self.B = shape if self.pixel_major else shape[::-1]

        def per_pixel(c):
            c = np.asarray(c, np.float64)
            if c.ndim == 1 and c.size == self.P:          # one value per pixel
                c = c[:, None] if self.pixel_major else c[None, :]
            return np.broadcast_to(c, shape).ravel().copy()

        self.c_on, self.c_off = per_pixel(c_on), per_pixel(c_off)
        if np.any(self.c_on <= 0) or np.any(self.c_off <= 0):
            raise ValueError("thresholds must be > 0")
        if refractory < 0:
            raise ValueError(f"refractory must be >= 0 s, got {refractory}")
        if mode not in ("hold", "reset"):
            raise ValueError(f"mode must be 'hold' or 'reset', got {mode!r}")
        self.refractory, self.mode = float(refractory), mode
        res = np.zeros(shape) if residual is None else np.asarray(residual, np.float64)
        self.ref = (L0 - res).ravel().astype(np.float64)   # memorised log level per pixel
        self.L = L0.ravel().copy()                     # log level at the current time
        self.t = float(t0)
        self.t_ready = np.full(self.B * self.P, -np.inf)   # time each pixel may fire again (s)
        self._on_level = self.c_on - _EPS              # candidate tests (precomputed)
        self._off_level = -self.c_off + _EPS
        self._d = np.empty(self.B * self.P)            # work buffers
        self._m = np.empty(self.B * self.P, bool)
        self._m2 = np.empty(self.B * self.P, bool)
        self._idx: list[np.ndarray] = []               # flat pixel index of each event
        self._t: list[np.ndarray] = []                 # event times (s)
        self._p: list[np.ndarray] = []                 # polarity (1 on, 0 off)

    def step(self, t: float, L) -> None:
        """Advance to time ``t`` (s), the log intensity moving linearly to ``L`` (shaped like L0)."""
        L = np.asarray(L).ravel()
        t_prev, L_prev = self.t, self.L
        dt = t - t_prev
        if dt <= 0:
            raise ValueError(f"time must increase: {t} <= {t_prev}")
        if self.mode == "reset" and self.refractory > 0:
            self._reset_refractory(t_prev, t, L_prev, L)
        d = np.subtract(L, self.ref, out=self._d)
        m = np.greater_equal(d, self._on_level, out=self._m)
        m |= np.less_equal(d, self._off_level, out=self._m2)
        cand = np.flatnonzero(m)
        cand = cand[self.t_ready[cand] <= t]           # not refractory at the end of the step
        if cand.size:
            self._fire(cand, t_prev, t, L_prev[cand].astype(np.float64), L[cand].astype(np.float64),
                       d[cand])
        self.L, self.t = L, t

    def _reset_refractory(self, t_prev, t, L_prev, L):
        """``reset`` mode: the memorised level follows the input while a pixel is refractory."""
        busy = np.flatnonzero(self.t_ready > t_prev)
        if busy.size == 0:
            return
        tr = np.minimum(self.t_ready[busy], t)         # release time, or the end of this step
        f = (tr - t_prev) / (t - t_prev)
        self.ref[busy] = L_prev[busy] + f * (L[busy] - L_prev[busy])

    def _fire(self, cand, t_prev, t, Lp, Ln, d):
        """Emit the events of the candidate pixels ``cand`` during (t_prev, t]."""
        sign = np.where(d > 0, 1.0, -1.0)
        C = np.where(d > 0, self.c_on[cand], self.c_off[cand])
        n = np.floor((np.abs(d) + _EPS) / C).astype(np.int64)    # thresholds crossed (>= 1)
        if self.mode == "reset" and self.refractory > 0:
            n = np.minimum(n, 1)                       # the first event resets the pixel
        ref = self.ref[cand]
        dL = Ln - Lp
        ready = self.t_ready[cand]
        emitted = np.zeros(cand.size, np.int64)
        active = np.ones(cand.size, bool)
        for j in range(1, int(n.max()) + 1):
            active &= n >= j
            if not active.any():
                break
            level = ref + sign * (j * C - _EPS)        # the j-th threshold level
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(dL != 0, (level - Lp) / dL, 0.0)
            tj = t_prev + np.clip(f, 0.0, 1.0) * (t - t_prev)   # interpolated crossing time (s)
            tj = np.maximum(tj, ready)                 # not before the pixel has recovered
            ok = active & (tj <= t)
            if not ok.any():
                break
            emitted[ok] += 1
            ready = np.where(ok, tj + self.refractory, ready)
            active &= ok
            k = np.flatnonzero(ok)
            self._idx.append(cand[k])
            self._t.append(tj[k])
            self._p.append(((sign[k] > 0) != self.swap_polarity).astype(np.int8))
        fired = emitted > 0
        self.ref[cand] = ref + sign * emitted * C
        self.t_ready[cand] = np.where(fired, ready, self.t_ready[cand])

    def add_events(self, idx, t, p) -> None:
        """Add extra events (e.g. noise): flat indices (layout of L0), times (s), polarities."""
        self._idx.append(np.asarray(idx, np.int64))
        self._t.append(np.asarray(t, np.float64))
        self._p.append(np.asarray(p, np.int8))

    def events(self, width: int = SENSOR) -> list[np.ndarray]:
        """The events so far, one DVS_DTYPE array per stream, sorted by time (ties: emission order)."""
        if self._idx:
            idx, t, p = np.concatenate(self._idx), np.concatenate(self._t), np.concatenate(self._p)
        else:
            idx, t, p = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int8)
        if self.pixel_major:
            pix, b = np.divmod(idx, self.B)
        else:
            b, pix = np.divmod(idx, self.P)
        # by stream, then time; ties keep the (deterministic) order in which they were emitted
        order = np.argsort(b * (np.abs(t).max() + 1.0 if t.size else 1.0) + t, kind="stable")
        b, pix, t, p = b[order], pix[order], t[order], p[order]
        bounds = np.searchsorted(b, np.arange(self.B + 1))
        out = []
        for i in range(self.B):
            s = slice(bounds[i], bounds[i + 1])
            ev = np.empty(bounds[i + 1] - bounds[i], dtype=DVS_DTYPE)
            ev["y"], ev["x"] = np.divmod(pix[s], width)
            ev["p"], ev["t"] = p[s], t[s]
            out.append(ev)
        return out


def simulate_log_video(L, times, c_on=0.3, c_off=0.3, refractory: float = 0.0, mode: str = "hold",
                       residual=None) -> list[np.ndarray]:
    """Run the pixel model on a given log-intensity video (for tests and teaching).

    Args:
        L: (T, H, W) or (T, B, H, W) log intensity at ``times``.
        times: (T,) increasing times (s); the first frame sets the initial memorised levels.
        c_on, c_off: thresholds, scalars or (H*W,) per pixel (log units).
        refractory: refractory period (s).
        mode: ``"hold"`` or ``"reset"``.
        residual: initial ``L - ref`` per pixel (default 0).
    Returns:
        list of B event arrays (DVS_DTYPE, x = column, y = row; a list of one for a (T, H, W) video).
    """
    L = np.asarray(L, dtype=np.float64)
    if L.ndim == 3:
        L = L[:, None]
    if L.ndim != 4:
        raise ValueError(f"L must be (T, H, W) or (T, B, H, W), got shape {L.shape}")
    times = np.asarray(times, np.float64)
    T, B, H, W = L.shape
    if times.shape != (T,) or np.any(np.diff(times) <= 0):
        raise ValueError("times must be (T,) and strictly increasing")
    px = DVSPixels(L[0].reshape(B, H * W), c_on, c_off, refractory, mode, residual, t0=times[0])
    for k in range(1, T):
        px.step(times[k], L[k].reshape(B, H * W))
    return px.events(width=W)


# ----------------------------------------------------------------------------- saccade path
def load_saccade_path(file: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The measured saccade path.

    Returns:
        times (s), dx, dy (pixels; offset of the digit from its centred position), each (K,).
    """
    file = Path(file) if file is not None else PATH_FILE
    if not file.is_file():
        raise FileNotFoundError(f"saccade path file {file} is missing; recreate it with "
                                "results/nmnist/emulator/fit_emulator.py (or reinstall snnlab)")
    with open(file, newline="") as f:
        rows = [r for r in csv.reader(f) if r and not r[0].startswith("#")]
    head, body = rows[0], np.array(rows[1:], dtype=np.float64)
    if head[:3] != ["t_ms", "dx_px", "dy_px"]:
        raise ValueError(f"{file}: expected columns t_ms, dx_px, dy_px, got {head}")
    return body[:, 0] * 1e-3, body[:, 1], body[:, 2]


def write_saccade_path(file: str | Path, times, dx, dy, comment: str = "") -> None:
    """Write a path file (t_ms, dx_px, dy_px; ``comment`` lines start with #)."""
    with open(file, "w", newline="") as f:
        for line in comment.splitlines():
            f.write(f"# {line}\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["t_ms", "dx_px", "dy_px"])
        for t, x, y in zip(times, dx, dy):
            w.writerow([f"{t * 1e3:g}", f"{x:.4f}", f"{y:.4f}"])


def path_offsets(times, path=None) -> tuple[np.ndarray, np.ndarray]:
    """Digit offset (dx, dy) in pixels at ``times`` (s): linear interpolation, held at the ends."""
    tp, dx, dy = load_saccade_path() if path is None else path
    times = np.asarray(times, np.float64)
    return np.interp(times, tp, dx), np.interp(times, tp, dy)


# ----------------------------------------------------------------------------- rendering
_MARGIN = 12                     # canvas margin (pixels) around the sensor: |offset| < 11


def _canvas(images, params: EmulatorParams) -> np.ndarray:
    """(34 + 2M, 34 + 2M, B) float32 intensity in [0, 1]: the blurred, scaled digits centred on
    the sensor (streams along the last, contiguous axis)."""
    imgs = np.asarray(images, dtype=np.float64) / 255.0
    B = imgs.shape[0]
    n = SENSOR + 2 * _MARGIN
    out = np.zeros((B, n, n))
    if params.scale == 1.0:
        out[:, _MARGIN + OFFSET:_MARGIN + OFFSET + DIGIT, _MARGIN + OFFSET:_MARGIN + OFFSET + DIGIT] = imgs
    else:                                         # zoom about the digit centre
        c_img = (DIGIT - 1) / 2.0
        c_can = _MARGIN + OFFSET + c_img
        rr, cc = np.mgrid[0:n, 0:n].astype(np.float64)
        coords = np.stack([(rr - c_can) / params.scale + c_img, (cc - c_can) / params.scale + c_img])
        for b in range(B):
            out[b] = ndimage.map_coordinates(imgs[b], coords, order=1, mode="constant", cval=0.0)
    if params.blur > 0:
        out = ndimage.gaussian_filter(out, sigma=(0, params.blur, params.blur), mode="constant")
    if params.invert:                             # dark digit on a bright background
        out = 1.0 - out
    return np.ascontiguousarray(np.moveaxis(np.clip(out, 0.0, 1.0), 0, -1), dtype=np.float32)


def _shifted(canvas: np.ndarray, dx: float, dy: float, out: np.ndarray | None = None) -> np.ndarray:
    """Sensor view (34, 34, B) of the canvas (n, n, B) with the digit moved by (dx, dy) pixels.

    Bilinear: sensor pixel (Y, X) sees canvas point (M + Y - dy, M + X - dx) -- the same as
    ``scipy.ndimage.shift(canvas, (dy, dx, 0), order=1)`` cropped to the sensor. Interpolates
    along x, then along y (two lerps); ``out`` (34, 34, B) is an optional result buffer.
    """
    iy, ix = int(np.floor(-dy)), int(np.floor(-dx))
    fy, fx = -dy - iy, -dx - ix
    r0, c0 = _MARGIN + iy, _MARGIN + ix
    if not (0 <= r0 and r0 + SENSOR + 1 <= canvas.shape[0] and 0 <= c0 and c0 + SENSOR + 1 <= canvas.shape[1]):
        raise ValueError(f"offset ({dx:.2f}, {dy:.2f}) px is outside the emulator's canvas (|offset| < {_MARGIN - 1})")
    rows = canvas[r0:r0 + SENSOR + 1]                             # (35, n, B)
    left, right = rows[:, c0:c0 + SENSOR], rows[:, c0 + 1:c0 + SENSOR + 1]
    a = right - left                                              # along x: (35, 34, B)
    a *= canvas.dtype.type(fx)
    a += left
    if out is None:
        out = np.empty((SENSOR, SENSOR) + canvas.shape[2:], canvas.dtype)
    np.subtract(a[1:], a[:-1], out=out)                           # along y
    out *= canvas.dtype.type(fy)
    out += a[:-1]
    return out


def render_digits(images, times, params: EmulatorParams | None = None, path=None) -> np.ndarray:
    """Intensity video (T, B, 34, 34) in [0, 1] of digits moving along the saccade path.

    Args:
        images: (B, 28, 28) or (28, 28) uint8 MNIST digits.
        times: (T,) times (s).
        params: blur / scale (default :class:`EmulatorParams`).
        path: (times, dx, dy) or None for the measured path.
    """
    params = params or EmulatorParams()
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[None]
    can = _canvas(images, params)
    dx, dy = path_offsets(times, path)
    return np.stack([np.moveaxis(_shifted(can, x, y), -1, 0) for x, y in zip(dx, dy)]).astype(np.float64)


# ----------------------------------------------------------------------------- emulator
def emulate(images, params: EmulatorParams | None = None, rng=None, path=None,
            batch_size: int = 256) -> list[np.ndarray] | np.ndarray:
    """N-MNIST-like event streams of MNIST digits.

    Args:
        images: (N, 28, 28) uint8 (a list of streams is returned) or one (28, 28) image (one
            stream is returned).
        params: sensor parameters (default: the fitted :class:`EmulatorParams`).
        rng: numpy Generator or seed for the per-stream randomness (initial pixel residuals,
            noise); stream k uses the k-th child generator (``rng.spawn``), so the streams do not
            depend on ``batch_size``. Same seed -> same streams. The threshold mismatch comes from
            ``params.sensor_seed``.
        path: (times s, dx px, dy px) saccade path (default: the measured N-MNIST path).
        batch_size: streams simulated together (memory ~ batch_size x 150 kB).
    Returns:
        DVS_DTYPE event arrays (x, y, p, t in s), sorted by time, t in [0, params.duration].
    """
    params = params or EmulatorParams()
    rng = np.random.default_rng(rng)
    images = np.asarray(images)
    single = images.ndim == 2
    if single:
        images = images[None]
    if images.ndim != 3 or images.shape[1:] != (DIGIT, DIGIT):
        raise ValueError(f"images must be (N, 28, 28) or (28, 28), got shape {images.shape}")
    path = load_saccade_path() if path is None else path
    stream_rngs = rng.spawn(images.shape[0])      # one generator per stream: independent of batching
    n_steps = int(round(params.duration / params.dt))
    times = np.arange(n_steps + 1) * params.dt              # s
    dx, dy = path_offsets(times, path)
    P = SENSOR * SENSOR
    con, coff = params.thresholds(P)
    out: list[np.ndarray] = []
    for s in range(0, images.shape[0], batch_size):
        batch = images[s:s + batch_size]
        B = batch.shape[0]
        can = _canvas(batch, params)

        def logframe(k):              # L = log(floor + (1 - floor) I), (P, B) float32
            f = _shifted(can, dx[k], dy[k])
            f *= np.float32(1.0 - params.floor)
            f += np.float32(params.floor)
            return np.log(f, out=f).reshape(P, B)

        gens = stream_rngs[s:s + B]
        # initial state: L - ref uniform in (-C_off, C_on) per pixel (the stationary residual)
        u = np.stack([g.uniform(1e-6, 1 - 1e-6, P) for g in gens], axis=1)      # (P, B)
        residual = -coff[:, None] + u * (con + coff)[:, None]
        px = DVSPixels(logframe(0), con, coff, params.refractory, params.refractory_mode,
                       residual, t0=0.0, swap_polarity=params.swap_polarity, pixel_major=True)
        for k in range(1, n_steps + 1):
            px.step(times[k], logframe(k))
        if params.noise_rate > 0:                 # shot noise: Poisson per pixel, random polarity
            for i, g in enumerate(gens):
                n = g.poisson(params.noise_rate * params.duration * P)
                px.add_events(g.integers(0, P, n) * B + i, g.uniform(0.0, params.duration, n),
                              (g.random(n) < params.noise_on_fraction).astype(np.int8))
        out.extend(px.events())
    return out[0] if single else out


# ----------------------------------------------------------------------------- statistics
def accumulate(events: np.ndarray) -> np.ndarray:
    """Event counts per pixel and polarity, (34, 34, 2) float (index [y, x, p])."""
    img = np.zeros((SENSOR, SENSOR, 2))
    np.add.at(img, (events["y"].astype(int), events["x"].astype(int), events["p"].astype(int)), 1)
    return img


def stream_statistics(streams, bin_s: float = 0.005, t_max: float = 0.32,
                      peak_sigma_ms: float = 5.0) -> dict:
    """Summary statistics of a set of streams.

    Args:
        streams: list of DVS event arrays (t in s).
        bin_s: bin width of the rate profile (s).
        t_max: end of the rate profile (s).
        peak_sigma_ms: smoothing of the 1 ms rate profile used to locate the peaks (ms).
    Returns:
        dict: ``n_events`` (per stream), ``median``, ``p10``, ``p90`` (events per stream),
        ``on_fraction`` (all events pooled), ``profile`` (mean events per bin per stream),
        ``bin_s``, ``peaks_ms`` (time of the maximum of the smoothed 1 ms profile in each third
        0-100, 100-200, 200-t_max ms), ``span_ms`` (median last - first event time).
    """
    n = np.array([s.size for s in streams])
    if n.size == 0:
        raise ValueError("no streams")
    edges = np.arange(0.0, t_max + bin_s / 2, bin_s)
    prof = np.mean([np.histogram(s["t"], edges)[0] for s in streams], axis=0)
    # peak times: 1 ms profile smoothed by a Gaussian (sigma = peak_sigma_ms), argmax in each third
    fine = np.arange(0.0, t_max + 0.0005, 0.001)
    f = ndimage.gaussian_filter1d(np.mean([np.histogram(s["t"], fine)[0] for s in streams], axis=0),
                                  peak_sigma_ms, mode="constant")
    centres = (fine[:-1] + fine[1:]) / 2 * 1e3                       # ms
    peaks = []
    for lo, hi in [(0, 100), (100, 200), (200, t_max * 1e3)]:
        m = (centres >= lo) & (centres < hi)
        peaks.append(round(float(centres[m][np.argmax(f[m])]), 1))
    on = sum(int(s["p"].sum()) for s in streams) / max(int(n.sum()), 1)
    span = [float(s["t"][-1] - s["t"][0]) * 1e3 for s in streams if s.size]
    return {"n_events": n, "median": float(np.median(n)), "p10": float(np.percentile(n, 10)),
            "p90": float(np.percentile(n, 90)), "on_fraction": float(on), "profile": prof,
            "bin_s": bin_s, "peaks_ms": peaks, "span_ms": float(np.median(span)) if span else 0.0}


SACCADES = ((0.0, 0.1), (0.1, 0.2), (0.2, 0.32))
"""Time windows (s) of the three saccades, for per-saccade statistics."""


def _window(events: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return events[(events["t"] >= lo) & (events["t"] < hi)]


def _pearson(a, b) -> float:
    a, b = np.ravel(a) - np.mean(a), np.ravel(b) - np.mean(b)
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0


def compare_statistics(real, emulated, bin_s: float = 0.005, t_max: float = 0.32) -> dict:
    """Real vs emulated streams of the same digits (``real[k]`` and ``emulated[k]`` = sample k).

    Returns:
        JSON-ready dict: for each statistic the real and emulated values, the difference and
        whether the target in :data:`TARGETS` is met (``ok``), plus ``all_ok``:

        - ``events_per_sample``: median, p10, p90 (target: each within 20 % of real);
        - ``on_fraction`` (target: within 0.05);
        - ``rate_profile``: ``bin_ms``, both profiles (mean events per bin), Pearson ``r``
          (target >= 0.8), the three peak times (target: each within 10 ms of real);
        - ``accumulated_images``: mean over samples of the Pearson r of the 34x34x2 count images
          of the same sample (target >= 0.6), its 10th percentile, and (no target; a stricter
          check, since over the whole closed path ON and OFF images look alike) the mean r of the
          images of each saccade separately (:data:`SACCADES`), which is negative if the
          emulated polarity is the opposite of the real one.
    """
    if len(real) != len(emulated) or not len(real):
        raise ValueError(f"need the same non-zero number of real and emulated streams, got "
                         f"{len(real)} and {len(emulated)}")
    R, E = stream_statistics(real, bin_s, t_max), stream_statistics(emulated, bin_s, t_max)
    ev = {k: {"real": R[k], "emulated": E[k], "rel_diff": E[k] / R[k] - 1} for k in ("median", "p10", "p90")}
    ev_ok = all(abs(v["rel_diff"]) <= TARGETS["events_rel"] for v in ev.values())
    on_d = E["on_fraction"] - R["on_fraction"]
    r_prof = _pearson(R["profile"], E["profile"])
    peak_d = [e - r for e, r in zip(E["peaks_ms"], R["peaks_ms"])]
    img_r = np.array([_pearson(accumulate(a), accumulate(b)) for a, b in zip(real, emulated)])
    sac_r = np.array([[_pearson(accumulate(_window(a, lo, hi)), accumulate(_window(b, lo, hi)))
                       for lo, hi in SACCADES] for a, b in zip(real, emulated)])
    out = {
        "n_samples": len(real),
        "events_per_sample": {**ev, "target": f"each within {TARGETS['events_rel']:.0%}", "ok": bool(ev_ok)},
        "on_fraction": {"real": R["on_fraction"], "emulated": E["on_fraction"], "diff": on_d,
                        "target": f"within {TARGETS['on_fraction_abs']}",
                        "ok": bool(abs(on_d) <= TARGETS["on_fraction_abs"])},
        "rate_profile": {"bin_ms": bin_s * 1e3, "pearson_r": r_prof,
                         "peaks_ms_real": R["peaks_ms"], "peaks_ms_emulated": E["peaks_ms"],
                         "peak_diff_ms": peak_d,
                         "target": f"r >= {TARGETS['profile_r']}, peaks within {TARGETS['peak_ms']:g} ms",
                         "ok": bool(r_prof >= TARGETS["profile_r"]
                                    and all(abs(d) <= TARGETS["peak_ms"] for d in peak_d)),
                         "profile_real": R["profile"].round(3).tolist(),
                         "profile_emulated": E["profile"].round(3).tolist()},
        "accumulated_images": {"mean_pearson_r": float(img_r.mean()),
                               "p10_pearson_r": float(np.percentile(img_r, 10)),
                               "per_saccade_mean_pearson_r": sac_r.mean(axis=0).round(4).tolist(),
                               "target": f"mean r >= {TARGETS['image_r']}",
                               "ok": bool(img_r.mean() >= TARGETS["image_r"])},
        "span_ms": {"real": R["span_ms"], "emulated": E["span_ms"]},
    }
    out["all_ok"] = all(out[k]["ok"] for k in ("events_per_sample", "on_fraction", "rate_profile",
                                                 "accumulated_images"))
    return out


# ----------------------------------------------------------------------------- path measurement
def measure_saccade_path(streams, images, window_s: float = 0.005, step_s: float = 0.001,
                         t_max: float = 0.31, radius: int = 7
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digit offset over time, measured from event streams of known digits.

    For each time ``t`` (every ``step_s``), the events of every stream in ``[t - window/2,
    t + window/2)`` are counted per pixel and cross-correlated with the gradient magnitude of that
    stream's own MNIST digit placed at integer offsets (-radius..radius) from the centred
    position; the correlations are summed over streams (each normalised by its event count) and
    the peak is located to sub-pixel precision by a parabola through its neighbours. This is
    template matching on the edges, which is what a moving digit makes events at; it is less
    biased by noise events than the plain event centroid.

    Args:
        streams: list of DVS event arrays.
        images: (N, 28, 28) the MNIST digit of each stream.
        window_s, step_s, t_max: sliding window length, step and end (s).
        radius: largest offset searched (pixels).
    Returns:
        times (s), dx, dy (pixels; NaN where no stream has events), n (events in each window,
        summed over streams: the weight of each estimate), each (K,).
    """
    images = np.asarray(images, dtype=np.float64) / 255.0
    if len(streams) != images.shape[0]:
        raise ValueError(f"{len(streams)} streams but {images.shape[0]} images")
    R = radius
    n_fine = int(round(t_max / step_s))
    w = max(int(round(window_s / step_s)), 1)
    acc = np.zeros((n_fine, 2 * R + 1, 2 * R + 1))
    n_acc = np.zeros(n_fine)
    size = DIGIT + 2 * R
    for k, ev in enumerate(streams):
        g = np.hypot(ndimage.sobel(images[k], 0), ndimage.sobel(images[k], 1))
        gs = g.sum()
        if gs == 0 or ev.size == 0:
            continue
        b = np.floor(ev["t"] / step_s).astype(np.int64)
        ok = (b >= 0) & (b < n_fine)
        E = np.zeros((n_fine, SENSOR + 2 * R, SENSOR + 2 * R))
        np.add.at(E, (b[ok], ev["y"][ok].astype(int) + R, ev["x"][ok].astype(int) + R), 1.0)
        # sliding window sum over w fine bins, centred
        cs = np.cumsum(np.concatenate([np.zeros((1,) + E.shape[1:]), E]), axis=0)
        lo = np.clip(np.arange(n_fine) - w // 2, 0, n_fine)
        hi = np.clip(lo + w, 0, n_fine)
        Ew = cs[hi] - cs[lo]
        cnt = Ew.sum(axis=(1, 2))
        # corr[j, R+oy, R+ox] = sum_rc E[j, OFFSET+oy+r, OFFSET+ox+c] g[r, c]  (E padded by R)
        sub = Ew[:, OFFSET:OFFSET + size, OFFSET:OFFSET + size]
        corr = signal.fftconvolve(sub, g[None, ::-1, ::-1], mode="valid", axes=(1, 2))
        m = cnt > 0
        acc[m] += corr[m] / (cnt[m, None, None] * gs)
        n_acc += cnt
    dx = np.full(n_fine, np.nan)
    dy = np.full(n_fine, np.nan)
    for j in range(n_fine):
        if n_acc[j] == 0:
            continue
        a = acc[j]
        i0, j0 = np.unravel_index(np.argmax(a), a.shape)
        dy[j] = i0 - R + _parabola(a[i0 - 1, j0] if i0 > 0 else None, a[i0, j0],
                                   a[i0 + 1, j0] if i0 < 2 * R else None)
        dx[j] = j0 - R + _parabola(a[i0, j0 - 1] if j0 > 0 else None, a[i0, j0],
                                   a[i0, j0 + 1] if j0 < 2 * R else None)
    times = (np.arange(n_fine) + 0.5) * step_s
    return times, dx, dy, n_acc


def _parabola(m, z, p) -> float:
    """Sub-sample offset of a peak z between neighbours m and p (0 if a neighbour is missing)."""
    if m is None or p is None:
        return 0.0
    den = m - 2 * z + p
    return float(np.clip(0.5 * (m - p) / den, -0.5, 0.5)) if den != 0 else 0.0
