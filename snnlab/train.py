"""The trainer shared by the CLI and the notebooks: a task, a network, the Lee et al. rule.

One training step (docs/algorithm.md, training protocol):
  samples -> the task's encoder (PI-MNIST: fixed pixel permutation + Poisson events, 5 keps, 50 ms;
  MNIST 2-D: Poisson maps, optional elastic distortion; N-MNIST: 300 consecutive events)
  -> forward (numpy reference or the compiled kernel: the same spikes)
  -> output error (Eq. 16) -> backprop through the layers (Eqs. 9, 12) -> gradients (Eq. 13)
  + exponential weight regularization (Eq. 15, hidden layers) -> SGD / Adam
  -> threshold regularization (section 2.3.2) with the 1/5 floor: summed over the batch after it
  (``threshold_reg="batch"``), or at every input event during the forward pass, the paper's way
  (``threshold_reg="event"``, usually with batch size 1).

Everything random is drawn from generators seeded by (seed, epoch, batch index), so a run
resumed from a checkpoint continues bit-for-bit.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import checkpoint as ckpt_io
from .config import THRESHOLD_REGS, ConfigError, check_field, validate  # noqa: F401  (THRESHOLD_REGS: re-exported)
from .layers import BACKENDS, READOUTS
from .learning import WTA_BACKPROP, check_target_count, network_gradients
from .network import Network, build_layers, predict_from_output
from .optim import make_optimizer
from .params import DEFAULTS as _D           # the one set of defaults (params.default_params)
from .regularizers import (FLOOR_MODES, EventThresholdRule, apply_threshold_floor, conv_threshold_regularization,
                           exponential_gradient,
                           exponential_shrink, exponential_shrink_factor, recenter_thresholds,
                           squared_norms_by_input, threshold_regularization)
from .tasks import TASKS, encode_batch, make_task  # noqa: F401  (encode_batch: used by notebooks)

CHECKPOINT = "checkpoint.safetensors"


class TrainingDiverged(RuntimeError):
    """Firing exploded or a NaN appeared; the message says where and what to try."""


class SilentNetworkWarning(UserWarning):
    """No output spike in the first training batches: a layer is silent, so nothing learns."""


SILENT_BATCHES = 3      # the first training batches of a run checked for output spikes


@dataclass
class TrainConfig:
    """Everything that defines a training run (units: seconds, events/s).

    A plain dataclass (``dataclasses.replace`` / ``cfg.replace(...)`` make variants); what each
    setting may be -- type, range, meaning, value to use -- is the table :data:`snnlab.config.FIELDS`,
    checked by :func:`snnlab.config.validate` whenever a Trainer starts.
    """
    hidden: tuple = (800,)            # hidden layers in the paper's notation: 800, "20C5", "P2"
    kappa_hidden: tuple = (_D["kappa"],)  # WTA strength per trained hidden layer (not pools; 0 = none;
                                      # in a conv layer: the maps at one position compete)
    kappa_out: float = _D["kappa_out"]  # WTA strength of the output layer
    alpha: tuple = (_D["alpha"], _D["alpha_out"])   # threshold scale per trained layer (hidden..., output), Eq. 10
    tau_mp: float = _D["tau_mp"]      # s, Eqs. 1, 4
    T_ref: float = _D["T_ref"]        # s, Eq. 2
    sigma: float = _D["sigma"]        # Eq. 6
    optimizer: str = "sgd"            # "sgd" or "adam"
    eta_w: float = _D["eta_w"]        # Eq. 13, per sample (SGD steps use batch_size * eta_w)
    eta_th_ratio: float = _D["eta_th_ratio"]  # eta_th = ratio * eta_w (0.1 SGD, 1.0 Adam)
    lam: float = _D["lam"]            # Eq. 14 lambda
    beta: float = _D["beta"]          # Eq. 14 beta
    rho: float = _D["rho"]            # threshold regularization rate, section 2.3.2 (paper:
                                      # 4e-5..2e-4 at batch size 1; runs: results/archive/HISTORY.md)
    floor_fraction: float = 0.2       # threshold floor = fraction of the initial threshold
    floor_mode: str | tuple = "add"   # "add" (paper), "scale" (note) or "clip" (weights untouched),
                                      # or one per layer; "scale" and "clip" leave dead neurons dead,
                                      # "add" runs away in a layer without WTA (results/archive/HISTORY.md)
    recenter_thresholds: bool = True  # give back the mass the floor adds (regularizers.recenter_thresholds),
                                      # after each batch (batch rule) or each sample (per-event rule)
    decay: float = math.exp(-1 / 35)  # eta and rho multiplied by this every epoch
    batch_size: int = 32
    epochs: int = 1
    rate: float = _D["rate"]          # input events/s summed over pixels
    train_duration: float = 0.05      # s per training presentation
    first_epoch_duration: float | None = None   # s in epoch 1 (0.2 for 2-hidden-layer nets)
    eval_duration: float = 0.2        # s per test presentation after every epoch
    eval_every: int = 1               # test after every N-th epoch only (the others log None); a
                                      # long run spends less time testing. Training is unaffected.
    final_eval_duration: float = 1.0  # s per test presentation at the end (paper: 1 s)
    train_samples: int | None = None  # None = all 60,000
    test_samples: int | None = None   # None = all 10,000
    readout: str = "count"            # trace readout: "end", "integral" or "count" (layers.traces);
                                      # "count" trains best (results/archive/HISTORY.md, "Trace readout")
    silent_output_error: bool = True  # silent output neurons receive error
    wta_backprop: str = "carriers"    # neurons the WTA inverse of Eq. 9 couples in backprop:
                                      # "carriers", "active" or "none" (learning.network_gradients)
    target_count: int = 1             # output spikes at which o_target = 1; 1 = Eq. 16, more = a
                                      # margin (our deviation; learning.output_error)
    init_variant: str = "paper"       # "paper" or "note" (ALGORITHM.md section 7)
    seed: int = 0
    checkpoint_every: float = 120.0   # s of wall time between mid-epoch checkpoints
    max_rate_per_neuron: float = 1000.0   # spikes/s per neuron that count as an explosion
    task: str = "pi-mnist"            # "pi-mnist", "mnist" (2-D maps) or "nmnist" (snnlab.tasks)
    validation_samples: int = 0       # last training samples held out for choosing settings
    distortion: tuple | None = None   # mnist: elastic distortion (alpha, sigma) in pixels, training only
    train_events: int = 300           # nmnist: consecutive events per training presentation
    threshold_reg: str = "batch"      # "batch": summed over a batch, after it; "event": at every input
                                      # event during the forward pass (the paper, with batch_size 1;
                                      # with batch_size > 1 the samples are simulated one after another)
    threshold_reg_conv: bool = False  # also regularize conv thresholds (per position, across the maps;
                                      # regularizers.conv_threshold_regularization; batch rule only)
    pool_threshold: float = 0.8       # V_th of pooling neurons (weights 1), section 3.2
    nmnist_train: str = "real"        # nmnist training streams: "real" recordings, "emulated" (MNIST digits
                                      # through the DVS emulator; validation = the last validation_samples
                                      # real training recordings) or "emulated+real"
    eval_split: str = "test"          # split of the test after each epoch: "test", or "validation"
                                      # when settings are chosen on it (the test set then stays unseen)

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)


PRESETS = {
    # ~10 minutes: 784-800-10, two epochs, then all 10k test digits with 1 s presentations
    "quick": TrainConfig(epochs=2, final_eval_duration=1.0),
    # paper Table 2 configurations (section 3.1 and Table 1 constants)
    "pi-mnist-800": TrainConfig(epochs=200),
    # the paper's own protocol: batch size 1, threshold regularization at every input event with rho
    # in its range (4e-5), the paper's floor ("add") and no recentering (our addition)
    "pi-mnist-800-paper": TrainConfig(epochs=200, batch_size=1, threshold_reg="event", rho=4e-5,
                                      recenter_thresholds=False),
    # 500-500: the paper trains it with SGD (kept as "pi-mnist-500-500-sgd"), but here SGD does
    # not train it: the WTA-less layer 2 grows its activity every epoch until the guard stops the
    # run, with every floor mode, eta 0.001, batch size 8, and 50 or 200 ms in epoch 1.  Adam with
    # the 300-300 settings and 50 ms throughout does train it (results/archive/HISTORY.md, "Two hidden layers").
    "pi-mnist-500-500": TrainConfig(hidden=(500, 500), kappa_hidden=(-0.4, 0.0), alpha=(5.0, 3.0, 3.0),
                                    optimizer="adam", eta_w=0.001, eta_th_ratio=1.0, epochs=200),
    "pi-mnist-500-500-sgd": TrainConfig(hidden=(500, 500), kappa_hidden=(-0.4, 0.0), alpha=(5.0, 3.0, 3.0),
                                        first_epoch_duration=0.2, epochs=200),
    "pi-mnist-300-300-adam": TrainConfig(hidden=(300, 300), kappa_hidden=(-0.4, 0.0), alpha=(5.0, 3.0, 3.0),
                                         optimizer="adam", eta_w=0.001, eta_th_ratio=1.0,
                                         first_epoch_duration=0.2, epochs=200),
    # Table 3: 28x28-20C5-P2-50C5-P2-200-10, Adam, elastic distortion, 50k / 10k train / validation;
    # alpha 5 in the conv layers (alpha 3 makes ~16,000 conv2 spikes per 50 ms digit at init); WTA
    # across the maps at each position (without it conv2's activity runs away within 200 batches:
    # results/mnist-cnn/screening)
    "mnist-cnn": TrainConfig(task="mnist", hidden=("20C5", "P2", "50C5", "P2", 200), kappa_hidden=(-0.4, -0.4, -0.4),
                             alpha=(5.0, 5.0, 5.0, 3.0), optimizer="adam", eta_w=0.001, eta_th_ratio=1.0,
                             validation_samples=10000, distortion=(34.0, 4.0), epochs=200,
                             eval_split="validation"),
    # Table 4: 2312-800-10 on N-MNIST streams, tau_mp 200 ms, 300 consecutive events per training sample
    # trained on 60,000 emulated streams (the full N-MNIST is not on these machines), validated on 200
    # real training recordings, tested on the real test recordings.  Trace readout "end": a crop of
    # 300 events lasts ~25 ms << tau_mp = 200 ms, so "count" (tau_mp / T per spike) would weigh every
    # spike ~8x and the run explodes within 80 batches (results/nmnist/screening)
    "nmnist-800": TrainConfig(task="nmnist", tau_mp=0.200, epochs=50, eval_duration=0.3, final_eval_duration=0.3,
                              nmnist_train="emulated", validation_samples=200, eval_split="validation",
                              readout="end"),
    # Figs. 5 and 6 use 2312-200-10
    "nmnist-200": TrainConfig(task="nmnist", hidden=(200,), tau_mp=0.200, epochs=20, eval_duration=0.3,
                              final_eval_duration=0.3, nmnist_train="emulated", validation_samples=200,
                              eval_split="validation", readout="end"),
    "nmnist-800-real": TrainConfig(task="nmnist", tau_mp=0.200, epochs=50, eval_duration=0.3,
                                   final_eval_duration=0.3, validation_samples=200, eval_split="validation",
                                   readout="end"),
    # for tests: seconds
    "tiny": TrainConfig(hidden=(40,), train_samples=256, test_samples=200, batch_size=32, epochs=2,
                        eval_duration=0.05, final_eval_duration=0.05),
    "tiny-cnn": TrainConfig(task="mnist", hidden=("4C5", "P2", 30), kappa_hidden=(0.0, -0.4), alpha=(3.0, 3.0, 3.0),
                            optimizer="adam", eta_w=0.001, eta_th_ratio=1.0, train_samples=64, test_samples=50,
                            validation_samples=16, distortion=(34.0, 4.0), epochs=1, eval_duration=0.05,
                            final_eval_duration=0.05, batch_size=16),
}


def check_eval_every(eval_every) -> None:
    """``eval_every`` must be a whole number of epochs >= 1 (ConfigError otherwise)."""
    check_field("eval_every", eval_every)


def check_config(cfg: TrainConfig) -> None:
    """Check every setting of ``cfg`` (:func:`snnlab.config.validate`, the one validation); used when
    a run starts, before every epoch (``--resume`` may have changed a setting) and by ``snnlab train``.

    Raises:
        ConfigError: ``<field>: <what is wrong>; <what to use>`` (a ValueError).
    """
    validate(cfg)


def read_metrics(out_dir) -> list[dict]:
    """The per-epoch metrics a run logged in ``out_dir/metrics.jsonl``, across all ``--resume``s, in
    epoch order; an epoch logged twice (killed between its log line and its checkpoint) counts once,
    the last time. [] when there is no log.

    A run killed while writing leaves a torn last line; ``_log`` starts the next record on a new
    line, so the torn one may also end up in the middle.  Such a line is skipped with a
    RuntimeWarning (its epoch's checkpoint was not written either, so ``--resume`` redid that epoch
    and logged it again)."""
    log = Path(out_dir) / "metrics.jsonl"
    if not log.exists():
        return []
    by_epoch = {}
    for i, line in enumerate(log.read_text(errors="replace").splitlines()):
        if not line.strip():
            continue
        try:
            m = json.loads(line)
            by_epoch[m["epoch"]] = m
        except (ValueError, KeyError, TypeError, IndexError):
            warnings.warn(f"{log}: skipped line {i + 1}, a torn record ({line[:60]!r}) left by a run killed "
                          "while writing it", RuntimeWarning, stacklevel=2)
    return [by_epoch[e] for e in sorted(by_epoch)]


def floor_modes(cfg: TrainConfig) -> list:
    """The threshold-floor mode of each layer (hidden..., output) from ``cfg.floor_mode``."""
    n_layers = len(cfg.hidden) + 1
    modes = [cfg.floor_mode] * n_layers if isinstance(cfg.floor_mode, str) else list(cfg.floor_mode)
    if len(modes) != n_layers or any(m not in FLOOR_MODES for m in modes):
        raise ValueError(f"floor_mode must be one of {FLOOR_MODES}, or a tuple of those with one "
                         f"entry per layer ({n_layers}); got {cfg.floor_mode!r}")
    return modes


INPUT_SHAPES = {"pi-mnist": (784,), "mnist": (1, 28, 28), "nmnist": (2, 34, 34)}


def build_network(cfg: TrainConfig, rng, input_shape=None) -> Network:
    """Layers initialized by Eq. 10 with the config's alpha and kappa (one per trained layer)."""
    kappas = [*cfg.kappa_hidden, cfg.kappa_out]
    shape = INPUT_SHAPES.get(cfg.task, (784,)) if input_shape is None else input_shape
    return build_layers(shape, cfg.hidden, 10, kappas, cfg.alpha, rng, tau_mp=cfg.tau_mp, T_ref=cfg.T_ref,
                        init_variant=cfg.init_variant, pool_threshold=cfg.pool_threshold)


EVAL_SEED = 12345   # default seed of the Poisson test input (Trainer.evaluate, snnlab evaluate)


def _rng(cfg, *keys) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([cfg.seed, *keys]))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, flush to disk, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


#: temporary files of interrupted atomic writes in a run folder (checkpoint.save, atomic_write_bytes;
#: .checkpoint.pkl.tmp-* from the old pickle checkpoints)
STALE_TEMPORARIES = (".checkpoint.safetensors.tmp-*", ".checkpoint.pkl.tmp-*", ".config.json.tmp-*",
                     ".summary.json.tmp-*")


def remove_stale_temporaries(out_dir) -> list[Path]:
    """Delete the temporary files that killed writes left in a run folder; returns those removed.

    A write goes to ``.NAME.tmp-PID...`` and is renamed over ``NAME`` once complete, so such a file
    is never the run's data: a run that starts or resumes in ``out_dir`` removes them."""
    out_dir = Path(out_dir)
    removed = []
    if out_dir.is_dir():
        for pattern in STALE_TEMPORARIES:
            for tmp in out_dir.glob(pattern):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


class Trainer:
    """Trains a network on a task (PI-MNIST, MNIST 2-D, N-MNIST); used by ``snnlab train`` and notebook 07.

    Args:
        cfg: a TrainConfig (or the name of a preset).
        out_dir: where ``metrics.jsonl`` and ``checkpoint.safetensors`` go (None: nothing written).
        callbacks: objects with optional ``on_batch_end(trainer, info)`` and
            ``on_epoch_end(trainer, metrics)`` methods (live plots).
        progress: show tqdm progress bars.
        backend: "numpy" (the reference loops, what the notebooks show) or "numba" (the compiled
            kernels: the same spikes, so the same run, faster).
    """

    def __init__(self, cfg: TrainConfig | str = "quick", out_dir=None, callbacks=(), progress=True,
                 backend: str = "numpy"):
        if isinstance(cfg, str) and cfg not in PRESETS:
            raise ConfigError("preset", f"unknown preset {cfg!r}", f"use one of: {', '.join(PRESETS)}")
        self.cfg = PRESETS[cfg] if isinstance(cfg, str) else cfg
        if not isinstance(self.cfg, TrainConfig):
            raise TypeError(f"cfg must be a TrainConfig or the name of a preset, got {type(cfg).__name__}")
        check_config(self.cfg)      # every setting checked here, before any data is loaded or file written
        if backend not in BACKENDS:
            raise ConfigError("backend", f"unknown backend {backend!r}", f"use one of: {', '.join(BACKENDS)}")
        self.backend = backend
        self.out_dir = Path(out_dir) if out_dir else None
        self.callbacks = list(callbacks)
        self.progress = progress
        if self.out_dir:
            remove_stale_temporaries(self.out_dir)
        self.permutation = _rng(self.cfg, 999).permutation(784)
        self.task = make_task(self.cfg, self.permutation if self.cfg.task == "pi-mnist" else None)
        self.train_images, self.train_labels = self.task.inputs["train"], self.task.labels["train"]
        self.test_images, self.test_labels = self.task.inputs["test"], self.task.labels["test"]
        for name, asked, got in (("train_samples", self.cfg.train_samples, len(self.train_labels)),
                                 ("test_samples", self.cfg.test_samples, len(self.test_labels))):
            if asked is not None and got < asked:    # a local subset (N-MNIST) holds fewer
                raise ConfigError(name, f"{asked} asked for, but the {self.cfg.task} data found holds only {got}"
                                  + (" after validation_samples" if name == "train_samples" else ""),
                                  f"use {name} <= {got}, or None for all of them")
        self.net = build_network(self.cfg, _rng(self.cfg, 1000), self.task.input_shape)
        self.floors = [self.cfg.floor_fraction * layer.threshold.copy() for layer in self.net.layers]
        # eta is per sample (the paper trains with batch size 1).  SGD on the batch-mean gradient
        # with B * eta makes one step equal the sum of the B per-sample updates; Adam normalizes
        # its steps, so it takes eta as is.
        self._lr_scale = self.cfg.batch_size if self.cfg.optimizer == "sgd" else 1.0
        params, lrs = self._params()
        self.optimizer = make_optimizer(self.cfg.optimizer, lrs)
        self.rho = self.cfg.rho
        self.epoch = 0          # completed epochs
        self.batch_index = 0    # next batch within the current epoch
        self.history: list[dict] = []
        self._epoch_stats = self._new_epoch_stats()

    # -------------------------------------------------------------- parameters
    def _params(self):
        params, lrs = [], []
        for layer in self.trained_layers():
            params += layer.parameters()
            lrs += [self.cfg.eta_w * self._lr_scale, self.cfg.eta_w * self.cfg.eta_th_ratio * self._lr_scale]
        return params, lrs

    def trained_layers(self):
        return [layer for layer in self.net.layers if layer.trainable]

    def _new_epoch_stats(self):
        return {"correct": 0, "seen": 0, "loss": 0.0, "silent": 0, "time": 0.0,
                "spikes": [np.zeros(layer.n_out) for layer in self.net.layers]}

    # -------------------------------------------------------------- one step
    def train_batch(self, inputs, labels, duration, rng, indices=None) -> dict:
        """Forward, backward and update on one mini-batch; returns batch statistics.

        Args:
            inputs: the batch's samples (images, or N-MNIST streams).  labels: (B,) classes.
            duration: presentation (s; N-MNIST: unused, a crop lasts until its last event).
            rng: generator of the input spikes / crop positions.
            indices: the samples' positions in the training split (they seed elastic distortion).
        """
        cfg = self.cfg
        labels = np.asarray(labels)
        if not (np.issubdtype(labels.dtype, np.integer) and labels.ndim == 1 and len(labels) == len(inputs)
                and labels.size and labels.min() >= 0 and labels.max() < 10):
            raise ValueError(f"labels must be one integer class in [0, 10) per sample ({len(inputs)}); "
                             f"got {labels!r}")
        batch = self.task.encode_inputs(inputs, duration, rng, True, self.epoch, indices)
        event_rule = cfg.threshold_reg == "event" and self.rho > 0
        modes = floor_modes(cfg)                         # read each batch, like the other settings
        rules = [EventThresholdRule(self.rho, self.floors[l], modes[l])
                 if (event_rule and layer.kind == "dense") else None for l, layer in enumerate(self.net.layers)]
        before = {l: layer.threshold.copy() for l, layer in enumerate(self.net.layers)
                  if rules[l] is not None and cfg.recenter_thresholds}
        outputs = self.net.forward(batch, backend=self.backend, threshold_rules=rules if event_rule else None)
        for l, th in before.items():                     # the per-event rule's floor mass, given back
            self.net.layers[l].threshold[...] = recenter_thresholds(th, self.net.layers[l].threshold, self.floors[l])
        self._guard(outputs, batch.duration.mean())
        grads, stats = network_gradients(self.net.layers, outputs, labels, cfg.sigma, cfg.readout,
                                         cfg.silent_output_error, cfg.target_count,
                                         cfg.wta_backprop, sparse=cfg.optimizer == "sgd" and len(labels) == 1)
        n_layers = len(self.net.layers)
        flat_grads = []
        hidden = [l for l in range(n_layers - 1) if self.net.layers[l].trainable] if cfg.lam > 0 else []
        for l, (layer, grad) in enumerate(zip(self.net.layers, grads)):   # Eqs. 14-15: hidden layers only
            if grad is None:
                continue
            g_w, g_th = grad
            if l in hidden and cfg.optimizer == "adam":
                rows = layer.weight_rows()
                g_w = g_w + exponential_gradient(rows, cfg.lam, cfg.beta).reshape(g_w.shape)
            storage = layer.parameters()[0]      # the optimizer steps the layer's own array
            if isinstance(g_w, np.ndarray) and storage.shape != g_w.shape:
                g_w = g_w.T
            flat_grads += [g_w, g_th]
        params, _ = self._params()
        self.optimizer.step(params, flat_grads)
        trained = self.trained_layers()
        finite = set()          # layers whose weights are known finite (their squared norms were)
        if cfg.optimizer == "sgd":                       # the same term as a stable implicit step
            for l in hidden:
                layer = self.net.layers[l]
                lr = self.optimizer.lrs[2 * trained.index(layer)]
                if layer.kind == "dense":                # = exponential_shrink, in place, column by column
                    sq = self._squared_norms(layer)
                    factor = exponential_shrink_factor(sq, lr, cfg.lam, cfg.beta)
                    if self.backend == "numba":
                        from .kernels import scale_neurons
                        scale_neurons(layer.weights_by_input, factor)
                    else:
                        layer.weights_by_input *= factor
                else:
                    rows = layer.weight_rows()
                    sq = np.einsum("ij,ij->i", rows, rows)[:, None]
                    rows *= exponential_shrink_factor(sq, lr, cfg.lam, cfg.beta)
                if np.isfinite(sq.sum()):                # finite squares, factors in (0, 1]: finite weights
                    finite.add(l)
        for l, (layer, out) in enumerate(zip(self.net.layers, outputs)):
            if not layer.trainable:
                continue                                 # pooling neurons keep V_th 0.8
            batch_rule = self.rho > 0 and rules[l] is None and (
                layer.kind == "dense" or (layer.kind == "conv" and cfg.threshold_reg_conv))
            if batch_rule and layer.kind == "conv":      # within each position's maps
                wanted = layer.threshold + conv_threshold_regularization(out.counts, self.rho, layer.output_shape)
            elif batch_rule:                             # section 2.3.2, summed, after the batch
                wanted = layer.threshold + threshold_regularization(out.counts, self.rho)
            else:                                        # (or already applied at every event)
                wanted = layer.threshold.copy()
            mode = modes[l] if layer.kind == "dense" else "clip"   # shared kernels: never raise them
            rows = layer.weight_rows()
            w, th = apply_threshold_floor(rows, layer.threshold, wanted, self.floors[l], mode)
            if batch_rule and cfg.recenter_thresholds:
                th = recenter_thresholds(layer.threshold, th, self.floors[l])
            if w is not rows:                            # the floor raised some weights
                layer.weights[...] = w.reshape(layer.weights.shape)
                finite.discard(l)
            layer.threshold[...] = th
        self._check_finite(skip_weights=finite)
        pred, silent = predict_from_output(outputs[-1], self.net.layers[-1].threshold)
        s = self._epoch_stats
        s["correct"] += int((pred == labels).sum())
        s["seen"] += len(labels)
        s["loss"] += float(stats["loss"].sum())
        s["silent"] += int(silent.sum())
        for acc, out in zip(s["spikes"], outputs):
            acc += out.counts.sum(axis=0)
        return {"accuracy": float((pred == labels).mean()), "loss": float(stats["loss"].mean()),
                "spikes_per_sample": [float(o.counts.sum() / len(labels)) for o in outputs]}

    def _guard(self, outputs, duration):
        for l, out in enumerate(outputs):
            rate = out.counts.sum() / (out.counts.size * duration)
            if not np.isfinite(rate) or rate > self.cfg.max_rate_per_neuron:
                raise TrainingDiverged(
                    f"firing exploded in layer {l + 1} (of {len(outputs)}) during epoch {self.epoch + 1}: "
                    f"{rate:.0f} spikes/s per neuron (limit {self.cfg.max_rate_per_neuron:.0f}). "
                    "Try a smaller eta_w, a larger alpha (higher thresholds), a smaller rho, or a "
                    "larger floor_fraction.")

    def _squared_norms(self, layer):
        """sum_j w_ij^2 per neuron of a dense layer (compiled with the numba backend: the same bits)."""
        if self.backend == "numba":
            from .kernels import squared_norms_by_input as compiled
            return compiled(layer.weights_by_input)
        return squared_norms_by_input(layer.weights_by_input)

    def _check_finite(self, skip_weights=()):
        """Raise TrainingDiverged on NaN/inf in any weights or thresholds (``skip_weights``: layers
        whose weights are already known finite this step)."""
        for l, layer in enumerate(self.net.layers):
            weights = np.zeros(0) if l in skip_weights else getattr(layer, "weights", np.zeros(0))
            for name, arr in (("weights", weights), ("thresholds", layer.threshold)):
                if not np.isfinite(arr.sum()):        # one pass; NaN or inf anywhere makes the sum so
                    raise TrainingDiverged(
                        f"NaN/inf in the {name} of layer {l + 1} during epoch {self.epoch + 1}. "
                        "Try a smaller eta_w or lambda (the exponential regularizer overflows when "
                        "sum w^2 grows far above 1), or resume from the last checkpoint.")

    # -------------------------------------------------------------- epochs
    def _warn_if_silent(self, n_batches):
        """After each of the first training batches of a run: once ``SILENT_BATCHES`` of them (or
        the whole first epoch, if shorter) are done without a single output spike, warn, naming the
        first silent layer (its thresholds are too high for its input) and what to change."""
        done = min(SILENT_BATCHES, n_batches)
        if self.epoch != 0 or self.batch_index != done:
            return
        counts = [float(np.sum(c)) for c in self._epoch_stats["spikes"]]
        if counts[-1] > 0:
            return
        l = next(i for i, c in enumerate(counts) if c == 0)
        layer = self.net.layers[l]
        if layer.trainable:
            t = self.trained_layers().index(layer)
            advice = (f"use a smaller alpha[{t}] (now {self.cfg.alpha[t]}; V_th = alpha sqrt(3/M), Eq. 10), "
                      "a higher rate or a longer train_duration")
        else:
            advice = f"use a smaller pool_threshold (now {self.cfg.pool_threshold}) or a smaller alpha below it"
        above = ", so the layers above it get no input" if l < len(counts) - 1 else ""
        warnings.warn(f"no output spike in the first {done} training batch(es): layer {l + 1} of "
                      f"{len(counts)} ({layer.describe()}) is silent{above}; {advice}", SilentNetworkWarning,
                      stacklevel=3)

    def epoch_order(self, epoch):
        return _rng(self.cfg, epoch, 0).permutation(len(self.train_labels))

    def train_epoch(self):
        """Train (the rest of) one epoch; returns the epoch's metrics dict."""
        cfg = self.cfg
        check_config(cfg)           # settings may have been changed on --resume
        e = self.epoch
        duration = cfg.first_epoch_duration if (e == 0 and cfg.first_epoch_duration) else cfg.train_duration
        order = self.epoch_order(e)
        n_batches = math.ceil(len(order) / cfg.batch_size)
        bar = _tqdm(total=n_batches, initial=self.batch_index, desc=f"epoch {e + 1}", disable=not self.progress)
        last_ckpt = time.perf_counter()
        try:                 # close the bar on any exit, so an error message starts on its own line
            while self.batch_index < n_batches:
                t0 = time.perf_counter()
                idx = order[self.batch_index * cfg.batch_size:(self.batch_index + 1) * cfg.batch_size]
                info = self.train_batch(self.task.take("train", idx), self.train_labels[idx], duration,
                                        _rng(cfg, e, self.batch_index + 1), indices=idx)
                self.batch_index += 1
                self._epoch_stats["time"] += time.perf_counter() - t0
                self._warn_if_silent(n_batches)
                # postfix without a refresh, so that tqdm's mininterval keeps log files small
                bar.set_postfix(acc=f"{self._epoch_stats['correct'] / self._epoch_stats['seen']:.3f}", refresh=False)
                bar.update(1)
                info.update(epoch=e + 1, batch=self.batch_index, n_batches=n_batches)
                for cb in self.callbacks:
                    if hasattr(cb, "on_batch_end"):
                        cb.on_batch_end(self, info)
                if self.out_dir and time.perf_counter() - last_ckpt > cfg.checkpoint_every:
                    self.save_checkpoint()
                    last_ckpt = time.perf_counter()
        finally:
            bar.close()
        s = self._epoch_stats
        if (e + 1) % cfg.eval_every == 0:
            test = self.evaluate(duration=cfg.eval_duration, split=cfg.eval_split)
        else:                # no test this epoch (cfg.eval_every): say so rather than repeat a number
            test = {"accuracy": None, "silent_fraction": None, "duration_s": None}
        n_seen = max(s["seen"], 1)
        metrics = {
            "epoch": e + 1, "train_accuracy": s["correct"] / n_seen, "train_loss": s["loss"] / n_seen,
            "test_accuracy": test["accuracy"], "test_duration_s": test["duration_s"],
            "test_silent_fraction": test["silent_fraction"], "test_split": cfg.eval_split,
            "train_time_s": s["time"], "samples_per_s": s["seen"] / max(s["time"], 1e-9),
            "spikes_per_neuron_per_sample": [float(x.mean() / n_seen) for x in s["spikes"]],
            "dead_fraction": [float((x == 0).mean()) for x in s["spikes"]],
            "eta_w": self.optimizer.lrs[0], "rho": self.rho,
            "mean_threshold": [float(layer.threshold.mean()) for layer in self.net.layers],
            "backend": self.backend,
        }
        self.epoch += 1
        self.batch_index = 0
        self.optimizer.decay(cfg.decay)
        self.rho *= cfg.decay
        self._epoch_stats = self._new_epoch_stats()
        self.history.append(metrics)
        if self.out_dir:
            self._log(metrics)
            self.save_checkpoint()
        for cb in self.callbacks:
            if hasattr(cb, "on_epoch_end"):
                cb.on_epoch_end(self, metrics)
        return metrics

    def fit(self, epochs=None):
        """Train until ``epochs`` epochs are complete (default: the config's); returns history."""
        epochs = self.cfg.epochs if epochs is None else epochs
        while self.epoch < epochs:
            self.train_epoch()
        return self.history

    # -------------------------------------------------------------- evaluation
    def evaluate(self, duration=None, n=None, batch_size=64, seed=EVAL_SEED, split="test") -> dict:
        """Accuracy on the first ``n`` samples of the test set (or, with ``split="train"``, of the
        training set, to tell under- from overfitting) with ``duration``-second presentations.

        ``seed`` seeds the Poisson input spikes: the same seed gives the same answer, and a few seeds
        show how much of a difference between two checkpoints is test noise."""
        duration = self.cfg.final_eval_duration if duration is None else duration
        if split not in ("test", "train", "validation", "emulated-test"):
            raise ValueError(f"split must be 'test', 'train', 'validation' or 'emulated-test', got {split!r}")
        if split == "emulated-test":
            self.task.ensure(split)
        if not (isinstance(duration, (int, float, np.floating)) and math.isfinite(duration) and duration > 0):
            raise ValueError(f"duration must be a finite number of seconds > 0 (the paper tests with 1.0), got {duration!r}")
        if n is not None and not (isinstance(n, (int, np.integer)) and n >= 1):
            raise ValueError(f"n must be a whole number of samples >= 1 (or None for the whole split), got {n!r}")
        images, labels = {"test": (self.test_images, self.test_labels), "train": (self.train_images, self.train_labels)
                          }.get(split) or (self.task.inputs[split], self.task.labels[split])
        if len(labels) == 0:
            raise ValueError(f"the {split} split is empty (validation_samples = {self.cfg.validation_samples})")
        labels = labels[:n]
        correct = silent_total = 0
        rng = np.random.default_rng(seed)
        bar = _tqdm(total=len(labels), desc=f"{split} {duration * 1000:.0f} ms", disable=not self.progress, leave=False)
        for i in range(0, len(labels), batch_size):
            idx = np.arange(i, min(i + batch_size, len(labels)))
            inputs = images[idx] if isinstance(images, np.ndarray) else [images[j] for j in idx]
            batch = self.task.encode_inputs(inputs, duration, rng, False)
            pred, silent = self.net.predict(batch, backend=self.backend)
            correct += int((pred == labels[i:i + batch_size]).sum())
            silent_total += int(silent.sum())
            bar.update(len(pred))
        bar.close()
        return {"accuracy": correct / len(labels), "silent_fraction": silent_total / len(labels),
                "n": len(labels), "duration_s": duration, "split": split, "seed": seed}

    # -------------------------------------------------------------- checkpoints
    def state(self) -> dict:
        trained = self.trained_layers()
        return {"config": dataclasses.asdict(self.cfg), "epoch": self.epoch, "batch_index": self.batch_index,
                "weights": [layer.weights.copy() for layer in trained],
                "thresholds": [layer.threshold.copy() for layer in trained],
                "optimizer": self.optimizer.state_dict(), "rho": self.rho,
                "history": self.history, "epoch_stats": self._epoch_stats}

    def save_checkpoint(self, path=None):
        """Write ``checkpoint.safetensors`` atomically (a crash mid-write leaves the old one intact).
        Arrays are safetensors tensors, everything else JSON: loading it never runs code."""
        path = Path(path) if path else self.out_dir / CHECKPOINT
        return ckpt_io.save(path, self.state())

    def load_checkpoint(self, path=None):
        path = Path(path) if path else self.out_dir / CHECKPOINT
        state = load_checkpoint_file(path)
        trained = self.trained_layers()
        if len(state["weights"]) != len(trained):
            raise ValueError(f"checkpoint {path} has {len(state['weights'])} trained layers, this network "
                             f"{len(trained)}")
        for layer, w, th in zip(trained, state["weights"], state["thresholds"]):
            if w.shape != layer.weights.shape:
                raise ValueError(f"checkpoint {path}: weights of shape {w.shape} do not fit the layer "
                                 f"{layer.describe()} ({layer.weights.shape})")
            layer.weights[...] = w
            layer.threshold[...] = th
        self.optimizer.load_state_dict(state["optimizer"])
        self.rho = state["rho"]
        self.epoch, self.batch_index = state["epoch"], state["batch_index"]
        self.history = list(state["history"])
        self._epoch_stats = state["epoch_stats"]
        return self

    def _log(self, metrics):
        """Append one JSON line to ``metrics.jsonl``; after a torn last line (a run killed while
        writing) the record starts on a new line, so only the torn line is lost (see read_metrics)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        log = self.out_dir / "metrics.jsonl"
        torn = False
        if log.exists() and log.stat().st_size:
            with open(log, "rb") as f:
                f.seek(-1, os.SEEK_END)
                torn = f.read(1) != b"\n"
        with open(log, "a") as f:
            f.write(("\n" if torn else "") + json.dumps(metrics) + "\n")
            f.flush()


def load_checkpoint_file(path) -> dict:
    """Read a checkpoint (safetensors + JSON; never unpickled); a clear error if it is missing or damaged."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}: train first (snnlab train --out {path.parent})")
    state = ckpt_io.load(path)
    if not isinstance(state, dict) or "weights" not in state or "config" not in state:
        raise ValueError(f"{path} is not an snnlab training checkpoint (no weights or config inside)")
    weights, thresholds = state["weights"], state.get("thresholds")
    if not (isinstance(state["config"], dict) and isinstance(weights, list) and isinstance(thresholds, list)
            and len(weights) == len(thresholds) and all(isinstance(a, np.ndarray) for a in weights + thresholds)):
        raise ValueError(f"{path} is not an snnlab training checkpoint (its config, weights or thresholds "
                         "are missing or malformed); use another checkpoint")
    for l, (w, th) in enumerate(zip(weights, thresholds)):     # a broken network gives no accuracy
        for name, arr in (("weights", w), ("thresholds", th)):
            if not (np.issubdtype(arr.dtype, np.number) and np.all(np.isfinite(arr))):
                bad = int(arr.size - np.count_nonzero(np.isfinite(arr))) if np.issubdtype(arr.dtype, np.number) else arr.size
                raise ValueError(f"{path}: the {name} of trained layer {l + 1} hold {bad} NaN/inf value(s), so "
                                 "no accuracy or training from it would mean anything; use an earlier checkpoint "
                                 "or retrain (with a smaller eta_w)")
        if np.any(th <= 0):
            raise ValueError(f"{path}: {int(np.sum(th <= 0))} threshold(s) of trained layer {l + 1} are <= 0 "
                             f"(smallest {float(th.min())!r}): such neurons fire without input, so no accuracy "
                             "from it would mean anything; use an earlier checkpoint or retrain")
    return state


# Options that existed in earlier versions and were removed, with the value that made them a
# no-op: a checkpoint that used that value still resumes exactly; any other value cannot.
REMOVED_OPTIONS = {"threshold_reg_online": False}


def trainer_from_checkpoint(path, out_dir=None, progress=True, backend="numpy") -> Trainer:
    """A Trainer with the config and state stored in a checkpoint."""
    state = load_checkpoint_file(path)
    cfg_dict = dict(state["config"])
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    for key in sorted(set(cfg_dict) - known):
        if key in REMOVED_OPTIONS and cfg_dict[key] == REMOVED_OPTIONS[key]:
            del cfg_dict[key]       # the option was off: the run does not depend on it
        else:
            raise ValueError(f"checkpoint {path} was written with the setting {key}={cfg_dict[key]!r}, "
                             "which this version of snnlab does not have; resume it with the snnlab "
                             "version that wrote it (see the git log), or start a new run")
    for key in ("hidden", "kappa_hidden", "alpha"):
        cfg_dict[key] = tuple(cfg_dict[key])
    for key in ("floor_mode", "distortion"):              # JSON round trip of a tuple
        if isinstance(cfg_dict.get(key), list):
            cfg_dict[key] = tuple(cfg_dict[key])
    trainer = Trainer(TrainConfig(**cfg_dict), out_dir=out_dir, progress=progress, backend=backend)
    return trainer.load_checkpoint(path)


def _tqdm(**kwargs):
    import sys
    from tqdm.auto import tqdm
    kwargs.setdefault("mininterval", 0.5 if sys.stderr.isatty() else 30.0)   # keep log files small
    return tqdm(**kwargs)
