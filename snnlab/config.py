"""One validation of every :class:`~snnlab.train.TrainConfig` setting, in one place.

:data:`FIELDS` is the table: for every setting its type, the values it may take, what it means
and the value to use instead of a wrong one.  :func:`validate` checks a whole config against it
(each setting alone, then the rules that tie settings together: one ``alpha`` per trained layer,
``sigma * |kappa| < 1`` ...) and raises :class:`ConfigError` on the first problem, with a message

    ``<field>: <what is wrong>; <what to use>``

It is the only check of a config: :class:`~snnlab.train.Trainer` calls it before any data is
loaded or anything written, :func:`~snnlab.train.check_config` is it, and ``snnlab train`` runs it
on ``--set`` values (parsed by :func:`parse_value`) and on ``--resume`` before ``config.json`` is
(re)written.

    >>> from snnlab.train import PRESETS
    >>> validate(PRESETS["tiny"].replace(sigma=1.0))
    Traceback (most recent call last):
    ...
    snnlab.config.ConfigError: sigma: sigma * |kappa_out| = 1.0 * 1.0 = 1.0, but Eq. 9 divides by 1 - sigma |kappa| (division by zero); use sigma < 1 (the paper: 0.5), or a weaker WTA (|kappa| < 1)
"""
from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .layers import READOUTS
from .learning import WTA_BACKPROP
from .network import parse_layer
from .regularizers import FLOOR_MODES
from .tasks import MNIST2D, NMNIST, NMNIST_TRAIN, PIMNIST, TASKS

__all__ = ["ConfigError", "Spec", "FIELDS", "validate", "parse_value", "check_field", "settings_table",
           "INPUT_SHAPES", "DATASET_SIZES", "THRESHOLD_REGS", "OPTIMIZERS", "INIT_VARIANTS", "EVAL_SPLITS"]

THRESHOLD_REGS = ("batch", "event")
OPTIMIZERS = ("sgd", "adam")
INIT_VARIANTS = ("paper", "note")
EVAL_SPLITS = ("test", "validation")
INPUT_SHAPES = {cls.name: tuple(cls.input_shape) for cls in (PIMNIST, MNIST2D, NMNIST)}
"""Input shape of each task: flat (784,) for PI-MNIST, maps (C, H, W) otherwise."""
DATASET_SIZES = {"train": 60000, "test": 10000}
"""Samples in the full MNIST and N-MNIST splits (a local N-MNIST subset may hold fewer)."""


class ConfigError(ValueError):
    """A setting is wrong.  The message is one line: ``<field>: <what is wrong>; <what to use>``.

    Args:
        field: the setting (or command-line option) at fault; alone, it is taken as the whole message.
        problem: what is wrong with it.
        use: what to use instead.

    Attributes:
        field: the name before the first colon of the message.
    """

    def __init__(self, field: str, problem: str = "", use: str = ""):
        message = f"{field}: {problem}; {use}" if problem else field
        super().__init__(message)
        self.field = message.split(":", 1)[0]


# ----------------------------------------------------------------------------- value checks
# Each check returns None for a good value, or what is wrong ("must be ...") for a bad one.

def _is_real(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _is_whole(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _number(low=None, low_open=True, high=None, high_open=True, what="a finite number") -> Callable:
    """A check for finite real numbers in an interval (open or closed at each end)."""
    parts = []
    if low is not None:
        parts.append(f"> {low}" if low_open else f">= {low}")
    if high is not None:
        parts.append(f"< {high}" if high_open else f"<= {high}")
    text = f"must be {what}" + (" " + " and ".join(parts) if parts else "")
    if low is not None and high is not None:
        text = f"must be {what} in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"

    def check(x):
        if not (_is_real(x) and math.isfinite(x)):
            return text
        if low is not None and (x <= low if low_open else x < low):
            return text
        if high is not None and (x >= high if high_open else x > high):
            return text
        return None
    check.text = text
    return check


def _whole(low: int) -> Callable:
    text = f"must be a whole number >= {low}"

    def check(x):
        return None if _is_whole(x) and x >= low else text
    check.text = text
    return check


def _choice(options) -> Callable:
    text = "must be one of " + ", ".join(repr(o) for o in options)

    def check(x):
        return None if isinstance(x, str) and x in options else text
    check.text = text
    return check


def _boolean(x):
    return None if isinstance(x, (bool, np.bool_)) else "must be True or False (a bool, not 0/1 or a string)"


def _optional(inner: Callable) -> Callable:
    def check(x):
        problem = None if x is None else inner(x)
        return problem and problem + ", or None"
    check.text = getattr(inner, "text", "") + ", or None"
    return check


def _entries(item: Callable, what: str) -> Callable:
    """A check for a tuple whose every entry passes ``item``."""
    def check(x):
        if not isinstance(x, tuple):
            return f"must be a tuple of {what}"
        bad = [v for v in x if item(v)]
        if bad:
            return f"must be a tuple of {what} (the entry {bad[0]!r} is not)"
        return None
    return check


def _hidden(x):
    if not isinstance(x, tuple):
        return "must be a tuple of layers in the paper's notation (800, \"20C5\", \"P2\")"
    for token in x:
        if isinstance(token, (bool, np.bool_, float, np.floating)):
            return f"the layer {token!r} is not in the paper's notation (a whole number of neurons, \"20C5\", \"P2\")"
        try:
            parse_layer(token)
        except ValueError as exc:
            return str(exc).split(": use")[0].rstrip(":")
    return None


def _floor_mode(x):
    if isinstance(x, str) and x in FLOOR_MODES:
        return None
    if isinstance(x, tuple) and x and all(isinstance(m, str) and m in FLOOR_MODES for m in x):
        return None
    return f"must be one of {FLOOR_MODES}, or a tuple of those with one entry per layer"


def _distortion(x):
    if x is None:
        return None
    if not (isinstance(x, tuple) and len(x) == 2):
        return "must be None or a pair (alpha, sigma) of pixels"
    alpha, sigma = x
    if not (_is_real(alpha) and math.isfinite(alpha) and alpha >= 0):
        return f"its alpha (the first entry) must be a finite number >= 0 (pixels), not {alpha!r}"
    if not (_is_real(sigma) and math.isfinite(sigma) and sigma > 0):
        return f"its sigma (the second entry) must be a finite number > 0 (pixels), not {sigma!r}"
    return None


# ----------------------------------------------------------------------------- parsing (--set)
def _parse_float(text: str):
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def _parse_int(text: str):
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def _parse_bool(text: str):
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    raise ValueError(f"{text!r} is not true or false")


def _parse_str(text: str):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _is_none(text: str) -> bool:
    return text.strip() in ("None", "none", "null")


def _split_tuple(text: str) -> list[str]:
    text = text.strip()
    if text[:1] in "([" and text[-1:] in ")]":
        text = text[1:-1]
    return [t.strip() for t in text.split(",") if t.strip()]


def _parse_token(text: str):
    """One entry of a tuple: a whole number, a number, or a word."""
    text = _parse_str(text)
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def _tuple_parser(entry: Callable) -> Callable:
    def parse(text: str):
        return tuple(entry(t) for t in _split_tuple(text))
    return parse


def _optional_parser(inner: Callable) -> Callable:
    def parse(text: str):
        return None if _is_none(text) else inner(text)
    return parse


def _parse_floor_mode(text: str):
    stripped = text.strip()
    if stripped[:1] in "([" or "," in stripped:
        return tuple(_parse_str(t) for t in _split_tuple(stripped))
    return _parse_str(stripped)


# ----------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Spec:
    """One row of :data:`FIELDS`.

    Attributes:
        type: the Python type(s) the setting takes, as text ("float", "int | None", "tuple" ...).
        rule: the values allowed, as text.
        meaning: what the setting does (units: seconds, events/s).
        suggest: the value to use instead of a wrong one, as text (usually the default, and why).
        check: value -> None if allowed, else what is wrong ("must be ...").
        parse: the text of ``--set key=TEXT`` -> a value of ``type`` (ValueError if it is not one).
    """
    type: str
    rule: str
    meaning: str
    suggest: str
    check: Callable[[Any], str | None]
    parse: Callable[[str], Any]


def _spec(type_, check, meaning, suggest, parse, rule=None) -> Spec:
    return Spec(type_, rule or getattr(check, "text", ""), meaning, suggest, check, parse)


_POSITIVE = _number(0)
_NON_NEGATIVE = _number(0, low_open=False)
_FLOAT, _INT, _BOOL, _STR = _parse_float, _parse_int, _parse_bool, _parse_str

FIELDS: dict[str, Spec] = {
    "hidden": _spec("tuple", _hidden, "hidden layers in the paper's notation: 800 (dense), \"20C5\" (20 maps, "
                    "5x5 kernels), \"P2\" (2x2 sum pooling); convolutions and pools need a map task (mnist, nmnist)",
                    "e.g. (800,) or (\"20C5\", \"P2\", \"50C5\", \"P2\", 200)", _tuple_parser(_parse_token),
                    rule="a tuple of whole numbers >= 1, \"MAPSCKERNEL\" or \"PSIZE\""),
    "kappa_hidden": _spec("tuple", _entries(_number(-1, False, 0, False), "numbers in [-1, 0]"),
                          "WTA (lateral inhibition) strength of each trained hidden layer (not pools); 0 = no WTA",
                          "one value in [-1, 0] per trained hidden layer, e.g. (-0.4,) (the paper)",
                          _tuple_parser(_parse_float), rule="a tuple of numbers in [-1, 0], one per trained hidden layer"),
    "kappa_out": _spec("float", _number(-1, False, 0, False), "WTA strength of the output layer (Eq. 5)",
                       "e.g. -1.0 (the paper; with sigma < 1)", _FLOAT),
    "alpha": _spec("tuple", _entries(_POSITIVE, "finite numbers > 0"),
                   "threshold scale of each trained layer (hidden..., output), V_th = alpha sqrt(3/M), Eq. 10",
                   "one value > 0 per trained layer, e.g. (5.0, 3.0) for 784-800-10 (paper: 3..10)",
                   _tuple_parser(_parse_float), rule="a tuple of finite numbers > 0, one per trained layer"),
    "tau_mp": _spec("float", _POSITIVE, "membrane time constant (s), Eqs. 1, 4",
                    "e.g. 0.020 (MNIST) or 0.200 (N-MNIST)", _FLOAT),
    "T_ref": _spec("float", _NON_NEGATIVE, "maximum refractory period of the dynamic weight (s), Eq. 2; 0 = off",
                   "e.g. 0.001 (the paper)", _FLOAT),
    "sigma": _spec("float", _number(0, True, 1, False), "expected efficacy of lateral inhibition in the backward "
                   "pass, Eq. 6; sigma * |kappa| must stay < 1 in every WTA layer",
                   "e.g. 0.5 (the paper)", _FLOAT),
    "optimizer": _spec("str", _choice(OPTIMIZERS), "the weight update rule", "'sgd' (the paper, 1 hidden layer) "
                       "or 'adam' (with eta_w 0.001, eta_th_ratio 1.0)", _STR),
    "eta_w": _spec("float", _POSITIVE, "weight learning rate per sample, Eq. 13 (SGD steps use batch_size * eta_w)",
                   "e.g. 0.002 (SGD) or 0.001 (Adam)", _FLOAT),
    "eta_th_ratio": _spec("float", _NON_NEGATIVE, "threshold learning rate as a multiple of eta_w; 0 = fixed "
                          "thresholds", "e.g. 0.1 (SGD) or 1.0 (Adam)", _FLOAT),
    "lam": _spec("float", _NON_NEGATIVE, "exponential weight regularization strength lambda, Eq. 14; 0 = off",
                 "e.g. 0.002", _FLOAT),
    "beta": _spec("float", _NON_NEGATIVE, "sharpness of the exponential weight regularization, Eq. 14",
                  "e.g. 10.0 (the paper)", _FLOAT),
    "rho": _spec("float", _NON_NEGATIVE, "threshold regularization rate, section 2.3.2; 0 = off",
                 "e.g. 5e-6 (batch rule) or 4e-5 (the paper's per-event rule, batch size 1)", _FLOAT),
    "floor_fraction": _spec("float", _number(0, False, 1, True), "threshold floor as a fraction of the initial "
                            "threshold (section 2.3.2: 1/5)", "e.g. 0.2 (the paper)", _FLOAT),
    "floor_mode": _spec("str | tuple", _floor_mode, "what happens to a threshold at its floor: 'add' (paper), "
                        "'scale' (note), 'clip' (weights untouched); one mode, or one per layer (pools included)",
                        "'add', or a tuple with one of 'scale', 'add', 'clip' per layer", _parse_floor_mode,
                        rule=f"one of {FLOOR_MODES}, or a tuple of those with one entry per layer"),
    "recenter_thresholds": _spec("bool", _boolean, "give back the threshold mass the floor adds "
                                 "(regularizers.recenter_thresholds; after each batch, or after each sample "
                                 "with the per-event rule)", "True (the default) or False", _BOOL,
                                 rule="True or False"),
    "decay": _spec("float", _number(0, True, 1, False), "eta and rho are multiplied by this after every epoch",
                   "e.g. exp(-1/35) = 0.9718 (the default); 1.0 = no decay", _FLOAT),
    "batch_size": _spec("int", _whole(1), "samples per training step", "e.g. 32 (1 = the paper)", _INT),
    "epochs": _spec("int", _whole(1), "epochs to train", "e.g. 1 or more (the paper: 200)", _INT),
    "rate": _spec("float", _POSITIVE, "input events/s summed over all pixels (section 3.1: 5 keps)",
                  "e.g. 5000.0", _FLOAT),
    "train_duration": _spec("float", _POSITIVE, "s per training presentation", "e.g. 0.05 (the paper: 50 ms)", _FLOAT),
    "first_epoch_duration": _spec("float | None", _optional(_POSITIVE), "s per training presentation in epoch 1 "
                                  "(None: train_duration)", "None, or e.g. 0.2 for nets with 2 hidden layers",
                                  _optional_parser(_FLOAT)),
    "eval_duration": _spec("float", _POSITIVE, "s per test presentation after each tested epoch",
                           "e.g. 0.2", _FLOAT),
    "eval_every": _spec("int", _whole(1), "test after every N-th epoch only (the others log None)",
                        "a whole number of epochs, e.g. 1 (every epoch) or 5", _INT),
    "final_eval_duration": _spec("float", _POSITIVE, "s per test presentation of the final test",
                                 "e.g. 1.0 (the paper)", _FLOAT),
    "train_samples": _spec("int | None", _optional(_whole(1)), "training samples used (the first ones); None = all "
                           "(there is no 0 = all)", "None (all 60,000) or a whole number >= 1, e.g. 1000",
                           _optional_parser(_INT)),
    "test_samples": _spec("int | None", _optional(_whole(1)), "test samples used (the first ones); None = all",
                          "None (all 10,000) or a whole number >= 1, e.g. 1000", _optional_parser(_INT)),
    "readout": _spec("str", _choice(READOUTS), "trace read out for the gradient (layers.traces)",
                     "'count' (trains best; results/archive/HISTORY.md)", _STR),
    "silent_output_error": _spec("bool", _boolean, "silent output neurons receive error", "True (the default) "
                                 "or False", _BOOL, rule="True or False"),
    "wta_backprop": _spec("str", _choice(WTA_BACKPROP), "neurons the WTA inverse of Eq. 9 couples in backprop "
                          "(learning.network_gradients)", "'carriers' (the default)", _STR),
    "target_count": _spec("int", _whole(1), "output spikes at which o_target = 1 (1 = Eq. 16, more = a margin)",
                          "1 (the paper's Eq. 16)", _INT),
    "init_variant": _spec("str", _choice(INIT_VARIANTS), "weight and threshold initialization (docs/algorithm.md)",
                          "'paper' (Eq. 10)", _STR),
    "seed": _spec("int", _whole(0), "seed of every random draw (with epoch and batch index)", "e.g. 0", _INT),
    "checkpoint_every": _spec("float", _NON_NEGATIVE, "s of wall time between mid-epoch checkpoints (0 = after "
                              "every batch; a checkpoint is also written after every epoch)",
                              "e.g. 120.0 (the default)", _FLOAT),
    "max_rate_per_neuron": _spec("float", _POSITIVE, "spikes/s per neuron at which training stops as exploded",
                                 "e.g. 1000.0 (the default)", _FLOAT),
    "task": _spec("str", _choice(TASKS), "the data set and its encoder (snnlab.tasks)",
                  "'pi-mnist', 'mnist' (2-D maps, for convolutions) or 'nmnist'", _STR),
    "validation_samples": _spec("int", _whole(0), "last training samples held out for choosing settings (not "
                                "trained on); must leave a training set", "0, or e.g. 10000 of the 60,000", _INT),
    "distortion": _spec("tuple | None", _distortion, "mnist task: elastic distortion (alpha, sigma) in pixels of "
                        "every training presentation", "None, or e.g. (34.0, 4.0) with task='mnist'",
                        _optional_parser(_tuple_parser(_parse_float)),
                        rule="None, or (alpha >= 0, sigma > 0), finite, in pixels"),
    "train_events": _spec("int", _whole(1), "nmnist task: consecutive events per training presentation",
                          "e.g. 300 (the paper)", _INT),
    "threshold_reg": _spec("str", _choice(THRESHOLD_REGS), "threshold regularization: 'batch' = summed over a "
                           "batch, after it; 'event' = at every input event during the forward pass (the paper). "
                           "'event' with batch_size > 1 is allowed: the samples of a batch are then simulated one "
                           "after another, the thresholds carrying over from one to the next, and the weights are "
                           "still updated once per batch (the paper uses batch_size 1)",
                           "'batch' (the default) or 'event' (the paper, usually with batch_size=1)", _STR),
    "threshold_reg_conv": _spec("bool", _boolean, "also regularize the thresholds of convolutional layers "
                                "(section 2.3.2 within each position's maps; our extension; batch rule only)",
                                "False (the default) or True", _BOOL, rule="True or False"),
    "pool_threshold": _spec("float", _POSITIVE, "V_th of the pooling neurons (weights 1), section 3.2",
                            "e.g. 0.8 (the paper)", _FLOAT),
    "nmnist_train": _spec("str", _choice(NMNIST_TRAIN), "nmnist task: the training streams: 'real' recordings, "
                          "'emulated' (MNIST digits through the DVS emulator; validation = the last "
                          "validation_samples real recordings) or 'emulated+real'",
                          "'real' (the default) or 'emulated'", _STR),
    "eval_split": _spec("str", _choice(EVAL_SPLITS), "split of the test after each epoch ('validation' keeps the "
                        "test set unseen until the final test; needs validation_samples >= 1)",
                        "'test' (the default), or 'validation' with validation_samples >= 1", _STR),
}
"""The table: setting -> :class:`Spec` (type, rule, meaning, suggestion, check, parser)."""


# ----------------------------------------------------------------------------- public functions
def _known(name: str) -> Spec:
    if name not in FIELDS:
        close = difflib.get_close_matches(name, FIELDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(name, "not a setting of TrainConfig",
                          f"{hint}use one of: {', '.join(sorted(FIELDS))}")
    return FIELDS[name]


def check_field(name: str, value) -> None:
    """Check one setting on its own (ranges and types; not the rules tying settings together).

    Raises:
        ConfigError: ``name`` is not a setting, or ``value`` is not allowed for it.
    """
    spec = _known(name)
    problem = spec.check(value)
    if problem:
        raise ConfigError(name, f"{problem}, got {value!r}" + _type_note(value), f"use {spec.suggest}")


def _type_note(value) -> str:
    if isinstance(value, (str, list, bool, np.bool_)) or value is None:
        return f" (a {type(value).__name__})"
    return ""


def parse_value(name: str, text: str):
    """The value of ``--set name=text``: parsed as the setting's type, then checked alone.

    Numbers are numbers (``eta_w=abc`` is an error, not the string ``"abc"``), booleans are
    ``true``/``false``, ``None`` is ``None``/``none``; tuples are written ``(5.0,3.0)``, ``5.0,3.0`` or
    (one entry) ``5.0``; hidden layers ``(800,)``, ``800`` or ``20C5,P2,200``.

    Raises:
        ConfigError: unknown setting, text that is not of the setting's type, or a value out of range.
    """
    spec = _known(name)
    try:
        value = spec.parse(text)
    except ValueError as exc:
        raise ConfigError(name, f"{exc} (expected {spec.type}: {spec.rule})", f"use {spec.suggest}") from None
    check_field(name, value)
    return value


def _n_trained(hidden) -> tuple[int, list]:
    specs = [parse_layer(h) for h in hidden]
    return sum(1 for s in specs if s[0] != "pool") + 1, specs


def validate(cfg) -> None:
    """Check every setting of ``cfg`` (a TrainConfig) and the rules between them; nothing is loaded.

    Rules between settings: one ``kappa_hidden`` per trained hidden layer and one ``alpha`` per
    trained layer (pools are not trained); ``floor_mode`` as a tuple has one entry per layer;
    ``0 < sigma * |kappa| < 1`` in every WTA layer (kappa != 0); convolutions and pools only on map
    inputs (tasks mnist, nmnist) and kernels that fit; ``distortion`` only with task mnist;
    ``validation_samples`` leaves a training set; ``train_samples + validation_samples`` and
    ``test_samples`` within the data set.

    Raises:
        ConfigError: ``<field>: <what is wrong>; <what to use>`` for the first problem found.
        TypeError: ``cfg`` is not a dataclass.
    """
    if not dataclasses.is_dataclass(cfg) or isinstance(cfg, type):
        raise TypeError(f"validate needs a TrainConfig, got {type(cfg).__name__}")
    values = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    missing = sorted(set(values) - set(FIELDS))
    if missing:                            # a bug of snnlab, not of the config: show the traceback
        raise RuntimeError(f"TrainConfig setting(s) {missing} have no row in snnlab.config.FIELDS: add one "
                           "(type, rule, meaning, suggestion, check, parser) so that they are validated")
    for name, value in values.items():
        check_field(name, value)
    c = cfg
    n_trained, specs = _n_trained(c.hidden)
    # layer stack fits the task's input
    shape = INPUT_SHAPES[c.task]
    for token, spec in zip(c.hidden, specs):
        if spec[0] == "dense":
            shape = (spec[1],)
            continue
        name = f"{spec[1]}C{spec[2]}" if spec[0] == "conv" else f"P{spec[1]}"
        if len(shape) != 3:
            where = (f"task {c.task!r} has flat inputs" if shape == INPUT_SHAPES[c.task]
                     else "it comes after a dense layer")
            raise ConfigError("hidden", f"the layer {name} needs maps (C, H, W) as input, but {where}",
                              "use task='mnist' or 'nmnist' for convolutions, and put convolutions and pools "
                              "before the dense layers, e.g. (\"20C5\", \"P2\", 200)")
        size = spec[2] if spec[0] == "conv" else spec[1]
        if size > min(shape[1:]):
            raise ConfigError("hidden", f"the layer {name} needs at least {size}x{size} maps, but its input "
                              f"is {shape[1]}x{shape[2]}", "use a smaller kernel or pool, or fewer layers before it")
        shape = ((spec[1], shape[1] - spec[2] + 1, shape[2] - spec[2] + 1) if spec[0] == "conv"
                 else (shape[0], shape[1] // spec[1], shape[2] // spec[1]))
    if len(c.kappa_hidden) != n_trained - 1:
        raise ConfigError("kappa_hidden", f"has {len(c.kappa_hidden)} value(s), but hidden={c.hidden!r} has "
                          f"{n_trained - 1} trained layer(s) (pools do not count)",
                          f"give one kappa in [-1, 0] per trained hidden layer, e.g. {(-0.4,) * (n_trained - 1)!r}")
    if len(c.alpha) != n_trained:
        raise ConfigError("alpha", f"has {len(c.alpha)} value(s), but the network has {n_trained} trained "
                          f"layer(s): hidden={c.hidden!r} (pools do not count) and the output",
                          f"give one alpha > 0 per trained layer, e.g. {(5.0,) * (n_trained - 1) + (3.0,)!r}")
    if isinstance(c.floor_mode, tuple) and len(c.floor_mode) != len(c.hidden) + 1:
        raise ConfigError("floor_mode", f"has {len(c.floor_mode)} entries, but the network has "
                          f"{len(c.hidden) + 1} layers (pools included)",
                          f"give one mode, or a tuple with one entry per layer ({len(c.hidden) + 1})")
    kappas = [(f"kappa_hidden[{i}]", k) for i, k in enumerate(c.kappa_hidden)] + [("kappa_out", c.kappa_out)]
    for where, kappa in kappas:
        product = c.sigma * abs(kappa)
        if kappa != 0 and not product < 1:
            raise ConfigError("sigma", f"sigma * |{where}| = {c.sigma} * {abs(kappa)} = {product}, but Eq. 9 "
                              "divides by 1 - sigma |kappa| (division by zero)",
                              "use sigma < 1 (the paper: 0.5), or a weaker WTA (|kappa| < 1)")
    if c.threshold_reg_conv and c.threshold_reg != "batch":
        raise ConfigError("threshold_reg_conv", "regularizes conv thresholds with the batch rule, but "
                          f"threshold_reg = {c.threshold_reg!r}", "use threshold_reg='batch', or threshold_reg_conv=False")
    if c.distortion is not None and c.task != "mnist":
        raise ConfigError("distortion", f"elastic distortion is applied by the mnist task only, not {c.task!r}",
                          "use distortion=None, or task='mnist'")
    if c.nmnist_train != "real" and c.task != "nmnist":
        raise ConfigError("nmnist_train", f"{c.nmnist_train!r} is read by the nmnist task only, not {c.task!r}",
                          "use nmnist_train='real' (the default), or task='nmnist'")
    if c.eval_split == "validation" and c.validation_samples == 0:
        raise ConfigError("eval_split", "'validation' needs a validation split, but validation_samples = 0",
                          "use eval_split='test', or validation_samples >= 1 (e.g. 10000)")
    n_train, n_test = DATASET_SIZES["train"], DATASET_SIZES["test"]
    if c.train_samples is None and c.validation_samples >= n_train:
        raise ConfigError("validation_samples", f"{c.validation_samples} would hold out the whole training set "
                          f"({n_train} samples)", f"use fewer than {n_train}, e.g. 10000")
    held_out_of_train = c.task != "nmnist" or c.nmnist_train == "real"    # else validation is real, training emulated
    if c.train_samples is not None and c.train_samples + (c.validation_samples if held_out_of_train else 0) > n_train:
        raise ConfigError("train_samples", f"train_samples + validation_samples = {c.train_samples} + "
                          f"{c.validation_samples} is more than the {n_train} training samples",
                          f"use train_samples <= {n_train - c.validation_samples}, or None for all the rest")
    if c.test_samples is not None and c.test_samples > n_test:
        raise ConfigError("test_samples", f"{c.test_samples} is more than the {n_test} test samples",
                          f"use None (all {n_test}) or a smaller number")


def settings_table() -> str:
    """The table of :data:`FIELDS` as Markdown (setting, type, allowed values, meaning, suggestion)."""
    rows = ["| setting | type | allowed | meaning | use |", "|---|---|---|---|---|"]
    for name, s in FIELDS.items():
        cells = [s.type, s.rule.removeprefix("must be "), s.meaning, s.suggest]
        rows.append(f"| `{name}` | " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)
