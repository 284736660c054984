"""Measure the N-MNIST saccade path and fit the DVS emulator's parameters to real recordings.

    python results/nmnist/emulator/fit_emulator.py [--data ../shared/data] [--n-fit 300]

1. Path: :func:`snnlab.data.emulator.measure_saccade_path` on the 1,000 real N-MNIST training
   recordings (template matching of 5 ms event windows against each recording's own MNIST digit,
   every 1 ms), smoothed with a smoothing spline weighted by the number of events in each window
   (lam = 300 ms^3: removes the estimator's integer-pixel locking and the noise where few events
   are recorded), held constant after 300 ms (hardly any events), written to
   snnlab/data/nmnist_saccade_path.csv.
2. Contrast: the four combinations of EmulatorParams.invert (dark digit on a bright background)
   and swap_polarity are compared at the START parameters by the per-saccade accumulated-image
   correlation (which tells ON from OFF); the best is kept for the fit.
3. Parameters: Nelder-Mead on the first --n-fit training recordings vs the emulated streams of
   the same MNIST training digits (N-MNIST training sample k = MNIST training image k-1, file
   number k), minimising a sum of squared relative errors of: events per sample (median, p10,
   p90), on-fraction, rate-profile shape (1 - Pearson r), accumulated-image match (1 - mean r,
   whole stream and per saccade),
   active pixels per sample, events per active (pixel, polarity) and the 5th / 25th percentiles
   of the same-pixel inter-event interval. Writes fit.json (fitted values, objective history).
   The search starts from START (fixed here, so the fit does not depend on the current
   defaults of EmulatorParams, which are set to its result).
4. Statistics on all 1,000 training recordings with the fitted values, and the path check: the
   same path estimator run on the emulated streams vs on the real ones (rms difference, px).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.interpolate import make_smoothing_spline
from scipy.optimize import minimize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
from snnlab.data import emulator as em  # noqa: E402
from snnlab.data import load_mnist, load_nmnist  # noqa: E402

LAM = 300.0          # smoothing-spline penalty (ms^3, time in ms)
START = {"c": 0.42, "floor": 0.08, "blur": 0.5, "refractory": 1.5e-3, "sigma_c": 0.03,
         "noise_rate": 0.2}   # first guesses (log units, fraction, px, s, log units, Hz)
T_HOLD = 0.300       # s: path held constant after this time


def smooth_path(t, dx, dy, n):
    """Weighted smoothing spline of the measured offsets; held after T_HOLD; 1 ms table 0..310 ms."""
    ok = np.isfinite(dx) & np.isfinite(dy) & (n > 0)
    w = n[ok] / n[ok].mean()
    fx = make_smoothing_spline(t[ok] * 1e3, dx[ok], w=w, lam=LAM)
    fy = make_smoothing_spline(t[ok] * 1e3, dy[ok], w=w, lam=LAM)
    tt = np.arange(0, 311) * 1e-3
    tc = np.clip(tt, t[ok][0], T_HOLD) * 1e3
    return tt, fx(tc), fy(tc)


def extra_statistics(streams) -> dict:
    """Active pixels per stream (median), mean events per active (pixel, polarity), same-pixel
    inter-event interval percentiles (ms)."""
    act, per, isi = [], [], []
    for e in streams:
        pix = e["y"].astype(np.int64) * em.SENSOR + e["x"]
        c = np.bincount(pix * 2 + e["p"], minlength=2 * em.SENSOR ** 2)
        act.append(int((np.bincount(pix, minlength=em.SENSOR ** 2) > 0).sum()))
        per.append(c[c > 0].mean() if c.any() else 0.0)
        o = np.lexsort((e["t"], pix))
        same = pix[o][1:] == pix[o][:-1]
        isi.append(np.diff(e["t"][o])[same])
    isi = np.concatenate(isi) * 1e3
    return {"active_pixels": float(np.median(act)), "events_per_active_pixel_pol": float(np.mean(per)),
            "isi_p5_ms": float(np.percentile(isi, 5)), "isi_p25_ms": float(np.percentile(isi, 25))}


def objective_terms(real, emu, real_extra) -> dict:
    c = em.compare_statistics(real, emu)
    x = extra_statistics(emu)
    terms = {f"log_{k}": np.log(c["events_per_sample"][k]["emulated"] / c["events_per_sample"][k]["real"])
             for k in ("median", "p10", "p90")}
    terms["on_fraction"] = c["on_fraction"]["diff"] / 0.05
    terms["profile"] = (1 - c["rate_profile"]["pearson_r"]) / 0.1
    terms["image"] = (1 - c["accumulated_images"]["mean_pearson_r"]) / 0.2
    terms["image_per_saccade"] = (1 - np.mean(c["accumulated_images"]["per_saccade_mean_pearson_r"])) / 0.2
    for k in real_extra:
        terms[f"log_{k}"] = np.log(x[k] / real_extra[k])
    return terms


# parameters fitted: name -> (to internal, from internal)
FIT = {
    "c": (np.log, np.exp),                                     # c_on = c_off = c
    "floor": (lambda v: np.log(v / (1 - v)), lambda u: 1 / (1 + np.exp(-u))),
    "blur": (np.log, np.exp),
    "refractory": (lambda v: np.log(v * 1e3), lambda u: np.exp(u) * 1e-3),
    "sigma_c": (lambda v: np.log(v), np.exp),
    "noise_rate": (lambda v: np.log(v + 1e-3), lambda u: max(np.exp(u) - 1e-3, 0.0)),
}


def params_from(vals: dict, base: em.EmulatorParams) -> em.EmulatorParams:
    """EmulatorParams with the fitted values ``vals`` (names of FIT) on top of ``base``."""
    return base.replace(c_on=vals["c"], c_off=vals["c"], floor=vals["floor"], blur=vals["blur"],
                        refractory=vals["refractory"], sigma_c=vals["sigma_c"],
                        noise_rate=vals["noise_rate"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(HERE.parents[2].parent / "shared" / "data"))
    ap.add_argument("--n-fit", type=int, default=300)
    ap.add_argument("--maxfev", type=int, default=150)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    real, labels = load_nmnist("train", path=args.data)
    images, mnist_labels = load_mnist("train", path=args.data)
    images = images[: len(real)]
    assert np.array_equal(labels, mnist_labels[: len(real)]), "N-MNIST sample k must be MNIST sample k"

    # 1. path
    t0 = time.time()
    t, dx, dy, n = em.measure_saccade_path(real, images)
    tt, px, py = smooth_path(t, dx, dy, n)
    comment = (f"N-MNIST saccade path measured from the first {len(real)} real training recordings "
               "(nmnist/Train/<digit>/NNNNN.bin) by results/nmnist/emulator/fit_emulator.py:\n"
               "snnlab.data.emulator.measure_saccade_path (5 ms windows every 1 ms), weighted smoothing "
               f"spline (lam={LAM:g} ms^3), held after {T_HOLD * 1e3:g} ms.\n"
               "dx_px, dy_px: offset of the digit (pixels) from its centred position on the 34x34 sensor "
               "(x = column, y = row).")
    em.write_saccade_path(em.PATH_FILE, tt, px, py, comment)
    path = em.load_saccade_path()
    print(f"path: {time.time() - t0:.0f} s -> {em.PATH_FILE}", flush=True)
    raw_path = {"t_ms": (t * 1e3).round(2).tolist(), "dx": np.round(dx, 3).tolist(),
                "dy": np.round(dy, 3).tolist(), "n_events": n.astype(int).tolist()}

    # 2. contrast polarity
    N = args.n_fit
    real_fit, img_fit = real[:N], images[:N]
    real_extra = extra_statistics(real_fit)
    start = dict(START)
    contrast = []
    for invert in (False, True):
        for swap in (False, True):
            p = params_from(start, em.EmulatorParams(invert=invert, swap_polarity=swap))
            c = em.compare_statistics(real_fit, em.emulate(img_fit, p, rng=args.seed, path=path))
            contrast.append({"invert": invert, "swap_polarity": swap,
                             "per_saccade_image_r": c["accumulated_images"]["per_saccade_mean_pearson_r"],
                             "image_r": c["accumulated_images"]["mean_pearson_r"]})
            print("contrast", contrast[-1], flush=True)
    best_c = max(contrast, key=lambda r: np.mean(r["per_saccade_image_r"]))
    base = em.EmulatorParams(invert=best_c["invert"], swap_polarity=best_c["swap_polarity"])

    # 3. parameters
    names = list(FIT)
    history = []

    def unpack(u):
        return {k: float(FIT[k][1](ui)) for k, ui in zip(names, u)}

    def f(u):
        vals = unpack(u)
        p = params_from(vals, base)
        emu = em.emulate(img_fit, p, rng=args.seed, path=path)
        terms = objective_terms(real_fit, emu, real_extra)
        loss = float(sum(v * v for v in terms.values()))
        history.append({"params": vals, "loss": loss, "terms": {k: float(v) for k, v in terms.items()}})
        print(f"{len(history):3d} loss {loss:.4f} " + " ".join(f"{k}={v:.4g}" for k, v in vals.items()), flush=True)
        return loss

    u0 = np.array([FIT[k][0](start[k]) for k in names])
    res = minimize(f, u0, method="Nelder-Mead",
                   options={"maxfev": args.maxfev, "xatol": 1e-2, "fatol": 1e-3,
                            "initial_simplex": np.vstack([u0] + [u0 + 0.25 * np.eye(len(u0))[i] for i in range(len(u0))])})
    best = min(history, key=lambda h: h["loss"])
    fitted = {k: float(f"{v:.4g}") for k, v in best["params"].items()}   # 4 significant digits
    p = params_from(fitted, base)

    # 4. all training recordings
    emu = em.emulate(images, p, rng=args.seed, path=path)
    stats = em.compare_statistics(real, emu)
    extra = {"real": extra_statistics(real), "emulated": extra_statistics(emu)}
    te, ex, ey, en = em.measure_saccade_path(emu, images)
    m = (t < 0.3) & np.isfinite(dx) & np.isfinite(ex)
    real_s, emu_s = smooth_path(t, dx, dy, n)[1:], smooth_path(te, ex, ey, en)[1:]   # 1 ms tables
    path_check = {"raw_rms_px": {"x": float(np.sqrt(np.mean((ex[m] - dx[m]) ** 2))),
                                 "y": float(np.sqrt(np.mean((ey[m] - dy[m]) ** 2)))},
                  "smoothed_rms_px": {ax: float(np.sqrt(np.mean((emu_s[i][:300] - real_s[i][:300]) ** 2)))
                                      for i, ax in enumerate("xy")},
                  "note": "measure_saccade_path on the emulated vs the real streams of the same 1,000 "
                          "training digits, 0-300 ms"}
    out = {"fitted": fitted, "params": {k: getattr(p, k) for k in p.__dataclass_fields__},
           "n_fit": N, "seed": args.seed, "loss": best["loss"], "terms": best["terms"],
           "nelder_mead": {"nfev": int(res.nfev), "message": str(res.message)},
           "train_statistics_all": {k: v for k, v in stats.items() if k != "rate_profile"}
           | {"rate_profile": {k: v for k, v in stats["rate_profile"].items() if not k.startswith("profile_")}},
           "train_extra_statistics_all": extra, "path_check": path_check, "start": START,
           "contrast_check": contrast,
           "history": history, "measured_path_raw": raw_path}
    (HERE / "fit.json").write_text(json.dumps(out, indent=1))
    print(json.dumps({"fitted": fitted, "loss": best["loss"], "train_all": out["train_statistics_all"],
                      "extra": extra, "path_check": path_check}, indent=1))


if __name__ == "__main__":
    main()
