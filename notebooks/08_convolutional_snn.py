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
# # 08 · A convolutional SNN: weight sharing, pooling neurons, elastic distortion (section 3.2)
#
# **Goal.** See what changes when the layers of notebooks 01-07 become convolutions (section 3.2 of
# the paper, Table 3: 28×28-20C5-P2-50C5-P2-200-10 on MNIST): one input spike now reaches
# k·k·C_out neurons that share their weights; pooling is done by spiking neurons, which is *almost*
# sum pooling; training digits are elastically distorted; and the gradient of a shared kernel is
# Eq. 13 summed over all positions.
# **Assumes.** Notebooks 01-07 (the neuron, WTA, Eqs. 4-16, the trainer and its dashboard). MNIST
# on disk (`SNNLAB_DATA`).
#
# | section | time (quick mode / full mode) |
# |---|---|
# | 1. Weight sharing and the event-driven rule — 2 exercises | 15 min |
# | 2. Feature maps of one digit (explorer) | 10 min |
# | 3. The pooling neuron against exact sum pooling (explorer) | 10 min |
# | 4. Elastic distortion (explorer) | 5 min |
# | 5. Training a small CNN with the dashboard; the long run in `results/` | 10 min (+ ~15 s run / a few minutes) |
# | 6. The gradient of a shared kernel (Eq. 13) — exercise | 15 min |
#
# Paper → code: convolution layer `snnlab.layers.Conv2d` (`init_conv`: Eq. 10 with M = k·k·C_in),
# pooling neurons `snnlab.layers.SumPool` (w = 1, V_th = 0.8, not trained), the paper's notation
# `snnlab.network.build_layers(..., ("20C5", "P2", "50C5", "P2", 200), ...)`, elastic distortion
# `snnlab.data.distortion`, the task `snnlab.tasks.MNIST2D`, presets `"mnist-cnn"` (Table 3) and
# `"tiny-cnn"`; the choices the paper leaves open for convolutions are listed in
# [docs/engine.md](../docs/engine.md) (WTA in conv layers, one threshold per neuron, N and m of Eq. 13).
#
# **Quick mode** (`SNNLAB_QUICK=1`, used by the tests): section 5 trains the `tiny-cnn` preset
# (28×28-4C5-P2-30-10) on 512 digits; without it, the paper's architecture on 6,000 digits.

# %%
import os
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import display
# %matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)

from snnlab import plots
from snnlab.data import load_mnist
from snnlab.layers import SumPool, init_conv, input_traces
from snnlab.tasks import encode_batch
from snnlab.train import PRESETS, Trainer, build_network, read_metrics, trainer_from_checkpoint
from snnlab.dashboard import results_dir
from snnlab import widgets_events as we
from snnlab.exercises import nb08

test_images, test_labels = load_mnist("test")
print("quick mode" if QUICK else "full mode")


# %% [markdown]
# ## 1. Weight sharing and the event-driven rule (15 min)
#
# A convolutional layer with C_out maps and k×k kernels turns C_in input maps of H×W pixels into
# C_out maps of H_out×W_out neurons. Neuron (c, y, x) integrates
#
# $$\sum_{c_{in}, d_y, d_x} W[c, c_{in}, d_y, d_x]\ \cdot\ \text{spike on input } (c_{in},\, y + d_y,\, x + d_x),$$
#
# with Eqs. 1-3 as before: only *which* inputs a neuron listens to, and that all neurons of a map
# use the *same* kernel, are new. The convolution is "valid" (no padding, stride 1): a neuron exists
# only where its whole k×k window lies inside the input.
#
# **EXERCISE.** Write `my_conv_output_size(H, W, k)`: the (H_out, W_out) of a k×k convolution of an
# H×W map.

# %% nbgrader={"grade": false, "grade_id": "nb08_my_conv_output_size", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_conv_output_size(H, W, k):
    ### BEGIN SOLUTION
    return H - k + 1, W - k + 1
    ### END SOLUTION


# %% tags=["check"]
nb08.check_conv_output_size(my_conv_output_size)

# %% [markdown]
# **What weight sharing means for the event-driven rule.** The simulator works per input spike
# (notebook 01): a spike on input (c_in, y, x) must update every neuron whose window covers that
# pixel — the neurons (c, y − d_y, x − d_x) for every map c and every kernel offset (d_y, d_x) that
# stays inside the output. In the middle of the image that is k·k·C_out neurons (500 for 20C5),
# each with a different weight of the kernels; near a border, fewer. One *synaptic operation* is
# one "add a weight to a membrane", so a layer costs Σ over its input events of this *fan-out*
# (`layer.fan_out()`; `LayerOutput.synaptic_ops` counts it during the forward pass). A dense layer
# of N neurons has fan-out N for every input.

# %%
conv1 = init_conv((1, 28, 28), 20, 5, alpha=5.0, rng=0)          # the paper's first layer, 20C5
print(conv1.describe(), f"-> {conv1.n_out} neurons, but only {conv1.weights.size} weights "
      f"{conv1.weights.shape} (one 5x5 kernel per map, shared by {conv1.output_shape[1] * conv1.output_shape[2]} positions)")
fan = conv1.fan_out().reshape(28, 28)
print("fan-out of input pixel (14, 14):", fan[14, 14], "  (0, 14):", fan[0, 14], "  (0, 0):", fan[0, 0])
fig, ax = plots.new_figure(figsize=(4, 3.4))
im = ax.imshow(fan, cmap="viridis")
fig.colorbar(im, ax=ax, label="neurons one input spike reaches")
ax.set_title("fan-out of conv1 (20C5 on 28×28) per input pixel", fontsize=9)
plots.show(fig)


# %% [markdown]
# **EXERCISE.** Write `my_synaptic_ops(y, x, H, W, k, maps)`: the number of synaptic operations
# (neurons reached) of ONE input spike on pixel (y, x) of an H×W input map into a layer of `maps`
# k×k kernels. Think about the borders.

# %% nbgrader={"grade": false, "grade_id": "nb08_my_synaptic_ops", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_synaptic_ops(y, x, H, W, k, maps):
    ### BEGIN SOLUTION
    rows = min(y, H - k) - max(0, y - k + 1) + 1
    cols = min(x, W - k) - max(0, x - k + 1) + 1
    return rows * cols * maps
    ### END SOLUTION


# %% tags=["check"]
nb08.check_synaptic_ops(my_synaptic_ops)

# %% [markdown]
# **The synaptic operations of one digit, layer by layer.** The paper's network
# 28×28-20C5-P2-50C5-P2-200-10 (preset `mnist-cnn`, here at initialization), one test digit
# presented for 50 ms, against the dense 784-800-10 of notebook 07 on the same input events.
# For every layer: the events that enter it, the mean fan-out, the synaptic operations the
# simulator counted, and the spikes the layer emits (the next layer's input).

# %%
cnn = build_network(PRESETS["mnist-cnn"], np.random.default_rng(0))
dense = build_network(PRESETS["quick"], np.random.default_rng(0))       # 784-800-10
digit = encode_batch(test_images[:1], None, 0.05, 5000.0, np.random.default_rng(1))
outs = cnn.forward(digit)
print(f"{'layer':34} {'input events':>12} {'mean fan-out':>12} {'synaptic ops':>13} {'output spikes':>13}")
for layer, out in zip(cnn.layers, outs):
    n_in = int(out.inputs.n[0])
    print(f"{layer.describe():34} {n_in:>12} {out.synaptic_ops[0] / max(n_in, 1):>12.1f} "
          f"{int(out.synaptic_ops[0]):>13} {int(out.counts.sum()):>13}")
total_cnn = sum(int(o.synaptic_ops[0]) for o in outs)
ops_dense = sum(int(o.synaptic_ops[0]) for o in dense.forward(digit))
print(f"total: CNN {total_cnn} synaptic operations, dense 784-800-10 {ops_dense} for the same {int(digit.n[0])} input events")
ev = digit.to_list()[0]
print("conv1: sum of fan_out over the input events == synaptic_ops:",
      int(cnn.layers[0].fan_out()[ev["ch"]].sum()) == int(outs[0].synaptic_ops[0]))

# %% [markdown]
# A pooling layer costs one operation per input spike (fan-out 1), a convolution hundreds — but it
# has few weights, so a CNN is cheap in memory, not necessarily in operations. How many operations
# the layers above conv1 do depends on how much conv1 and conv2 fire, which training changes.
#
# ## 2. Feature maps of one digit (10 min)
#
# If the long training run of the repository has written a checkpoint
# (`results/mnist-cnn/run-distortion/checkpoint.safetensors`, made by the command in that folder's
# `command.txt`), the explorer below uses its trained kernels; otherwise the network at
# initialization (random kernels, Eq. 10). It shows the 20 kernels of conv1 (summed over the input
# maps; light = positive), the spike count of every neuron of the 20 conv1 maps for one digit, the
# spikes per map, and the 20 pooled maps. Move the digit slider; a longer presentation gives more
# input events.

# %%
RUN = results_dir() / "mnist-cnn" / "run-distortion"
ckpt = RUN / "checkpoint.safetensors"
run_command = ((RUN / "command.txt").read_text().strip() if (RUN / "command.txt").exists()
               else f"snnlab train --preset mnist-cnn --out {RUN} --backend numba")
ckpt_trainer = None
if ckpt.exists():
    try:
        ckpt_trainer = trainer_from_checkpoint(ckpt, progress=False)
    except Exception as err:           # a checkpoint of another snnlab version, or damaged
        print(f"could not load {ckpt}: {err}")
if ckpt_trainer is not None:
    net08 = ckpt_trainer.net
    print(f"trained kernels from {ckpt}: {ckpt_trainer.epoch} epoch(s) done, "
          f"{ckpt_trainer.batch_index} batches into the next one")
else:
    net08 = cnn
    print(f"no checkpoint at {ckpt} yet: the network at initialization (the command that makes it: {run_command})")
print(net08.describe())
fmaps = we.feature_map_explorer(net08, test_images[:100])
fmaps.widget

# %%
print(fmaps.text)
fmaps.update(digit=7, duration_ms=100.0)
print(fmaps.text)

# %% [markdown]
# *Reading it.* At initialization every map responds to the digit's strokes in a noisy way: the
# kernels are random. A kernel that has learned an oriented edge lights up only where the stroke
# has that orientation. With `kappa != 0` (preset `mnist-cnn`: κ = −0.4 in the conv layers, our
# choice; the paper does not say) the 20 maps at one position compete, so at each pixel only a few
# maps fire — look at the bars.
#
# ## 3. The pooling neuron against exact sum pooling (10 min)
#
# The paper pools 2×2 windows with spiking neurons: each pooling neuron receives its 4 inputs with
# weight 1 and has V_th = 0.8, so *one* input spike makes it fire (V = 1 ≥ 0.8; reset by
# subtraction leaves 0.2). With T_ref = 0 it fires once per input spike: its spike count is exactly
# the sum of the 4 counts (*exact sum pooling*). With the dynamic weight of Eq. 2 an input
# Δt < T_ref after the neuron's last spike only adds w_dyn = (Δt/T_ref)²: if the 4 pixels of a window
# fire in a quick burst, some of their spikes are lost — "this is not exactly sum pooling" (paper).
#
# *Analytic expectation (dashed).* Ignoring what is left on the membrane, an input makes the neuron
# fire on its own iff (Δt/T_ref)² ≥ 0.8, i.e. Δt ≥ √0.8·T_ref ≈ 0.89 T_ref after the last output
# spike. For n inputs spaced by Δ that is one spike every m = ⌈√0.8·T_ref/Δ⌉ inputs:
# 1 + ⌊(n − 1)/m⌋ output spikes (`snnlab.widgets_events.pool_count_analytic`).
#
# The explorer: 4 input spikes, one on each pixel of one 2×2 pool, equally spaced by an interval
# you choose; left, the membrane of the pooling neuron; right, its output spikes (a real `SumPool`
# layer) as a function of the interval, with exact sum pooling (dotted) and the analytic
# expectation (dashed). Move T_ref from 0 to 5 ms.

# %%
pool = we.pool_explorer(T_ref_ms=1.0, interval_ms=0.5)
pool.widget

# %%
print(pool.text)
for T in (0.0, 1.0, 3.0):
    pool.update(T_ref_ms=T, interval_ms=0.5)
    print(f"T_ref = {T:g} ms:", pool.text)

# %% [markdown]
# Where the solid and the dashed curves differ, the neuron fires *more* often than the simple rule
# says: reset by subtraction leaves 0.2 on the membrane after each spike, and an input that does not
# make it fire still leaves its (Δt/T_ref)², so a later input needs less. For intervals ≥ T_ref the
# pooling neuron is exact again.
#
# **On real digits.** The conv1 spikes of 20 test digits, pooled by `SumPool` with the paper's
# T_ref = 1 ms and with T_ref = 0 (exact), and the sum of the conv1 counts in each 2×2 window:

# %%
digits = encode_batch(test_images[:20], None, 0.05, 5000.0, np.random.default_rng(2))
c1 = net08.layers[0].forward(digits)
C, Ho, Wo = net08.layers[0].output_shape
exact = c1.counts.reshape(20, C, Ho // 2, 2, Wo // 2, 2).sum(axis=(3, 5)).sum()
for T in (0.0, 0.001):
    p = SumPool((C, Ho, Wo), 2, threshold=0.8, T_ref=T).forward(c1.spikes)
    print(f"SumPool, T_ref = {T * 1e3:g} ms: {int(p.counts.sum())} output spikes; sum of the conv1 counts per "
          f"window: {int(exact)} ({100 * (1 - p.counts.sum() / max(exact, 1)):.1f}% lost)")

# %% [markdown]
# ## 4. Elastic distortion (5 min)
#
# The paper trains the CNN on elastically distorted digits (Simard et al. 2003): every pixel gets a
# random displacement dx, dy ~ U(−1, 1), both fields are smoothed by a Gaussian of width σ and
# scaled by α, and the digit is resampled at the displaced positions (bilinear). Small σ gives a
# noisy field that tears the digit; large σ an almost rigid shift; α sets the size. The preset
# `mnist-cnn` uses α = 34, σ = 4 pixels (Simard et al.'s values). Every training presentation gets
# a new field, drawn from (seed, epoch, sample index), so a resumed run repeats it exactly.

# %%
dist = we.distortion_explorer(test_images[:100], alpha=34.0, sigma=4.0)
dist.widget

# %%
print(dist.text)
from snnlab.data.distortion import distort_batch
copies = distort_batch(np.repeat(test_images[:1], 6, axis=0), 34.0, 4.0, seed=0, epoch=0, indices=np.zeros(6, int))
per_epoch = np.stack([distort_batch(test_images[:1], 34.0, 4.0, seed=0, epoch=e, indices=[0])[0] for e in range(6)])
print("same (seed, epoch, index) -> same distortion:", bool(np.allclose(copies[0], copies[-1])))
fig, axes = plots.new_figure(1, 6, figsize=(9, 1.8))
for e, ax in enumerate(axes):
    ax.imshow(per_epoch[e], cmap="gray_r")
    ax.set_title(f"epoch {e + 1}", fontsize=8)
    ax.set_xticks([]); ax.set_yticks([])
plots.show(fig)

# %% [markdown]
# ## 5. Training a small CNN with the dashboard (10 min + the run)
#
# The trainer is the one of notebook 07; only the task (`"mnist"`: 1×28×28 maps, no pixel
# permutation, distorted training digits) and the layers differ. The dashboard is notebook 07's,
# with the tiles replaced by the conv1 kernels (`snnlab.widgets_events.EventDashboard`).
# Quick mode: preset `tiny-cnn` (28×28-4C5-P2-30-10, Adam) on 512 digits; full mode: the paper's
# 28×28-20C5-P2-50C5-P2-200-10 (preset `mnist-cnn`) on 6,000 digits for one epoch, validated on
# 1,000 held-out training digits (a few minutes with the numpy engine).

# %%
if QUICK:
    run_cfg, every = PRESETS["tiny-cnn"].replace(train_samples=512, test_samples=200), 8
else:
    run_cfg, every = PRESETS["mnist-cnn"].replace(train_samples=6000, validation_samples=1000, epochs=1,
                                                  eval_duration=0.1), 20
print(run_cfg.hidden, run_cfg.optimizer, f"{run_cfg.train_samples} digits, distortion {run_cfg.distortion}")
dash = we.EventDashboard(every=every, n_tiles=20)
trainer = Trainer(run_cfg, callbacks=[dash], progress=not QUICK)
display(dash.widget)
dash.update(trainer)            # the untrained network first
history = trainer.fit()

# %%
m = history[-1]
print(f"train accuracy {100 * m['train_accuracy']:.1f}% (distorted digits, 50 ms), {m['test_split']} accuracy "
      f"{100 * m['test_accuracy']:.1f}% ({m['test_duration_s'] * 1e3:.0f} ms per digit)")
for layer, rate, dead in zip(trainer.net.layers, m["spikes_per_neuron_per_sample"], m["dead_fraction"]):
    print(f"  {layer.describe():34} {rate:6.3f} spikes per neuron per digit, {100 * dead:4.1f}% never fired")

# %% [markdown]
# *Reading it.* A few hundred distorted digits teach a small CNN little: the accuracy stays far
# from the paper's — that needs the 50,000 digits × many epochs of the long run below. Watch the
# firing rates per layer instead: pooling layers fire about as much as the conv layer below them
# (one spike per input spike, section 3), and the dead-neuron panel shows conv neurons at the
# image borders that never see a stroke.
#
# **Your own settings.** Sliders for the conv layer's maps, the dense hidden layer, the distortion
# and the amount of training; **Train** trains with a live dashboard (the numpy engine: the paper's
# network learns at tens of digits per second here, so start small).

# %%
tc = we.event_train_controls(PRESETS["tiny-cnn"].replace(test_samples=200), every=5, n_tiles=16)
display(tc.widget)
print(tc.config().hidden)

# %%
if QUICK:      # what clicking "Train" does, on a very small run
    tc.update(maps=4, hidden=30, train_samples=64)
    tc.run()
    print(tc.result.value)

# %% [markdown]
# **The long run.** `results/mnist-cnn/run-distortion/` is the preset `mnist-cnn` (Table 3: the
# paper's network, Adam, α = 34, σ = 4 distortion, 50,000 training and 10,000 validation digits)
# trained by the command in its `command.txt`; it appends one line per epoch to `metrics.jsonl`. The
# cell reads whatever is there now (nothing is typed in). The paper reports 99.31% test accuracy
# for its CNN ([docs/algorithm.md, 6.3](../docs/algorithm.md#63-published-results)).

# %%
logged = read_metrics(RUN)
if logged:
    for r in logged:
        acc = "not tested" if r["test_accuracy"] is None else f"{100 * r['test_accuracy']:.2f}%"
        print(f"epoch {r['epoch']:3d}: train {100 * r['train_accuracy']:.2f}% (50 ms, distorted), "
              f"{r.get('test_split', 'test')} {acc} ({r['test_duration_s'] or 0:.1f} s per digit)")
else:
    print(f"{RUN / 'metrics.jsonl'} does not exist yet: the run has not finished its first epoch "
          f"(command: {run_command})")
if ckpt_trainer is not None and ckpt_trainer._epoch_stats["seen"]:
    s = ckpt_trainer._epoch_stats
    print(f"checkpoint, epoch {ckpt_trainer.epoch + 1} so far: running train accuracy {100 * s['correct'] / s['seen']:.1f}% "
          f"over {s['seen']} digits")
summary = RUN / "summary.json"
print(summary.read_text() if summary.exists() else f"{summary} does not exist yet (written when the run ends)")


# %% [markdown]
# ## 6. The gradient of a shared kernel (Eq. 13) — 15 min
#
# Backpropagation through a convolution needs nothing new *per neuron*: neuron (c, y, x) has the
# error δ[c, y, x] of Eqs. 9-12 and its input traces x̂ (Eq. 4). What is new is that the weight
# W[c, c_in, d_y, d_x] is used by every neuron of map c, each time on a different input:
# neuron (c, y, x) reads it on input (c_in, y + d_y, x + d_x). The gradient of a shared weight is the
# sum of its gradients at all positions:
#
# $$\frac{\partial L}{\partial W[c, c_{in}, d_y, d_x]} \;\propto\; \sum_{y, x} \delta[c, y, x]\; \hat x[c_{in},\, y + d_y,\, x + d_x]$$
#
# (Eq. 13 multiplies this by $\sqrt{N/m}$; `Conv2d.weight_gradient` uses the layer's N neurons and
# its m active inputs, our choice for convolutions — [docs/engine.md](../docs/engine.md)).
#
# **EXERCISE.** Write `my_kernel_gradient(delta_maps, input_maps)`: `delta_maps` is (C_out, H_out,
# W_out), `input_maps` is (C_in, H, W); return the (C_out, C_in, k, k) sum above (without
# $\sqrt{N/m}$), with k = H − H_out + 1.

# %% nbgrader={"grade": false, "grade_id": "nb08_my_kernel_gradient", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def my_kernel_gradient(delta_maps, input_maps):
    ### BEGIN SOLUTION
    C_out, H_out, W_out = delta_maps.shape
    C_in, H, W = input_maps.shape
    k = H - H_out + 1
    g = np.zeros((C_out, C_in, k, k))
    for dy in range(k):
        for dx in range(k):
            window = input_maps[:, dy:dy + H_out, dx:dx + W_out]            # (C_in, H_out, W_out)
            g[:, :, dy, dx] = np.einsum("oyx,iyx->oi", delta_maps, window)
    return g
    ### END SOLUTION


# %% tags=["check"]
nb08.check_kernel_gradient(my_kernel_gradient)

# %% [markdown]
# The same sum on a real forward pass: conv1's input traces for one digit (`readout="count"`, the
# trainer's), any error maps δ, and the layer's own `weight_gradient`, which differs by exactly
# $\sqrt{N/m}$ (until you have written `my_kernel_gradient`, the cell uses the check's reference):

# %%
layer1 = net08.layers[0]
out1 = layer1.forward(digit)
x_hat = input_traces(out1, layer1.n_in, layer1.tau_mp, readout="count")          # (1, 784)
delta = np.random.default_rng(3).normal(size=(1, layer1.n_out))
active = x_hat > 0
g_layer = layer1.weight_gradient(delta, x_hat, active)
try:
    kernel_gradient = my_kernel_gradient
    g_mine = kernel_gradient(delta.reshape(layer1.output_shape), x_hat.reshape(layer1.input_shape))
except NotImplementedError:
    kernel_gradient = nb08.reference_kernel_gradient
    g_mine = kernel_gradient(delta.reshape(layer1.output_shape), x_hat.reshape(layer1.input_shape))
factor = np.sqrt(layer1.n_out / active.sum())
print(f"N = {layer1.n_out} neurons, m = {int(active.sum())} active inputs, sqrt(N/m) = {factor:.3f}")
print(f"Conv2d.weight_gradient == sqrt(N/m) * {kernel_gradient.__name__}:", np.allclose(g_layer, factor * g_mine))

# %% [markdown]
# **Summary.** A convolution is many neurons sharing few weights: one input spike reaches up to
# k·k·C_out neurons (fewer at the borders), which is what the event-driven simulator pays for;
# pooling neurons with w = 1 and V_th = 0.8 count input spikes exactly unless they come faster than
# T_ref; training digits are elastically distorted anew in every epoch; and a shared kernel's
# gradient is Eq. 13 summed over all positions. Next: **09**, N-MNIST, where the input is no longer
# Poisson spikes made from images but events recorded by a silicon retina.
