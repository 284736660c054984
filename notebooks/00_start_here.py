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
# # 00 · Start here
#
# **Goal.** Learn how this lab works: the order of the notebooks, quick mode, how exercises check
# themselves, and the vocabulary (English / 中文) used throughout.
# **Assumes.** You can run a Jupyter cell (Shift+Enter) and read a little Python/numpy. You have read
# (or are reading) Lee, Delbruck & Pfeiffer (2016), *Training Deep Spiking Neural Networks Using
# Backpropagation*, Front. Neurosci. 10:508, or the Chinese reading note (阅读笔记).
#
# | section | time |
# |---|---|
# | 1. How the lab works | 5 min |
# | 2. Glossary English / 中文 | 5 min |
# | 3. Where each equation lives in `snnlab` | 3 min |
# | 4. Warm-up exercise | 5 min |

# %% [markdown]
# ## 1. How the lab works (5 min)
#
# **Order.** Work through the notebooks in order; each builds on the previous one.
#
# | # | notebook | topic |
# |---|---|---|
# | 00 | start here | this page |
# | 01 | `01_lif_neuron` | the LIF neuron, event-driven: leak, threshold, reset by subtraction, clipping (Eqs. 1, 3) |
# | 02 | `02_dynamic_weight` | the dynamic weight and the refractory period (Eq. 2) |
# | 03 | `03_winner_take_all` | winner-take-all: lateral inhibition proportional to V_th (section 2.1.2) |
# | 04 | `04_deriving_the_gradient` | the gradient through the spiking layers (Eqs. 4-9) and the sign of the threshold update (Eq. 13) |
# | 05 | `05_init_and_error_normalization` | initialization and error normalization (Eqs. 10-12) |
# | 06 | `06_regularizers` | weight and threshold regularization, dead neurons (section 2.3) |
# | 07 | `07_training_pi_mnist` | training on PI-MNIST with a live dashboard; κ (Figs. 2B, 3) |
# | 08 | `08_convolutional_snn` | a convolutional SNN: weight sharing, pooling neurons, elastic distortion (section 3.2) |
# | 09 | `09_nmnist` | N-MNIST, learning from a silicon retina: DVS events, τ_mp = 200 ms, synaptic operations (section 3.3, Figs. 5-6) |
#
# **Widgets.** Sliders carry their units in the label and start at the paper's values
# (τ_mp = 20 ms, T_ref = 1 ms, κ = −0.4). Heavy ones redraw when you *release* the slider.
#
# **Quick mode.** `SNNLAB_QUICK=1` (environment variable) makes heavy cells do less work; the tests
# run every notebook this way. Long results come from files in `results/` that the repository's own
# scripts produce, never from numbers typed in.
#
# **Exercises.** A cell marked **EXERCISE** asks you to write a small function. Replace the line
# `raise NotImplementedError(...)` with your code and run the cell; then run the **check** cell below
# it. The check runs your function on several cases and compares with `snnlab`'s own implementation:
#
# * <span style="color:green">✓ correct: …</span> — done;
# * <span style="color:#b58900">… not done yet: fill in the cell marked EXERCISE</span> — you have not written it yet;
# * <span style="color:red">✗ …</span> — wrong, with a diagnosis of the *likely mistake*
#   (e.g. "your membrane potential never decays: did you multiply by exp(-dt/tau)?") and a hint.
#
# **Student and teacher copies.** The notebooks in `notebooks/` contain the solutions (in each
# EXERCISE cell, between nbgrader's begin- and end-solution marker comments; `notebooks/README.md`
# shows them). `make student` (or
# `python -m snnlab.exercises.student notebooks/ -o student/`) writes copies to `student/` with
# the solutions removed and outputs cleared; hand those out.

# %%
import os
import numpy as np
import matplotlib.pyplot as plt
# %matplotlib inline

QUICK = os.environ.get("SNNLAB_QUICK") == "1"     # quick mode (used by the tests)

# %% [markdown]
# ## 2. Glossary English / 中文 (5 min)
#
# Terms as the reading note (阅读笔记) uses them; the symbol and where it lives in the code.
#
# | English | 中文 | symbol | in `snnlab` |
# |---|---|---|---|
# | spike, event | 脉冲 / 事件 | $t_p$ | `snnlab.events` (`make_events`, `poisson_encode`) |
# | event-driven | 事件驱动 (event-based) | | `snnlab.neuron.simulate_neuron` |
# | spiking neural network | 脉冲神经网络 (SNN) | | `snnlab.network.Network` |
# | leaky integrate-and-fire neuron | 泄漏积分发放 (LIF) 神经元 | | `snnlab.neuron` |
# | membrane potential | 膜电位 | $V_{mp}$ | `NeuronResult.membrane` |
# | membrane time constant | 膜时间常数 | $\tau_{mp}$ | `tau_mp` (seconds) |
# | leak | 泄漏 | $e^{-\Delta t/\tau_{mp}}$ | `snnlab.neuron.leak` |
# | threshold | 阈值 | $V_{th}$ | `threshold` |
# | reset (by subtraction) | 重置 | $V_{mp} - V_{th}$ | Eq. 3 in `simulate_group` |
# | clipping (lower bound $-V_{th}$) | 截断 (clipping) | | `simulate_group` |
# | dynamic weight | 动态权重 | $w_{dyn}$ | `snnlab.neuron.dynamic_weight` |
# | refractory period | 不应期 | $T_{ref}$ | `T_ref` (seconds) |
# | winner-take-all | 赢家通吃 (WTA) | | `kappa` in `simulate_group`, `DenseLayer` |
# | lateral inhibition | 侧向抑制 | $\kappa$ | `kappa` |
# | backpropagation | (误差)反向传播 | $\delta$ | `snnlab.learning` (notebook 04) |
# | threshold regularization | 阈值正则化 | $\rho$ | `snnlab.regularizers` (notebook 06) |
# | weight regularization (exponential) | 权重正则化 (指数正则化) | $\beta, \lambda$ | `snnlab.regularizers` |
# | dead neurons | "沉默" 神经元 (dead neurons) | | notebook 06 |
# | Dynamic Vision Sensor | 动态视觉传感器 (DVS) | | `snnlab.data.nmnist` |
#
# *Note.* The reading note writes the lower bound of the membrane as $V_{th}$; the paper says
# $-V_{th}$ (a typo in the note). Its $\Delta_t = t_{out} - t_p$ follows the paper; the square in
# Eq. 2 hides the sign. Every place where the note differs from the paper is listed in
# [docs/algorithm.md, section 9](../docs/algorithm.md#9-where-the-courses-reading-note-differs-from-the-paper); the whole algorithm, equation by equation, is in [docs/algorithm.md](../docs/algorithm.md).

# %% [markdown]
# ## 3. Where each equation lives (3 min)
#
# | paper | what | function |
# |---|---|---|
# | Eq. 1 | leak and integrate, per input event | `snnlab.neuron.leak`, `simulate_neuron` |
# | Eq. 2 | dynamic weight (refractory period) | `snnlab.neuron.dynamic_weight` |
# | Eq. 3 | fire and reset by subtraction | `snnlab.neuron.simulate_group` |
# | section 2.1.1 | clip at $-V_{th}$ | `snnlab.neuron.simulate_group` |
# | section 2.1.2 | WTA: inhibition $\kappa V_{th,i}$, losers refractory | `snnlab.neuron.simulate_group(kappa=...)` |
# | Eq. 4 | traces $x_k$, $a_i$ | `snnlab.layers.traces` |
#
# Times are in **seconds** inside the code; milliseconds only in plots and slider labels.

# %%
from snnlab.params import PAPER, default_params
defaults = default_params()       # what snnlab uses by default (times in seconds)
for name, value in defaults.items():
    print(f"{name:<13}{value:<10g}the paper: {PAPER[name]}")


# %% [markdown]
# ## 4. Warm-up exercise (5 min)
#
# The input of a spiking network is a list of events (time, channel). `snnlab.events.poisson_encode`
# turns an image into Poisson events whose rates sum to `total_rate` (the paper uses 5,000 events
# per second, "5 keps", section 3.1).
#
# **EXERCISE.** Write `input_rate(events, duration)`: the *total* input rate in events per second of
# an event array presented for `duration` seconds.

# %% nbgrader={"grade": false, "grade_id": "nb00_input_rate", "locked": false, "schema_version": 3, "solution": true} tags=["exercise"]
def input_rate(events, duration):
    """Total input rate (events per second) of `events` in a window of `duration` s."""
    ### BEGIN SOLUTION
    return len(events) / duration
    ### END SOLUTION


# %% tags=["check"]
from snnlab.exercises import nb00
nb00.check_input_rate(input_rate)

# %% [markdown]
# Here is what a check says about a typical mistake (dividing by milliseconds):

# %%
nb00.check_input_rate(lambda events, duration: len(events) / (duration * 1000));

# %%
from snnlab.events import poisson_encode
ev = poisson_encode(np.ones(784), total_rate=5000.0, duration=0.05, rng=0)
print(f"{len(ev)} events in 50 ms: {len(ev) / 0.05:.0f} events/s (asked for 5000)")
print(ev[:5])

# %% [markdown]
# Next: **01_lif_neuron.ipynb**.
