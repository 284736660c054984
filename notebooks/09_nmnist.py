# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,nbgrader,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 09 · N-MNIST: learning from a silicon retina (section 3.3, Figs. 5 and 6)
#
# **Goal.** Train on events that a real sensor recorded instead of Poisson spikes made from
# images. N-MNIST (Orchard et al. 2015) is MNIST seen by an ATIS silicon retina (a dynamic vision
# sensor, DVS) that makes three quick eye movements (saccades) in front of each digit: every pixel
# sends an ON event when it gets brighter and an OFF event when it gets darker. You will decode the
# file format byte by byte, scrub through real recordings, compare them with the repository's DVS
# emulator, see why the paper uses τ_mp = 200 ms here (20 ms elsewhere), train a 2312-N-10
# network, and count the synaptic operations behind Figs. 5 and 6.
# **Assumes.** Notebooks 01-07 (the neuron, the trainer, the dashboard); notebook 08 for synaptic
# operations. The real N-MNIST subset on disk (`SNNLAB_DATA`: 1,000 training and 100 test
# recordings) and MNIST.
#
# | section | time (quick mode / full mode) |
# |---|---|
# | 1. The 5-byte event format — exercise | 10 min |
# | 2. Scrubbing through a recording: ON / OFF frames and the three saccades (explorer) | 10 min |
# | 3. Recorded against emulated (explorer) | 10 min |
# | 4. Why τ_mp is 200 ms here (explorer) | 15 min (+ ~15 s / ~1 min of training) |
# | 5. The training crop — exercise; training with widgets | 15 min (+ runs) |
# | 6. Synaptic operations — exercise; Figs. 5 and 6 | 10 min |
#
# Paper → code: the file format `snnlab.data.read_nmnist_bin`, `load_nmnist`; DVS events →
# 2312 input channels `snnlab.events.dvs_to_channels` (channel = p·34·34 + y·34 + x); the training
# crop (300 consecutive events) `snnlab.events.crop_events` in the task `snnlab.tasks.NMNIST`;
# the emulator `snnlab.data.emulator`; presets `"nmnist-800"` (Table 4, trained on emulated
# streams), `"nmnist-800-real"` (the real recordings), `"nmnist-200"` (Figs. 5-6); Figs. 5-6 as
# functions `snnlab.nmnist_figures`, the files `results/nmnist/`.
# The protocol: [docs/algorithm.md, 6.2](../docs/algorithm.md#62-protocols).
#
# **Quick mode** (`SNNLAB_QUICK=1`, used by the tests): the network of section 4 (when no
# checkpoint exists) trains 2 epochs instead of 5; section 5 trains a 2312-50-10 network on 200
# recordings.

# %%
import json
import os
import time
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Image, display
# %matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)

from snnlab import plots
from snnlab.data import load_mnist, load_nmnist, read_nmnist_bin
from snnlab.data.nmnist import find_nmnist_root
from snnlab.data.emulator import EmulatorParams, compare_statistics, emulate, stream_statistics
from snnlab.events import EventBatch, dvs_to_channels
from snnlab.train import PRESETS, Trainer, read_metrics
from snnlab.dashboard import results_dir
from snnlab import widgets_events as we
from snnlab.exercises import nb09

test_streams, test_labels = load_nmnist("test", download=False)       # the 100 real test recordings
mnist_images, mnist_labels = load_mnist("test")
print(f"{len(test_streams)} N-MNIST test recordings;", "quick mode" if QUICK else "full mode")

# %% [markdown]
# ## 1. The 5-byte event format (10 min)
#
# Each recording is one file, `Test/<digit>/<sample number>.bin`, with 5 bytes per event:
#
# | byte | bits | meaning |
# |---|---|---|
# | 0 | 7..0 | x, the pixel column (0..33) |
# | 1 | 7..0 | y, the pixel row (0..33) |
# | 2 | 7 | polarity p: 1 = ON (brighter), 0 = OFF (darker) |
# | 2 | 6..0 | timestamp bits 22..16 |
# | 3 | 7..0 | timestamp bits 15..8 |
# | 4 | 7..0 | timestamp bits 7..0 (the timestamp is in µs, big-endian: highest byte first) |
#
# The first bytes of a real file, the recording of test sample 0 (the file number is the sample
# number counted from 1, `snnlab/data/nmnist.py`):

# %%
root = find_nmnist_root("test", download=False)
path = next(root.glob("*/00001.bin"))
raw = path.read_bytes()
print(f"{path.relative_to(root.parent)}: {len(raw)} bytes = {len(raw) // 5} events")
print("event   byte 0  byte 1  byte 2  byte 3  byte 4")
for i in range(4):
    b = raw[5 * i:5 * i + 5]
    print(f"{i:5d}   " + "  ".join(f"0x{v:02X}  " for v in b) + "   bits of byte 2: " + f"{b[2]:08b}")


# %% [markdown]
# **EXERCISE.** Write `my_decode_event(five_bytes)`: the event `(x, y, p, t_us)` that 5 bytes
# encode (`five_bytes` is a `bytes` object; `five_bytes[i]` is an int 0..255; `>>`, `<<`, `&` and
# `|` are Python's bit operators).

# %% nbgrader={"grade": false, "grade_id": "nb09_my_decode_event", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_decode_event(five_bytes):
    ### BEGIN SOLUTION
    b = list(five_bytes)
    x, y = b[0], b[1]
    p = b[2] >> 7
    t_us = ((b[2] & 0x7F) << 16) | (b[3] << 8) | b[4]
    return x, y, p, t_us
    ### END SOLUTION


# %% tags=["check"]
nb09.check_decode_event(my_decode_event)

# %% [markdown]
# Your decoder on the first events of the real file, next to `read_nmnist_bin` (which converts
# the time to seconds). Until you have written it, the cell uses the reference decoder.

# %%
ev = read_nmnist_bin(path)
try:
    decode, who = my_decode_event, "yours"
    decode(raw[:5])
except NotImplementedError:
    decode, who = nb09.reference_decode_event, "reference"
for i in range(5):
    x, y, p, t = decode(raw[5 * i:5 * i + 5])
    print(f"{who}: x={x:2d} y={y:2d} p={p} t={t:6d} us   read_nmnist_bin: x={ev['x'][i]:2d} y={ev['y'][i]:2d} "
          f"p={ev['p'][i]} t={ev['t'][i] * 1e6:8.1f} us")
ch = dvs_to_channels(ev[:5])
print("input channels (p*34*34 + y*34 + x):", ch["ch"], " -- OFF events 0..1155, ON events 1156..2311")

# %% [markdown]
# ## 2. Scrubbing through a recording (10 min)
#
# The sensor stands still; the digit on the monitor does not change; the sensor *moves* — three
# saccades of about 100 ms along a triangle. Only while an edge of the digit sweeps across a pixel
# does that pixel see its brightness change, so events come in three bursts, and in each burst the
# leading edge of a dark stroke gives OFF events and the trailing edge ON events (or the other way
# round, depending on the direction of the movement).
#
# The explorer shows, for one recording, the ON and OFF events of a window around time t (a
# "frame" made by summing events — the network never sees frames, it gets the events one by one)
# and the event rate of the whole sensor over time, with the three saccades shaded. Move t through
# a saccade with a short window (5 ms), then make the window long.

# %%
scrub = we.stream_scrubber(test_streams, test_labels, sample=0, t_ms=50.0, window_ms=10.0)
scrub.widget

# %%
print(scrub.text)
scrub.update(t_ms=150.0, window_ms=5.0)
print(scrub.text)
st = stream_statistics(test_streams)
print(f"the {len(test_streams)} test recordings: median {st['median']:.0f} events (10th-90th percentile "
      f"{st['p10']:.0f}-{st['p90']:.0f}), ON fraction {st['on_fraction']:.3f}, median length {st['span_ms']:.0f} ms, "
      f"rate peaks at {st['peaks_ms']} ms")

# %% [markdown]
# ## 3. Recorded against emulated (10 min)
#
# The full N-MNIST (60,000 + 10,000 recordings) is not on this machine, so the preset `nmnist-800`
# trains on *emulated* streams: MNIST digits pushed through a software DVS (`snnlab.data.emulator`)
# that moves them along the saccade path measured from the real recordings. A pixel sees the log
# intensity L; it emits an ON event whenever L rises by the contrast threshold C since its last
# event, an OFF event when it falls by C, then stays refractory for T_ref. The parameters were fitted
# to the 1,000 real training recordings (`results/nmnist/emulator/`).
#
# N-MNIST test sample k *is* MNIST test digit k (the same dataset order), so recording and emulation
# of the same digit can be put side by side:

# %%
print("N-MNIST test labels == MNIST test labels 0..99:", bool(np.array_equal(test_labels, mnist_labels[:100])))
emu = we.emulator_explorer(test_streams, mnist_images[:100], mnist_labels[:100], sample=0)
emu.widget

# %%
print(emu.text)
for c, tr in ((0.3, 2.2), (0.1438, 0.0)):
    emu.update(contrast=c, refractory_ms=tr)
    print(f"C = {c}, T_ref = {tr} ms:", emu.text)

# %% [markdown]
# A larger contrast threshold gives fewer events; a longer refractory period cuts the bursts of a
# pixel under a fast edge. The statistics used to fit and validate the emulator
# (`compare_statistics`) on the first test digits, with the fitted parameters:

# %%
n_cmp = 10 if QUICK else 100
emulated = emulate(mnist_images[:n_cmp], EmulatorParams(), rng=0)
cmp_ = compare_statistics(test_streams[:n_cmp], emulated)
e = cmp_["events_per_sample"]["median"]
print(f"{n_cmp} digits: median events recorded {e['real']:.0f}, emulated {e['emulated']:.0f} ({100 * e['rel_diff']:+.1f}%); "
      f"ON fraction {cmp_['on_fraction']['real']:.3f} vs {cmp_['on_fraction']['emulated']:.3f}; rate profile r = "
      f"{cmp_['rate_profile']['pearson_r']:.3f} (peaks {cmp_['rate_profile']['peaks_ms_real']} vs "
      f"{cmp_['rate_profile']['peaks_ms_emulated']} ms); accumulated images r = "
      f"{cmp_['accumulated_images']['mean_pearson_r']:.3f}; all targets met: {cmp_['all_ok']}")
for k in range(3):
    one = compare_statistics(test_streams[k:k + 1], emulated[k:k + 1])
    print(f"  sample {k}: events {one['events_per_sample']['median']['real']:.0f} recorded, "
          f"{one['events_per_sample']['median']['emulated']:.0f} emulated; image r = "
          f"{one['accumulated_images']['mean_pearson_r']:.3f}")

val_file = results_dir() / "nmnist" / "emulator" / "validation.json"
if val_file.exists():
    v = json.loads(val_file.read_text())["validation"]
    print(f"\n{val_file.relative_to(results_dir().parent)} ({v['n_samples']} test recordings): median events "
          f"{100 * v['events_per_sample']['median']['rel_diff']:+.1f}%, ON fraction difference "
          f"{v['on_fraction']['diff']:+.4f}, rate profile r {v['rate_profile']['pearson_r']:.3f}, image r "
          f"{v['accumulated_images']['mean_pearson_r']:.3f}")
else:
    print(f"{val_file} does not exist yet: see results/nmnist/emulator/command.txt for the command that makes it")

# %% [markdown]
# ## 4. Why τ_mp is 200 ms here (15 min)
#
# In PI-MNIST the input is 5,000 Poisson events per second for as long as the digit is shown, and
# τ_mp = 20 ms lets a neuron sum ~100 input events. In N-MNIST the evidence comes in three bursts of
# ~100 ms, each pixel sends a few events when an edge passes, and the shape of the digit is spread
# over a whole saccade (the leading edge now, the trailing edge tens of ms later). The paper
# therefore sets τ_mp = 200 ms for N-MNIST (Table 1): a membrane that forgets within 20 ms sums the
# events of a few ms of motion, one that forgets within 200 ms a whole saccade.
#
# The experiment: one trained network, tested on the 100 recordings with the τ_mp of *every* layer
# set to 10 ... 500 ms, predicting from the output spikes up to time t
# (`snnlab.nmnist_figures.snn_error_and_ops_vs_time`). The network is the 2312-800-10 of the
# running `nmnist-800` job if its checkpoint exists (`results/nmnist/nmnist-800/`, trained on
# emulated streams with τ_mp = 200 ms), otherwise a 2312-200-10 trained here on the 800 real
# training recordings (preset `nmnist-800-real` with 200 hidden neurons, τ_mp = 200 ms).

# %%
ckpt = results_dir() / "nmnist" / "nmnist-800" / "checkpoint.safetensors"
net09 = None
if ckpt.exists():
    try:
        net09, info = we.network_from_checkpoint(ckpt)
        trained_tau = info["config"].tau_mp
        source = f"{ckpt.relative_to(results_dir().parent)}: {info['epoch']} epoch(s) done, {info['batch_index']} batches into the next"
    except Exception as err:          # a damaged or diverged checkpoint: train the small one instead
        print(f"could not use {ckpt}: {err}")
if net09 is None:
    cfg09 = PRESETS["nmnist-800-real"].replace(hidden=(200,), train_samples=800, test_samples=100,
                                                epochs=2 if QUICK else 5)
    t0 = time.perf_counter()
    small = Trainer(cfg09, progress=not QUICK)
    small.fit()
    net09, trained_tau = small.net, cfg09.tau_mp
    source = (f"2312-200-10 trained here: {cfg09.epochs} epochs of {cfg09.train_samples} real recordings "
              f"in {time.perf_counter() - t0:.0f} s, validation accuracy {100 * small.history[-1]['test_accuracy']:.1f}%")
print(net09.describe())
print(source)

# %%
taus = (0.010, 0.020, 0.050, 0.100, 0.200, 0.500)
times = np.arange(0.01, 0.311, 0.01)
n_eval = len(test_streams)
t0 = time.perf_counter()
curves = we.accuracy_vs_time(net09, test_streams[:n_eval], test_labels[:n_eval], taus, times)
print(f"{len(taus)} x {n_eval} full recordings in {time.perf_counter() - t0:.0f} s")
tau_w = we.tau_explorer(curves, times, tau_ms=200.0, trained_tau=trained_tau)
tau_w.widget

# %%
print(tau_w.text)
se = np.sqrt(0.25 / n_eval)
print(f"test noise: with {n_eval} recordings one accuracy has a standard error of up to {100 * se:.0f} points")
print(f"{'tau_mp (ms)':>11} " + " ".join(f"{t * 1e3:>6.0f}" for t in (0.05, 0.1, 0.2, 0.3)) + "   (accuracy % after t ms)")
for tau, acc in curves.items():
    print(f"{tau * 1e3:>11.0f} " + " ".join(f"{100 * np.interp(t, times, acc):>6.0f}" for t in (0.05, 0.1, 0.2, 0.3)))


# %% [markdown]
# *Reading it.* All curves start at 0 (no output spike yet) and rise saccade by saccade — each
# burst of events adds evidence (Fig. 5B of the paper). Compare the very short τ_mp (10 ms) with
# the one the network was trained with (200 ms): the thresholds were learned for membranes that
# sum a whole saccade. Differences smaller than the test noise printed above mean nothing; a
# better-trained network (the checkpoint, or more epochs in full mode) makes them clearer.
#
# ## 5. The training crop; training with widgets (15 min + runs)
#
# Section 3.3: a training presentation is **300 consecutive events from a random position** of the
# stream (~8% of it: some 10-30 ms of a saccade, see below), shifted to start at t = 0; the test
# uses the whole stream.
# Random crops are a cheap augmentation: every epoch sees other parts of the saccades.
#
# **EXERCISE.** Write `my_crop(stream, n, rng)`: `stream` is one sample's channel events (fields
# `t`, `ch`, sorted); return `n` consecutive events from a random start drawn with the generator
# `rng`, with times shifted so the crop starts at 0. If the stream has fewer than `n` events, return
# all of it (shifted). Do not change `stream` itself.

# %% nbgrader={"grade": false, "grade_id": "nb09_my_crop", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_crop(stream, n, rng):
    ### BEGIN SOLUTION
    start = int(rng.integers(0, max(len(stream) - n, 0) + 1))
    out = stream[start:start + n].copy()
    out["t"] -= out["t"][0]
    return out
    ### END SOLUTION


# %% tags=["check"]
nb09.check_crop(my_crop)

# %% [markdown]
# A few crops of test recording 0, as the trainer makes them (`snnlab.events.crop_events`, which
# your `my_crop` reproduces):

# %%
from snnlab.events import crop_events
stream0 = dvs_to_channels(test_streams[0])
stream0["t"] -= stream0["t"][0]
rng = np.random.default_rng(0)
for i in range(4):
    c = crop_events(stream0, 300, rng)
    print(f"crop {i}: {len(c)} events lasting {c['t'][-1] * 1e3:5.1f} ms (the stream: {len(stream0)} events, "
          f"{stream0['t'][-1] * 1e3:.0f} ms)")

# %% [markdown]
# **Training with widgets.** Sliders for the hidden layer, τ_mp, the crop length, κ and the amount of
# training, a **Train** button and the dashboard of notebook 07 — the tiles now show each hidden
# neuron's 2312 weights as OFF | ON 34×34 images (`EventDashboard`). The base is the preset
# `nmnist-800-real` (the paper's 2312-800-10 settings on the real recordings: 800 for training, the
# last 200 for validation). Try: τ_mp = 20 ms against 200 ms; 100-event against 1,000-event crops.

# %%
base = PRESETS["nmnist-800-real"].replace(hidden=(100,), epochs=1, train_samples=800, test_samples=100)
tc = we.event_train_controls(base, every=10, n_tiles=16)
display(tc.widget)
print(tc.config().hidden, f"tau_mp {tc.config().tau_mp * 1e3:g} ms, {tc.config().train_events} events per crop")

# %%
if QUICK:      # what clicking "Train" does, on a small run
    tc.update(hidden=50, train_samples=200)
    tc.run()
    print(tc.result.value)


# %% [markdown]
# ## 6. Synaptic operations; Figs. 5 and 6 (10 min)
#
# Fig. 6 of the paper compares the work of the SNN with that of a conventional network (ANN) of
# the same size that classifies frames of events accumulated over 30 ms. The ANN does a
# multiply-accumulate for every weight in every frame, whatever the input. The SNN does a
# synaptic operation for every event that enters a layer, times the neurons it reaches (notebook
# 08): it works only when the sensor sends events.
#
# **EXERCISE.** Write `my_synaptic_ops(stream, hidden_spikes, sizes)`: the synaptic operations of
# one recording (`stream`, DVS events) in a dense network `sizes = (2312, N, 10)` whose hidden layer
# fired `hidden_spikes` spikes in total.

# %% nbgrader={"grade": false, "grade_id": "nb09_my_synaptic_ops", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_synaptic_ops(stream, hidden_spikes, sizes=(2312, 800, 10)):
    ### BEGIN SOLUTION
    return len(stream) * sizes[1] + hidden_spikes * sizes[2]
    ### END SOLUTION


# %% tags=["check"]
nb09.check_synaptic_ops(my_synaptic_ops)

# %% [markdown]
# The network of section 4 on 10 test recordings: the operations the simulator counted, your
# formula (the reference until you have written it), and the multiply-accumulates of the same-size
# ANN on 30 ms frames:

# %%
chunk = [dvs_to_channels(s) for s in test_streams[:10]]
for c in chunk:
    c["t"] -= c["t"][0]
outs = net09.forward(EventBatch.from_list(chunk, duration=np.array([c["t"][-1] for c in chunk])))
sizes = tuple(net09.sizes)
counted = sum(o.synaptic_ops for o in outs)
try:
    ops_fn = my_synaptic_ops
    ops_fn(test_streams[0], 0, sizes)
except NotImplementedError:
    ops_fn = nb09.reference_synaptic_ops
mine = np.array([ops_fn(s, int(h), sizes) for s, h in zip(test_streams[:10], outs[0].counts.sum(axis=1))])
frames = np.ceil(np.array([c["t"][-1] for c in chunk]) / 0.030)
macs = frames * (sizes[0] * sizes[1] + sizes[1] * sizes[2])
print(f"network {sizes}: simulator == {ops_fn.__name__} on all 10:", bool(np.array_equal(counted, mine)))
print(f"per recording: {counted.mean():,.0f} synaptic operations (SNN) vs {macs.mean():,.0f} MACs "
      f"(ANN, {frames.mean():.0f} frames of 30 ms): the ANN does {macs.mean() / counted.mean():.1f}x as many")

# %% [markdown]
# That ratio is per recording for the *whole* stream. The paper's Fig. 6 compares the two at the
# same *error*: the SNN's error after t ms against its operations so far, and the ANN's error after
# f frames against its MACs (the ANN was trained here too, `results/nmnist/make_figures.py`).
#
# **Fig. 5A, live**: the input rate per pixel over the three saccades, mean ± std over the 100 test
# recordings (`snnlab.nmnist_figures.event_rate_per_pixel`), and the accuracy-vs-time of section 4
# at τ_mp = 200 ms as the error of Fig. 5B:

# %%
from snnlab.nmnist_figures import event_rate_per_pixel, saccade_peaks
t_bins, rates = event_rate_per_pixel(test_streams)
mean, std = rates.mean(axis=0), rates.std(axis=0)
fig, (a1, a2) = plots.new_figure(1, 2, figsize=(10, 3.2))
a1.fill_between(t_bins * 1e3, mean - std, mean + std, alpha=0.3, label="± std")
a1.plot(t_bins * 1e3, mean, label="mean")
for p in saccade_peaks(t_bins, mean):
    a1.axvline(p * 1e3, ls="--", color="0.5")
a1.set_xlabel("time (ms)"); a1.set_ylabel("events / s / pixel"); a1.legend(fontsize=8)
a1.set_title(f"input rate per pixel, {len(test_streams)} test recordings", fontsize=9)
a2.plot(times * 1e3, 100 * (1 - curves[0.2]), "o-", ms=3)
a2.set_xlabel("time (ms)"); a2.set_ylabel("error (%)"); a2.set_ylim(0, 100)
a2.set_title(f"error vs time: {'-'.join(map(str, net09.sizes))}, τ_mp = 200 ms, {n_eval} recordings", fontsize=9)
plots.show(fig)

# %% [markdown]
# **The long run.** `results/nmnist/nmnist-800/` is the preset `nmnist-800` (2312-800-10,
# τ_mp = 200 ms, trained on 60,000 emulated streams, validated on 200 real training recordings),
# started by the command in its `command.txt`; one line per epoch in `metrics.jsonl`, read as it
# is now. The paper reports [98.56, 98.66, 98.74]% test accuracy over epochs 181-200
# ([docs/algorithm.md, 6.3](../docs/algorithm.md#63-published-results)).

# %%
run800 = results_dir() / "nmnist" / "nmnist-800"
run800_command = ((run800 / "command.txt").read_text().strip() if (run800 / "command.txt").exists()
                  else f"snnlab train --preset nmnist-800 --out {run800} --backend numba")
logged = read_metrics(run800)
if logged:
    for r in logged:
        acc = "not tested" if r["test_accuracy"] is None else f"{100 * r['test_accuracy']:.1f}%"
        print(f"epoch {r['epoch']:3d}: train {100 * r['train_accuracy']:.1f}% (300-event crops, emulated), "
              f"{r.get('test_split', 'test')} {acc} (whole real recordings)")
else:
    print(f"{run800 / 'metrics.jsonl'} does not exist yet: the run has not finished an epoch (command: {run800_command})")
s800 = run800 / "summary.json"
print(s800.read_text() if s800.exists() else f"{s800} does not exist yet (written when the run ends)")

# %% [markdown]
# **Figs. 5 and 6 from `results/nmnist/`.** The repository's figure script (its command is in
# `results/nmnist/command.txt`) writes them from the real test recordings and the trained networks;
# the cell shows each figure file that exists and says which are not made yet (nothing is typed in).

# %%
fig_dir = results_dir() / "nmnist"
cmd_file = fig_dir / "command.txt"
command = cmd_file.read_text().strip() if cmd_file.exists() else "python results/nmnist/make_figures.py"
for name, what in (("fig5a", "Fig. 5A: input rate per pixel"), ("fig5b", "Fig. 5B: SNN error vs time"),
                   ("fig6", "Fig. 6: error vs operations, SNN and ANN")):
    png = fig_dir / f"{name}.png"
    if png.exists():
        print(f"{what} ({png.relative_to(results_dir().parent)}):")
        display(Image(filename=str(png), width=520))
    else:
        print(f"{what}: {png.relative_to(results_dir().parent)} does not exist yet; it is made by: {command} "
              "(which says what it needs first, e.g. a trained checkpoint)")
numbers = fig_dir / "fig5b_fig6.json"
if numbers.exists():
    f6 = json.loads(numbers.read_text())
    for key in ("error_level", "snn_ops_at_level", "ann_macs_at_level", "ops_ratio", "n_test", "epochs"):
        if key in f6:
            print(f"{key}: {f6[key]}")
summary = fig_dir / "SUMMARY.txt"
print(summary.read_text() if summary.exists() else f"{summary} does not exist yet ({command})")

# %% [markdown]
# **Summary.** A DVS sends events, not frames: 5 bytes each (x, y, polarity, a 23-bit µs
# timestamp), ~4,000 per N-MNIST digit in three saccade bursts. The network reads them as 2312
# input channels, trains on 300-event crops and is tested on whole streams, with τ_mp = 200 ms so
# that a neuron sums a whole saccade. An event-driven network works per event: its synaptic
# operations follow the sensor's activity, while a frame-based ANN pays for every weight in every
# frame (Fig. 6).
