"""The compiled kernels give exactly the numpy path's spikes; the sparse loop gives the reference's.

* numba dense == numpy ``forward_events`` (bit for bit: spike times, neurons, final membranes),
  also with per-event threshold regularization (thresholds and weights after the pass);
* numba sparse == numpy ``forward_sparse`` for convolution and pooling layers (bit for bit);
* the sparse loop (lazy leak) == the scalar reference ``simulate_group`` run on the layer's
  equivalent dense weight matrix (same spikes; membranes equal to rounding);
* the per-event threshold rule at batch size 1 == a scalar loop written from section 2.3.2.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from snnlab.events import EventBatch, make_events
from snnlab.layers import Conv2d, DenseLayer, SumPool, check_batch, forward_sparse, init_conv
from snnlab.neuron import dynamic_weight, leak, simulate_group
from snnlab.regularizers import EventThresholdRule




def random_samples(rng, n_inputs, max_events=60, n_samples=None, grid=(0.0, 1e-4, 1e-3), duration=0.05):
    samples = []
    g = grid[rng.integers(len(grid))]
    for _ in range(n_samples or int(rng.integers(1, 5))):
        n = int(rng.integers(0, max_events))
        t = rng.uniform(0, duration, n)
        if g:
            t = np.round(t / g) * g                 # coincident events
        samples.append(make_events(t, rng.integers(0, n_inputs, n)))
    return EventBatch.from_list(samples, duration=duration)


def assert_outputs_identical(a, b):
    assert np.array_equal(a.counts, b.counts)
    assert np.array_equal(a.spike_b, b.spike_b) and np.array_equal(a.spike_k, b.spike_k)
    assert np.array_equal(a.spike_n, b.spike_n)
    assert np.array_equal(a.spikes.t, b.spikes.t) and np.array_equal(a.spikes.ch, b.spikes.ch)
    assert np.array_equal(a.membrane, b.membrane)                      # bit for bit


def dense_equivalent(layer):
    """(N, M) weight matrix of any layer, from its connections."""
    ptr, target, widx = layer.connections()
    W = np.zeros((layer.n_out, layer.n_in))
    source = np.repeat(np.arange(layer.n_in), np.diff(ptr))
    W[target, source] = layer.weight_values()[widx]
    return W


# ---------------------------------------------------------------- dense: numba == numpy
@settings(max_examples=150, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1), n_neurons=st.integers(1, 9), n_inputs=st.integers(1, 7),
       kappa=st.sampled_from([0.0, -0.1, -0.4, -1.0]), T_ref=st.sampled_from([0.0, 0.0005, 0.002, 0.01]))
def test_dense_kernel_equals_numpy_exactly(seed, n_neurons, n_inputs, kappa, T_ref):
    rng = np.random.default_rng(seed)
    layer = DenseLayer(rng.uniform(-0.6, 1.3, (n_neurons, n_inputs)), rng.uniform(0.4, 1.5, n_neurons),
                       0.02, T_ref, kappa)
    batch = random_samples(rng, n_inputs)
    assert_outputs_identical(layer.forward(batch), layer.forward(batch, backend="numba"))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1), n_neurons=st.integers(1, 8), kappa=st.sampled_from([0.0, -0.4]),
       mode=st.sampled_from(["add", "scale", "clip"]), rho=st.sampled_from([1e-3, 2e-2]))
def test_dense_kernel_with_per_event_threshold_rule_equals_numpy(seed, n_neurons, kappa, mode, rho):
    rng = np.random.default_rng(seed)
    W = rng.uniform(-0.3, 1.2, (n_neurons, 5))
    th = rng.uniform(0.4, 1.2, n_neurons)
    batch = random_samples(rng, 5, max_events=80)
    results = []
    for backend in ("numpy", "numba"):
        layer = DenseLayer(W, th, 0.02, 0.001, kappa)
        rule = EventThresholdRule(rho, 0.8 * th, mode)           # a high floor: the floor is reached
        out = layer.forward(batch, backend=backend, threshold_rule=rule)
        results.append((out, layer.threshold.copy(), layer.weights.copy()))
    (a, th_a, w_a), (b, th_b, w_b) = results
    assert_outputs_identical(a, b)
    assert np.array_equal(th_a, th_b) and np.array_equal(w_a, w_b)


def scalar_rule_reference(events, W, th, tau, T_ref, kappa, rho, floor, mode):
    """Section 2.3.2 written as plain loops over one sample: simulate_group plus the per-event rule."""
    W, th = W.copy(), th.copy()
    N = th.size
    V = np.zeros(N)
    t_out = np.full(N, -np.inf)
    t_prev = 0.0
    spikes = []
    for t, k in zip(events["t"], events["ch"]):
        fired = []
        for i in range(N):
            V[i] = leak(V[i], t - t_prev, tau)
            V[i] += dynamic_weight(t, t_out[i], T_ref) * W[i, k]
            if V[i] >= th[i]:
                V[i] -= th[i]
                t_out[i] = t
                fired.append(i)
                spikes.append((float(t), i))
        if kappa and fired:
            for i in range(N):
                V[i] += kappa * th[i] * (len(fired) - (i in fired))
                t_out[i] = t
        for i in range(N):
            V[i] = max(V[i], -th[i])
        t_prev = t
        if fired:                                   # the rule: fired rise by rho N, all fall by rho N_w
            for i in fired:
                th[i] += rho * N
            for i in range(N):
                th[i] -= rho * len(fired)
                if th[i] < floor[i]:
                    if mode == "add":
                        W[i] += floor[i] - th[i]
                    th[i] = floor[i]
    return sorted(spikes), V, th, W


@pytest.mark.parametrize("mode", ["add", "clip"])
@pytest.mark.parametrize("seed", range(6))
def test_per_event_threshold_rule_at_batch_one_matches_a_scalar_loop(seed, mode):
    rng = np.random.default_rng(seed)
    N, M = 6, 4
    W = rng.uniform(0.0, 1.0, (N, M))
    th = rng.uniform(0.5, 1.0, N)
    ev = make_events(rng.uniform(0, 0.05, 120), rng.integers(0, M, 120))
    spikes, V, th_ref, W_ref = scalar_rule_reference(ev, W, th, 0.02, 0.001, -0.4, 0.01, 0.7 * th, mode)
    for backend in ("numpy", "numba"):
        layer = DenseLayer(W, th, 0.02, 0.001, -0.4)
        out = layer.forward(EventBatch.from_list([ev], duration=0.05), backend=backend,
                            threshold_rule=EventThresholdRule(0.01, 0.7 * th, mode))
        got = sorted(zip(out.spikes.to_list()[0]["t"].tolist(), out.spikes.to_list()[0]["ch"].tolist()))
        assert got == spikes
        assert out.counts.sum() > 5                                 # the rule had something to act on
        np.testing.assert_allclose(out.membrane[0], V, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.threshold, th_ref, rtol=1e-12)
        np.testing.assert_allclose(layer.weights, W_ref, rtol=1e-12)
    assert not np.array_equal(th_ref, th)                           # thresholds did move


# ---------------------------------------------------------------- conv and pool
def random_conv(rng, kappa=None, w_max=1.0):
    C_in = int(rng.integers(1, 3))
    H, W = int(rng.integers(3, 8)), int(rng.integers(3, 8))
    k = int(rng.integers(1, min(H, W) + 1))
    C_out = int(rng.integers(1, 4))
    weights = rng.uniform(-0.4, w_max, (C_out, C_in, k, k))
    n_out = C_out * (H - k + 1) * (W - k + 1)
    kappa = float(rng.choice([0.0, -0.3, -1.0])) if kappa is None else kappa
    return Conv2d(weights, rng.uniform(0.5, 1.5, n_out), (C_in, H, W), 0.02,
                  float(rng.choice([0.0, 0.001, 0.005])), kappa)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1))
def test_conv_kernel_equals_numpy_and_the_scalar_reference(seed):
    rng = np.random.default_rng(seed)
    # weights below every threshold (0.5): no neuron is still above threshold after its reset.  (If
    # one is, the reference fires it again at the layer's next input event, the sparse loop at the
    # next event that reaches it: the one documented difference, docs/engine.md.)
    layer = random_conv(rng, w_max=0.49 if seed % 2 else 1.0)
    batch = random_samples(rng, layer.n_in, max_events=80)
    a = layer.forward(batch)
    assert_outputs_identical(a, layer.forward(batch, backend="numba"))
    W = dense_equivalent(layer)
    if layer.kappa == 0 and seed % 2:  # the reference has one WTA group: compare without WTA here
        for b, ev in enumerate(batch.to_list()):
            r = simulate_group(ev, W, layer.threshold, layer.tau_mp, layer.T_ref, 0.0)
            ref = sorted((t, i) for i, ts in enumerate(r.spike_times) for t in ts)
            got = a.spikes.to_list()[b]
            assert sorted(zip(got["t"].tolist(), got["ch"].tolist())) == ref
            np.testing.assert_allclose(a.membrane[b], r.membrane, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1))
def test_conv_wta_at_one_position_equals_the_reference_group(seed):
    # a k = H = W convolution has one output position: its C_out neurons are one WTA group
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 4))
    C_out, C_in = int(rng.integers(2, 6)), int(rng.integers(1, 3))
    layer = Conv2d(rng.uniform(-0.3, 0.49, (C_out, C_in, k, k)), rng.uniform(0.5, 1.5, C_out), (C_in, k, k),
                   0.02, 0.002, -0.4)
    batch = random_samples(rng, layer.n_in, max_events=60)
    a = layer.forward(batch)
    for b, ev in enumerate(batch.to_list()):
        r = simulate_group(ev, dense_equivalent(layer), layer.threshold, 0.02, 0.002, -0.4)
        ref = sorted((t, i) for i, ts in enumerate(r.spike_times) for t in ts)
        got = a.spikes.to_list()[b]
        assert sorted(zip(got["t"].tolist(), got["ch"].tolist())) == ref
        np.testing.assert_allclose(a.membrane[b], r.membrane, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1), T_ref=st.sampled_from([0.0, 0.001, 0.01]))
def test_pool_kernel_equals_numpy(seed, T_ref):
    rng = np.random.default_rng(seed)
    C, p = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    H, W = p * int(rng.integers(1, 4)), p * int(rng.integers(1, 4))
    pool = SumPool((C, H, W), p, 0.8, 0.02, T_ref)
    batch = random_samples(rng, pool.n_in, max_events=80, grid=(1e-3, 1e-4))
    a = pool.forward(batch)
    assert_outputs_identical(a, pool.forward(batch, backend="numba"))
    assert a.counts.sum() <= batch.n.sum()          # a pooling neuron never fires more than its inputs


def test_pool_with_no_refractory_fires_once_per_input_spike_and_refractoriness_drops_some():
    pool = SumPool((1, 2, 2), 2, 0.8, 0.02, 0.0)
    ev = make_events([0.0, 0.0001, 0.0002, 0.0003], [0, 1, 2, 3])   # 4 spikes 0.1 ms apart into one pool
    out = pool.forward(EventBatch.from_list([ev], duration=0.01))
    assert out.counts.tolist() == [[4]]                             # exact sum pooling without T_ref
    slow = SumPool((1, 2, 2), 2, 0.8, 0.02, 0.001)
    out = slow.forward(EventBatch.from_list([ev], duration=0.01))
    assert out.counts[0, 0] < 4                                     # w_dyn < 1 within T_ref: not exact


# ---------------------------------------------------------------- backward of conv and pool
def test_conv_backward_is_the_dense_equivalent_transposed_and_the_shared_gradient():
    rng = np.random.default_rng(1)
    layer = init_conv((2, 7, 6), 3, 3, alpha=3, rng=rng)
    W = dense_equivalent(layer)
    delta = rng.normal(size=(2, layer.n_out))
    np.testing.assert_allclose(layer.propagate_back(delta), delta @ W, rtol=1e-12, atol=1e-12)
    x = rng.uniform(size=(2, layer.n_in))
    active = x > 0.3
    g = layer.weight_gradient(delta, x, active)
    # dense gradient of every connection, summed over the connections that share a kernel weight
    ptr, target, widx = layer.connections()
    source = np.repeat(np.arange(layer.n_in), np.diff(ptr))
    N = layer.n_out
    scale = np.sqrt(N / active.sum(axis=1))
    per_conn = ((scale[:, None] * delta)[:, target] * x[:, source]).mean(axis=0)
    expected = np.bincount(widx, weights=per_conn, minlength=layer.weights.size).reshape(layer.weights.shape)
    np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-12)


def test_pool_backward_routes_the_error_to_the_inputs_it_pools():
    pool = SumPool((2, 4, 4), 2)
    delta = np.arange(8, dtype=float)[None, :]
    np.testing.assert_array_equal(pool.propagate_back(delta), delta @ dense_equivalent(pool))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_batched_and_compiled_paths_refuse_what_the_reference_refuses(backend):
    layer = DenseLayer(np.ones((2, 3)), [1.0, 1.0])
    good = EventBatch.from_list([make_events([0.0, 0.01], [0, 1])], duration=0.05)
    cases = {
        "sorted": EventBatch(t=np.array([[0.02, 0.01]]), ch=np.array([[0, 1]], np.int32), n=np.array([2]),
                             duration=np.array([0.05])),
        "finite": EventBatch(t=np.array([[0.0, np.nan]]), ch=np.array([[0, 1]], np.int32), n=np.array([2]),
                             duration=np.array([0.05])),
        "channel 3": EventBatch(t=good.t, ch=np.array([[0, 3]], np.int32), n=good.n, duration=good.duration),
        "padding": EventBatch(t=good.t, ch=np.array([[-1, 1]], np.int32), n=good.n, duration=good.duration),
    }
    for what, batch in cases.items():
        with pytest.raises(ValueError, match=what.split()[0]):
            layer.forward(batch, backend=backend)
    conv = init_conv((1, 4, 4), 2, 3, rng=0)
    with pytest.raises(ValueError, match="sorted"):
        conv.forward(EventBatch(t=np.array([[0.02, 0.01]]), ch=np.array([[0, 1]], np.int32), n=np.array([2]),
                                duration=np.array([0.05])), backend=backend)


def test_layer_specs_are_validated_with_the_field_named():
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the input 4x4"):
        init_conv((1, 4, 4), 2, 5)
    with pytest.raises(ValueError, match="maps must be"):
        init_conv((1, 8, 8), 0, 3)
    with pytest.raises(ValueError, match="does not divide"):
        SumPool((2, 5, 5), 2)
    with pytest.raises(ValueError, match="chain"):
        Conv2d(np.zeros((2, 3, 3, 3)), np.ones(2 * 4), (1, 4, 4))
    from snnlab.network import build_layers, parse_layer
    with pytest.raises(ValueError, match="notation"):
        parse_layer("20X5")
    with pytest.raises(ValueError, match="pooling needs maps"):
        build_layers((784,), ("P2",), 10, (-1.0,), (3.0,), 0)
    with pytest.raises(ValueError, match="one kappa and one alpha per trained layer"):
        build_layers((1, 28, 28), ("20C5", "P2"), 10, (0.0,), (3.0,), 0)
    check_batch(EventBatch.from_list([make_events([], [])], duration=0.05), 3)   # an empty sample is fine


def test_the_papers_cnn_builds_with_the_right_shapes():
    from snnlab.network import build_layers
    net = build_layers((1, 28, 28), ("20C5", "P2", "50C5", "P2", 200), 10, (0.0, 0.0, -0.4, -1.0),
                       (3.0, 3.0, 3.0, 3.0), 0)
    assert net.sizes == [784, 20 * 24 * 24, 20 * 12 * 12, 50 * 8 * 8, 50 * 4 * 4, 200, 10]
    assert [layer.kind for layer in net.layers] == ["conv", "pool", "conv", "pool", "dense", "dense"]
    assert net.layers[0].fan_out().max() == 5 * 5 * 20          # one input spike reaches k*k*C_out neurons
    assert net.layers[1].fan_out().max() == 1


# ---------------------------------------------------------------- whole training runs
@pytest.mark.parametrize("preset, changes", [
    ("tiny", {}),
    ("tiny", {"batch_size": 1, "threshold_reg": "event", "rho": 4e-5, "recenter_thresholds": False,
              "train_samples": 96}),
    ("tiny", {"batch_size": 1, "threshold_reg": "event", "rho": 1e-3, "recenter_thresholds": True,
              "train_samples": 64}),
    ("tiny-cnn", {}),
])
def test_training_with_the_compiled_backend_is_the_numpy_run_bit_for_bit(data_root, monkeypatch, preset, changes):
    from snnlab.train import PRESETS, Trainer
    monkeypatch.setenv("SNNLAB_DATA", str(data_root))
    cfg = PRESETS[preset].replace(epochs=1, **changes)
    runs = [Trainer(cfg, progress=False, backend=b) for b in ("numpy", "numba")]
    hist = [tr.fit() for tr in runs]
    assert hist[0][-1]["train_accuracy"] == hist[1][-1]["train_accuracy"]
    assert hist[0][-1]["test_accuracy"] == hist[1][-1]["test_accuracy"]
    for a, b in zip(runs[0].trained_layers(), runs[1].trained_layers()):
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.threshold, b.threshold)
    if changes.get("threshold_reg") == "event":
        floors = runs[0].floors[0]
        assert np.all(runs[0].net.layers[0].threshold >= floors)


def test_nmnist_task_crops_training_streams_and_tests_on_full_ones(data_root, monkeypatch):
    from snnlab.tasks import NMNIST
    from snnlab.data import load_nmnist
    monkeypatch.setenv("SNNLAB_DATA", str(data_root))
    streams, labels = load_nmnist("train", limit=20)
    task = NMNIST((streams[:16], labels[:16]), (streams[16:], labels[16:]), train_events=300)
    train = task.encode("train", np.arange(4), None, np.random.default_rng(0))
    assert train.n.tolist() == [300] * 4 and np.all(train.t[:, 0] == 0)
    assert train.ch.max() < 2 * 34 * 34
    test = task.encode("test", np.arange(4), None, np.random.default_rng(0))
    assert test.n.tolist() == [s.size for s in streams[16:]]
    np.testing.assert_allclose(test.duration, [s["t"][-1] - s["t"][0] for s in streams[16:]])
    short = NMNIST((streams[:4], labels[:4]), (streams[4:6], labels[4:6]), train_events=10**6)
    with pytest.raises(ValueError, match="fewer than train_events"):
        short.encode("train", np.arange(1), None, np.random.default_rng(0))


def test_sparse_sgd_at_batch_one_is_the_dense_update_bit_for_bit(data_root, monkeypatch):
    """At batch 1 SGD updates only active inputs x neurons with error (optim.SparseGradient): the same weights."""
    import snnlab.train as train_module
    from snnlab.train import PRESETS, Trainer
    monkeypatch.setenv("SNNLAB_DATA", str(data_root))
    cfg = PRESETS["tiny"].replace(batch_size=1, train_samples=64, epochs=1, threshold_reg="event", rho=4e-5,
                                  recenter_thresholds=False)
    sparse = Trainer(cfg, progress=False, backend="numba")
    sparse.fit()
    real = train_module.network_gradients
    monkeypatch.setattr(train_module, "network_gradients", lambda *a, **k: real(*a, **{**k, "sparse": False}))
    dense = Trainer(cfg, progress=False, backend="numba")
    dense.fit()
    for a, b in zip(sparse.trained_layers(), dense.trained_layers()):
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.threshold, b.threshold)


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (784, 800), (801, 10), (2312, 17)])
def test_squared_norms_and_the_row_scaling_are_the_same_bits_compiled_and_in_numpy(shape):
    from snnlab import kernels
    from snnlab.regularizers import squared_norms_by_input
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    w = rng.normal(0, 0.1, shape) * rng.lognormal(0, 2, shape)   # wide dynamic range: order matters
    sequential = np.zeros(shape[1])
    for row in w:                                  # the documented order: inputs 0, 1, ... one after another
        sequential += row * row
    assert np.array_equal(squared_norms_by_input(w), sequential)
    assert np.array_equal(kernels.squared_norms_by_input(w), sequential)
    factor = rng.uniform(0.5, 1.0, shape[1])
    a, b = w.copy(), w.copy()
    a *= factor
    kernels.scale_neurons(b, factor)
    assert np.array_equal(a, b)
    if min(shape) > 1:
        with pytest.raises(ValueError, match="C-contiguous"):
            kernels.scale_neurons(w.T, factor[:1].repeat(shape[0]))


@pytest.mark.parametrize("recenter", [False, True])
def test_recentering_gives_back_the_floor_mass_of_the_per_event_rule(data_root, monkeypatch, recenter):
    """With the per-event rule the floor ratchets the mean threshold up (neurons held at the floor
    skip their share of the decrease); recenter_thresholds=True gives that mass back after each sample."""
    from snnlab.train import PRESETS, Trainer
    monkeypatch.setenv("SNNLAB_DATA", str(data_root))
    cfg = PRESETS["tiny"].replace(batch_size=1, threshold_reg="event", rho=1e-3, eta_w=1e-12, lam=0.0, floor_fraction=0.95, floor_mode="clip",
                                  train_samples=48, recenter_thresholds=recenter, epochs=1)
    tr = Trainer(cfg, progress=False, backend="numba")
    start = tr.net.layers[0].threshold.copy()
    tr.fit()
    th = tr.net.layers[0].threshold
    if recenter:
        assert abs(th.mean() - start.mean()) < 1e-9
    else:
        assert th.mean() > start.mean() + 1e-3
