"""Tasks: a dataset plus an encoder that turns its samples into input events.

    pi-mnist  MNIST digits, a fixed random pixel permutation, Poisson spikes (5 keps), flat 784 inputs
    mnist     MNIST digits as 1 x 28 x 28 maps, Poisson spikes, optional elastic distortion (training only)
    nmnist    N-MNIST event streams, 2 x 34 x 34 (off/on) inputs: training = K consecutive events from a
              random position, testing = the whole stream (section 3.3)

Every task has the splits "train", "validation" (the last ``validation`` training samples, held out
for choosing settings) and "test", and one method, :meth:`Task.encode`, that the trainer calls.
"""
from __future__ import annotations

import numpy as np

from .events import EventBatch, crop_events, dvs_to_channels, poisson_encode

TASKS = ("pi-mnist", "mnist", "nmnist")
SPLITS = ("train", "validation", "test", "emulated-test")
NMNIST_TRAIN = ("real", "emulated", "emulated+real")


def encode_batch(images, permutation, duration, rate, rng) -> EventBatch:
    """Poisson events for a batch of images after the fixed PI pixel permutation (``permutation=None``: none)."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    if permutation is not None:
        flat = flat[:, permutation]
    return EventBatch.from_list([poisson_encode(img, rate, duration, rng) for img in flat], duration=duration)


class Task:
    """A dataset with its encoder.

    Attributes:
        name: one of :data:`TASKS`.
        input_shape: (784,) for flat inputs, (C, H, W) for maps.
        n_classes: 10.
        inputs, labels: dict split -> samples (images or event streams) and integer labels.
    """
    name = "task"
    n_classes = 10

    def __init__(self, train, test, validation=0):
        (x_train, y_train), (x_test, y_test) = train, test
        n_train = len(y_train)
        if not (isinstance(validation, (int, np.integer)) and 0 <= validation < n_train):
            raise ValueError(f"validation must be a whole number of held-out training samples in 0..{n_train - 1}, "
                             f"got {validation!r}")
        cut = n_train - validation
        self.inputs = {"train": x_train[:cut], "validation": x_train[cut:], "test": x_test}
        self.labels = {"train": np.asarray(y_train[:cut]), "validation": np.asarray(y_train[cut:]),
                       "test": np.asarray(y_test)}
        for split, labels in self.labels.items():
            if isinstance(labels, LazySplit):
                continue
            if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes
                                or not np.issubdtype(labels.dtype, np.integer)):
                raise ValueError(f"{split} labels must be integers in [0, {self.n_classes}); "
                                 f"found {labels.min()}..{labels.max()} ({labels.dtype})")

    def size(self, split) -> int:
        self.ensure(split)
        return len(self.labels[split])

    def ensure(self, split):
        """Load a lazily defined split; a clear error for a split this task does not have."""
        check_split(split)
        if split not in self.labels:
            raise ValueError(f"the {self.name} task has no {split!r} split; it has {sorted(self.labels)}")
        if isinstance(self.labels[split], LazySplit):
            lazy = self.labels[split]
            self.inputs[split], self.labels[split] = lazy.load()

    def take(self, split, indices):
        """The samples ``indices`` of ``split`` (an array of images, or a list of event streams)."""
        self.ensure(split)
        data = self.inputs[split]
        return data[indices] if isinstance(data, np.ndarray) else [data[int(i)] for i in indices]

    def encode(self, split, indices, duration, rng, epoch=0) -> EventBatch:
        """Input events of the samples ``indices`` of ``split``."""
        return self.encode_inputs(self.take(split, indices), duration, rng, split == "train", epoch, indices)

    def encode_inputs(self, inputs, duration, rng, train, epoch=0, indices=None) -> EventBatch:
        """Input events of the given samples; ``train`` selects the training encoding (distortion, crops)."""
        raise NotImplementedError


def check_split(split):
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


class LazySplit:
    """A split loaded on first use (e.g. 10,000 emulated N-MNIST test streams)."""

    def __init__(self, load):
        self.load, self.data = load, None


class PIMNIST(Task):
    """Permutation-invariant MNIST (section 3.1): flat 784 inputs, pixels shuffled by a fixed permutation."""
    name = "pi-mnist"
    input_shape = (784,)

    def __init__(self, train, test, permutation, rate=5000.0, validation=0):
        super().__init__(train, test, validation)
        self.permutation, self.rate = permutation, rate

    def encode_inputs(self, inputs, duration, rng, train, epoch=0, indices=None) -> EventBatch:
        images = np.asarray(inputs)
        if images.ndim < 2 or int(np.prod(images.shape[1:])) != 784:
            raise ValueError(f"PI-MNIST task: images must be (B, 28, 28) or (B, 784), got {images.shape}")
        return encode_batch(images, self.permutation, duration, self.rate, rng)


class MNIST2D(Task):
    """MNIST as 1 x 28 x 28 maps for convolutions (section 3.2), optionally elastically distorted.

    Args:
        distortion: None, or (alpha, sigma) in pixels (Simard et al. 2003): every training presentation
            gets a new distortion, drawn from (seed, epoch, sample index), so resuming repeats it exactly.
    """
    name = "mnist"
    input_shape = (1, 28, 28)

    def __init__(self, train, test, rate=5000.0, validation=0, distortion=None, seed=0):
        super().__init__(train, test, validation)
        self.rate, self.seed = rate, seed
        if distortion is not None:
            alpha, sigma = distortion
            from .data.distortion import elastic_distort
            elastic_distort(np.zeros((28, 28)), alpha, sigma, np.random.default_rng(0))   # checks the values
        self.distortion = distortion

    def encode_inputs(self, inputs, duration, rng, train, epoch=0, indices=None) -> EventBatch:
        images = np.asarray(inputs, dtype=np.float64)
        if images.shape[1:] != (28, 28):
            raise ValueError(f"MNIST 2-D task: images must be (B, 28, 28), got {images.shape}")
        if self.distortion is not None and train:
            if indices is None:
                raise ValueError("elastic distortion needs the samples' indices (they seed the distortion)")
            from .data.distortion import distort_batch
            images = distort_batch(images, *self.distortion, seed=self.seed, epoch=epoch, indices=indices)
        return encode_batch(images, None, duration, self.rate, rng)


class NMNIST(Task):
    """N-MNIST streams as 2 x 34 x 34 inputs (channel = p * 34 * 34 + y * 34 + x; p = 0 off, 1 on).

    Args:
        train_events: K, consecutive events of a training presentation from a random start (paper: 300).
    """
    name = "nmnist"
    input_shape = (2, 34, 34)

    def __init__(self, train, test, train_events=300, validation=0, validation_data=None, emulated_test=None):
        super().__init__(train, test, validation if validation_data is None else 0)
        if validation_data is not None:            # e.g. real recordings held out from emulated training
            self.inputs["validation"], self.labels["validation"] = validation_data[0], np.asarray(validation_data[1])
        if emulated_test is not None:
            self.inputs["emulated-test"], self.labels["emulated-test"] = None, LazySplit(emulated_test)
        if not (isinstance(train_events, (int, np.integer)) and train_events >= 1):
            raise ValueError(f"train_events must be a whole number of events >= 1 (paper: 300), got {train_events!r}")
        self.train_events = int(train_events)

    def encode_inputs(self, inputs, duration, rng, train, epoch=0, indices=None) -> EventBatch:
        """Training: a crop of ``train_events`` events, shifted to start at 0; otherwise the full stream.
        ``duration`` is not used: a presentation lasts until its last event."""
        samples = []
        for i, dvs in enumerate(inputs):
            stream = dvs_to_channels(dvs)
            if stream.size == 0:
                raise ValueError(f"N-MNIST sample {i} of the batch has no events; remove it from the data set")
            if train:
                if stream.size < self.train_events:
                    raise ValueError(f"N-MNIST training sample {i} of the batch has {stream.size} events, fewer than "
                                     f"train_events={self.train_events}; use a smaller train_events")
                stream = crop_events(stream, self.train_events, rng)
            else:
                stream = stream.copy()
                stream["t"] -= stream["t"][0]
            samples.append(stream)
        return EventBatch.from_list(samples, duration=np.array([max(s["t"][-1], 1e-6) for s in samples]))


def make_task(cfg, permutation=None) -> Task:
    """The task of a :class:`~snnlab.train.TrainConfig` (``cfg.task``), with its data loaded."""
    if cfg.task in ("pi-mnist", "mnist"):
        from .data import load_mnist
        train, test = load_mnist("train"), load_mnist("test")
        train = _first(train, cfg.train_samples, cfg.validation_samples)
        test = _first(test, cfg.test_samples)
        if cfg.task == "pi-mnist":
            return PIMNIST(train, test, permutation, cfg.rate, cfg.validation_samples)
        return MNIST2D(train, test, cfg.rate, cfg.validation_samples, cfg.distortion, cfg.seed)
    if cfg.task == "nmnist":
        from .data import load_nmnist
        from .data.nmnist_emulated import emulated_nmnist
        if cfg.nmnist_train not in NMNIST_TRAIN:
            raise ValueError(f"nmnist_train must be one of {NMNIST_TRAIN}, got {cfg.nmnist_train!r}")
        real_train = _nmnist("train", load_nmnist)
        test = _first(_nmnist("test", load_nmnist), cfg.test_samples)
        emulated_test = lambda: emulated_nmnist("test", cfg.test_samples, seed=cfg.seed + 1)   # noqa: E731
        if cfg.nmnist_train == "real":
            train = _first(real_train, cfg.train_samples, cfg.validation_samples)
            return NMNIST(train, test, cfg.train_events, cfg.validation_samples, emulated_test=emulated_test)
        # emulated streams of the MNIST training digits; the validation set is real: the last
        # validation_samples real training recordings, which the training set then leaves out
        x_real, y_real = real_train
        cut = len(y_real) - cfg.validation_samples
        validation = (x_real[cut:], y_real[cut:])
        x, y = emulated_nmnist("train", cfg.train_samples, seed=cfg.seed, progress=True)
        if cfg.nmnist_train == "emulated+real":
            x, y = list(x) + list(x_real[:cut]), np.concatenate([y, y_real[:cut]])
        return NMNIST((x, y), test, cfg.train_events, validation_data=validation, emulated_test=emulated_test)
    raise ValueError(f"task must be one of {TASKS}, got {cfg.task!r}")


def _nmnist(split, load):
    data = load(split)
    if isinstance(data, tuple) and len(data) == 2:
        return data
    raise ValueError("load_nmnist returned an unexpected value; expected (streams, labels)")


def _first(data, n, extra=0):
    x, y = data
    if n is None:
        return x, y
    return x[:n + extra], y[:n + extra]
