"""Batched layer == per-sample reference, exactly; traces = Eq. 4; network chaining."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from snnlab.events import EventBatch, make_events, poisson_encode
from snnlab.layers import DenseLayer, input_traces, output_traces
from snnlab.network import Network, init_dense
from snnlab.neuron import simulate_group


def reference_spikes(samples, W, th, tau, T_ref, kappa):
    out = []
    for s in samples:
        r = simulate_group(s, W, th, tau, T_ref, kappa)
        out.append((sorted((t, i) for i, ts in enumerate(r.spike_times) for t in ts), r.membrane))
    return out


def assert_same_as_reference(samples, W, th, tau=0.02, T_ref=0.001, kappa=0.0):
    layer = DenseLayer(W, th, tau, T_ref, kappa)
    out = layer.forward(EventBatch.from_list(samples, duration=0.05))
    got = out.spikes.to_list()
    for b, (spikes, membrane) in enumerate(reference_spikes(samples, W, th, tau, T_ref, kappa)):
        assert sorted(zip(got[b]["t"].tolist(), got[b]["ch"].tolist())) == spikes   # exact equality
        np.testing.assert_array_equal(out.membrane[b], membrane)
        assert out.counts[b].sum() == len(spikes)
    return out


@settings(max_examples=200, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1), n_neurons=st.integers(1, 7), n_inputs=st.integers(1, 6),
       kappa=st.sampled_from([0.0, -0.1, -0.4, -1.0]), T_ref=st.sampled_from([0.0, 0.0005, 0.002, 0.01]),
       time_grid=st.sampled_from([0.0, 1e-4, 1e-3]))
def test_batched_equals_reference_exactly(seed, n_neurons, n_inputs, kappa, T_ref, time_grid):
    rng = np.random.default_rng(seed)
    W = rng.uniform(-0.6, 1.3, (n_neurons, n_inputs))
    th = rng.uniform(0.4, 1.5, n_neurons)
    samples = []
    for _ in range(rng.integers(1, 6)):
        n = int(rng.integers(0, 50))                     # different lengths -> padding, even empty
        t = rng.uniform(0, 0.05, n)
        if time_grid:
            t = np.round(t / time_grid) * time_grid     # coincident events: refractory overlaps
        samples.append(make_events(t, rng.integers(0, n_inputs, n)))
    assert_same_as_reference(samples, W, th, 0.02, T_ref, kappa)


def test_several_neurons_cross_on_one_event_with_wta():
    # all 5 neurons cross on the first event; each is inhibited by the 4 others
    W = np.ones((5, 1)) * 1.2
    th = np.array([1.0, 1.1, 0.9, 1.05, 1.15])
    ev = make_events([0.0, 0.0002, 0.003], [0, 0, 0])
    out = assert_same_as_reference([ev], W, th, kappa=-0.3)
    assert out.counts[0].tolist() == [1, 1, 1, 1, 1] or out.counts[0].sum() >= 5
    first = out.spikes.to_list()[0]
    assert np.sum(first["t"] == 0.0) == 5


def test_padding_never_fires():
    # sample 0 ends its events with a membrane still above threshold after a reset
    W = np.array([[2.5]])
    s0 = make_events([0.0], [0])
    s1 = make_events(np.linspace(0, 0.01, 20), np.zeros(20, dtype=int))
    out = assert_same_as_reference([s0, s1], W, [1.0])
    assert out.counts[0, 0] == 1                   # V = 1.5 left over, but no more input events


def test_pi_mnist_sized_layer_equals_reference_on_real_like_input():
    rng = np.random.default_rng(3)
    img = rng.random(784) * (rng.random(784) < 0.2)
    samples = [poisson_encode(img, 5000, 0.02, rng=i) for i in range(3)]
    layer = init_dense(784, 12, alpha=1.0, rng=1, kappa=-0.4)
    out = assert_same_as_reference(samples, layer.weights, layer.threshold, kappa=-0.4)
    assert out.counts.sum() > 0


def test_traces_follow_eq4():
    tau = 0.02
    s = make_events([0.001, 0.004, 0.010], [0, 1, 0])
    layer = DenseLayer(np.array([[2.0, 0.0], [0.0, 0.1]]), [1.0, 1.0], tau, 0.0, 0.0)
    out = layer.forward(EventBatch.from_list([s], duration=0.05))
    x = input_traces(out, 2, tau)
    np.testing.assert_allclose(x[0], [math.exp((0.001 - 0.05) / tau) + math.exp((0.010 - 0.05) / tau),
                                      math.exp((0.004 - 0.05) / tau)], rtol=1e-13)
    a = output_traces(out, tau)                   # neuron 0 fired at 0.001 and 0.010
    np.testing.assert_allclose(a[0], [x[0, 0], 0.0], rtol=1e-13)
    xi = input_traces(out, 2, tau, readout="integral")
    np.testing.assert_allclose(xi[0, 1], (1 - math.exp((0.004 - 0.05) / tau)) * tau / 0.05, rtol=1e-13)
    # "count": every spike weighs tau/T, whenever it came; under a steady rate r the trace
    # settles at r * tau, and r * T spikes give r * tau again
    xc = input_traces(out, 2, tau, readout="count")
    np.testing.assert_allclose(xc[0], [2 * tau / 0.05, tau / 0.05], rtol=1e-13)
    with pytest.raises(ValueError, match="readout"):
        input_traces(out, 2, tau, readout="middle")


def test_network_chains_layers_and_predicts():
    rng = np.random.default_rng(0)
    img = rng.random(784)
    net = Network([init_dense(784, 50, alpha=2, rng=1, kappa=-0.4), init_dense(50, 10, alpha=1, rng=2, kappa=-1.0)])
    batch = EventBatch.from_list([poisson_encode(img, 5000, 0.05, rng=i) for i in range(4)], duration=0.05)
    outs = net.forward(batch)
    assert outs[1].inputs is outs[0].spikes
    pred, silent = net.predict(batch)
    assert pred.shape == (4,) and silent.shape == (4,)
    with pytest.raises(ValueError, match="do not chain"):
        Network([init_dense(784, 50), init_dense(40, 10)])


def test_layer_rejects_bad_input():
    with pytest.raises(ValueError, match="kappa"):
        DenseLayer(np.ones((2, 2)), [1, 1], kappa=0.3)
    with pytest.raises(ValueError, match="tau_mp"):
        DenseLayer(np.ones((2, 2)), [1, 1], tau_mp=0)
    with pytest.raises(ValueError, match="NaN"):
        DenseLayer(np.full((2, 2), np.inf), [1, 1])
    layer = DenseLayer(np.ones((2, 2)), [1, 1])
    with pytest.raises(ValueError, match="has channel 5, but the layer has 2 inputs"):
        layer.forward(EventBatch.from_list([make_events([0.0], [5])]))
    with pytest.raises(ValueError, match="at least one sample"):
        EventBatch.from_list([])
