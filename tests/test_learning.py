"""Each learning equation (Eqs. 5-16) checked numerically."""
import numpy as np
import pytest

from snnlab import learning as L
from snnlab.events import EventBatch, make_events
from snnlab.layers import DenseLayer, input_traces, output_traces
from snnlab.optim import SGD, Adam, make_optimizer
from snnlab.regularizers import (apply_threshold_floor, exponential_gradient, exponential_penalty, l2_gradient,
                                 max_norm, threshold_regularization)

SIGMA = 0.5


def numeric_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


@pytest.mark.parametrize("kappa", [-0.1, -0.4, -1.0])
@pytest.mark.parametrize("n", [1, 2, 6, 20])
def test_eq9_closed_form_equals_dense_inverse(kappa, n):
    rng = np.random.default_rng(n)
    v = rng.normal(size=(3, n))
    dense = v @ L.wta_matrix_inverse(n, kappa, SIGMA).T
    closed = L.wta_inverse_apply(v, np.ones((3, n), bool), kappa, SIGMA)
    np.testing.assert_allclose(closed, dense, rtol=1e-12, atol=1e-12)


def test_eq9_with_signed_kappa_would_break_at_n6():
    # with mu = kappa (signed) the denominator 1 + sigma mu (n - 1) is 0 for kappa=-0.4, sigma=0.5, n=6
    kappa, n = -0.4, 6
    assert 1 + SIGMA * kappa * (n - 1) == pytest.approx(0.0)
    assert np.all(np.isfinite(L.wta_matrix_inverse(n, kappa, SIGMA)))   # the true inverse exists


def test_wta_inverse_only_acts_on_carriers():
    v = np.array([[1.0, 2.0, 3.0, 4.0]])
    carriers = np.array([[True, False, True, False]])
    out = L.wta_inverse_apply(v, carriers, -0.4, SIGMA)
    dense = L.wta_matrix_inverse(2, -0.4, SIGMA) @ np.array([1.0, 3.0])
    np.testing.assert_allclose(out[0, [0, 2]], dense)
    assert out[0, 1] == 0 and out[0, 3] == 0


def test_wta_group_couples_only_its_members_and_false_skips_the_inverse():
    # output layer, silent neurons carry error: "active" couples only the neurons that fired,
    # a silent carrier gets g/g_bar * err uncoupled; False is Eq. 12 without the WTA term.
    err = np.array([[0.5, -0.2, 0.3, 0.1]])
    carriers = np.ones((1, 4), bool)
    fired = np.array([[True, False, True, False]])
    th = np.array([1.0, 2.0, 0.5, 1.0])
    g = 1 / th
    scale = g / np.sqrt((g ** 2).mean())
    coupled = L.wta_matrix_inverse(2, -1.0, SIGMA) @ err[0, [0, 2]]
    out = L.normalized_delta(err, carriers, th, -1.0, SIGMA, wta_group=fired)
    np.testing.assert_allclose(out[0, [0, 2]], scale[[0, 2]] * coupled)
    np.testing.assert_allclose(out[0, [1, 3]], scale[[1, 3]] * err[0, [1, 3]])
    np.testing.assert_allclose(L.normalized_delta(err, carriers, th, -1.0, SIGMA, wta_group=False), scale * err)
    everyone = L.normalized_delta(err, carriers, th, -1.0, SIGMA)
    np.testing.assert_allclose(everyone[0], scale * (L.wta_matrix_inverse(4, -1.0, SIGMA) @ err[0]))


def test_eq5_decomposition_equals_the_simulated_membrane():
    # positive weights and weak inhibition keep V above -V_th (no clipping), T_ref = 0 (no
    # refractoriness): then Eq. 5 with sigma = 1 is exact.
    rng = np.random.default_rng(1)
    N, M, tau, T = 5, 8, 0.02, 0.06
    W = rng.uniform(0.0, 0.5, (N, M))
    th = rng.uniform(0.6, 1.0, N)
    ev = make_events(np.sort(rng.uniform(0, 0.05, 120)), rng.integers(0, M, 120))
    layer = DenseLayer(W, th, tau, 0.0, kappa=-0.1)
    out = layer.forward(EventBatch.from_list([ev], duration=T))
    assert out.counts.sum() > 5
    x = input_traces(out, M, tau)
    a = output_traces(out, tau)
    v_sim = out.membrane[0] * np.exp(-(T - ev["t"][-1]) / tau)
    v_eq5 = L.membrane_decomposition(W, x[0], th, a[0], kappa=-0.1, sigma=1.0)
    np.testing.assert_allclose(v_eq5, v_sim, rtol=1e-10, atol=1e-12)


def test_eq6_transfer_function_solves_the_fixed_point():
    rng = np.random.default_rng(2)
    s, th = rng.uniform(0, 2, 7), rng.uniform(0.5, 1.5, 7)
    a = L.transfer_function(s, th, -0.4, SIGMA)
    np.testing.assert_allclose(a, s / th + SIGMA * -0.4 * (a.sum() - a))


@pytest.mark.parametrize("kappa", [0.0, -0.4, -1.0])
def test_eq7_eq8_derivatives_match_finite_differences(kappa):
    rng = np.random.default_rng(3)
    n, M = 4, 6
    W, x, th = rng.uniform(-1, 1, (n, M)), rng.uniform(0, 2, M), rng.uniform(0.5, 1.5, n)

    def a_of(W_, x_, th_):
        return L.transfer_function(W_ @ x_, th_, kappa, SIGMA)

    a = a_of(W, x, th)
    inv = L.wta_matrix_inverse(n, kappa, SIGMA)
    h = 1e-6
    i, k = 1, 2
    # Eq. 7, da/dw_ik = (I - sigma K)^-1 e_i * x_k / V_th,i  (x_k / V_th,i through neuron i itself)
    Wp, Wm = W.copy(), W.copy()
    Wp[i, k] += h
    Wm[i, k] -= h
    fd_w = (a_of(Wp, x, th) - a_of(Wm, x, th)) / (2 * h)
    np.testing.assert_allclose(fd_w, inv[:, i] * L.da_dw(th, x)[i, k], rtol=1e-6, atol=1e-10)
    # Eq. 7, da/dV_th,i = (I - sigma K)^-1 e_i * (-a_hat_i / V_th,i)
    tp, tm = th.copy(), th.copy()
    tp[i] += h
    tm[i] -= h
    fd_th = (a_of(W, x, tp) - a_of(W, x, tm)) / (2 * h)
    active = np.ones(n, bool)
    np.testing.assert_allclose(fd_th, inv[:, i] * L.da_dthreshold(th, a, active, kappa, SIGMA)[i],
                               rtol=1e-6, atol=1e-10)
    # Eqs. 8-9: da/dx
    fd_x = np.stack([numeric_grad(lambda xx: a_of(W, xx, th)[j], x) for j in range(n)])
    np.testing.assert_allclose(L.da_dx(W, th, kappa, SIGMA), fd_x, rtol=1e-6, atol=1e-9)


def test_threshold_update_sign_follows_the_chain_rule_not_the_printed_minus():
    # loss 0.5 ||a - y||^2 of the linearized transfer function; gradient descent on V_th
    rng = np.random.default_rng(4)
    n, M, kappa = 5, 7, -0.4
    W, x, th = rng.uniform(0, 1, (n, M)), rng.uniform(0, 1, M), rng.uniform(0.5, 1.5, n)
    y = rng.uniform(0, 2, n)

    def loss(th_):
        return 0.5 * ((L.transfer_function(W @ x, th_, kappa, SIGMA) - y) ** 2).sum()

    a = L.transfer_function(W @ x, th, kappa, SIGMA)
    carriers = np.ones((1, n), bool)
    delta = L.normalized_delta((a - y)[None], carriers, th, kappa, SIGMA) * np.sqrt(np.mean(1 / th ** 2))
    a_hat = L.effective_activity(a[None], carriers, kappa, SIGMA)
    # threshold_gradient includes the layer-balancing factor sqrt(N/(mM)) = sqrt(n/(M M)) here
    grad = L.threshold_gradient(delta, a_hat, np.ones((1, M), bool)) / np.sqrt(n / (M * M))
    np.testing.assert_allclose(grad, numeric_grad(loss, th), rtol=1e-5)
    # and the update -eta * grad is +eta * delta * a_hat: the paper's printed minus would climb the loss
    assert np.all(np.sign(-grad) == np.sign(delta[0] * a_hat[0]))


def test_weight_gradient_matches_finite_differences_of_the_linearized_loss():
    rng = np.random.default_rng(5)
    n, M, kappa = 4, 6, -0.4
    W, x, th = rng.uniform(0, 1, (n, M)), rng.uniform(0, 1, M), rng.uniform(0.5, 1.5, n)
    y = rng.uniform(0, 2, n)

    def loss(W_):
        return 0.5 * ((L.transfer_function(W_ @ x, th, kappa, SIGMA) - y) ** 2).sum()

    a = L.transfer_function(W @ x, th, kappa, SIGMA)
    carriers = np.ones((1, n), bool)
    delta = L.normalized_delta((a - y)[None], carriers, th, kappa, SIGMA) * np.sqrt(np.mean(1 / th ** 2))
    grad = L.weight_gradient(delta, x[None], np.ones((1, M), bool)) / np.sqrt(n / M)
    np.testing.assert_allclose(grad, numeric_grad(loss, W), rtol=1e-5)


def test_eq16_output_error():
    counts = np.array([[0, 2, 4, 0], [0, 0, 0, 0], [0, 0, 3, 0]])
    e, o = L.output_error(counts, np.array([1, 2, 2]))
    np.testing.assert_allclose(o[0], [0, 0.5, 1, 0])
    np.testing.assert_allclose(e[0], np.array([0, -0.5, 1, 0]) / np.sqrt(2))
    np.testing.assert_allclose(e[1], [0, 0, -1, 0])          # nothing fired: only the target errs
    np.testing.assert_allclose(e[2], 0)                      # perfect: no update


def test_output_error_margin_target_count():
    counts = np.array([[0, 2, 4, 0], [0, 0, 0, 0], [0, 0, 3, 0], [0, 1, 0, 0], [0, 0, 5, 0]])
    labels = np.array([1, 2, 2, 1, 2])
    e1, o1 = L.output_error(counts, labels)
    np.testing.assert_array_equal(L.output_error(counts, labels, target_count=1)[0], e1)   # 1 = Eq. 16
    e, o = L.output_error(counts, labels, target_count=4)
    np.testing.assert_allclose(e[0], e1[0])                  # max count 4 >= 4: as Eq. 16
    np.testing.assert_allclose(e[1], e1[1])                  # nothing fired: as Eq. 16
    np.testing.assert_allclose(o[2], [0, 0, 0.75, 0])        # target alone, 3 < 4 spikes: still errs
    np.testing.assert_allclose(e[2], [0, 0, -0.25, 0])
    np.testing.assert_allclose(e[3], [0, -0.75, 0, 0])
    np.testing.assert_allclose(e[4], 0)                      # 5 >= 4 spikes alone: no update
    for bad in (0, 2.5, -1):
        with pytest.raises(ValueError, match="target_count must be an integer >= 1"):
            L.output_error(counts, labels, target_count=bad)


def test_eq12_keeps_the_error_energy_near_one_through_three_hidden_layers():
    rng = np.random.default_rng(6)
    sizes = [784, 500, 400, 300, 10]
    Ws = [rng.uniform(-np.sqrt(3 / m), np.sqrt(3 / m), (n, m)) for m, n in zip(sizes[:-1], sizes[1:])]
    ths = [rng.uniform(0.5, 2.0, n) for n in sizes[1:]]      # unequal thresholds: g / g_bar matters
    B = 400
    energy = np.zeros(len(sizes) - 1)
    top = rng.normal(size=(B, 10))
    top /= np.linalg.norm(top, axis=1, keepdims=True)        # sum delta^2 = 1 at the output
    delta = top
    energy[-1] = (delta ** 2).sum(axis=1).mean()
    for l in range(len(sizes) - 2, 0, -1):
        active = rng.random((B, sizes[l])) < 0.3
        err = L.backprop_error(delta, Ws[l], active)
        delta = L.normalized_delta(err, active, ths[l - 1], 0.0)
        energy[l - 1] = (delta ** 2).sum(axis=1).mean()
    np.testing.assert_allclose(energy, 1.0, atol=0.1)


def test_eq13_weight_gradient_is_the_mean_of_per_sample_updates():
    rng = np.random.default_rng(7)
    B, N, M = 3, 4, 5
    delta, x = rng.normal(size=(B, N)), rng.random((B, M))
    x_active = rng.random((B, M)) < 0.6
    x = np.where(x_active, x, 0)
    expected = np.mean([np.sqrt(N / x_active[b].sum()) * np.outer(delta[b], x[b]) for b in range(B)], axis=0)
    np.testing.assert_allclose(L.weight_gradient(delta, x, x_active), expected)


def test_eq14_eq15_exponential_regularizer():
    rng = np.random.default_rng(8)
    W = rng.normal(scale=0.4, size=(3, 6))
    fd = numeric_grad(lambda w: exponential_penalty(w, 0.01).sum(), W)
    np.testing.assert_allclose(exponential_gradient(W, 0.01), fd, rtol=1e-5, atol=1e-7)
    # decays fast above the target norm, barely below; L2 is the same everywhere
    big, small = np.full((1, 4), 0.6), np.full((1, 4), 0.3)   # norms^2 1.44 and 0.36
    ratio_exp = np.abs(exponential_gradient(big, 0.01)).sum() / np.abs(exponential_gradient(small, 0.01)).sum()
    ratio_l2 = np.abs(l2_gradient(big, 0.01)).sum() / np.abs(l2_gradient(small, 0.01)).sum()
    assert ratio_exp > 100 * ratio_l2
    assert np.allclose((max_norm(big) ** 2).sum(), 1.0) and np.allclose(max_norm(small), small)


def test_threshold_regularization_equals_the_per_event_rule():
    rng = np.random.default_rng(9)
    N = 6
    layer = DenseLayer(rng.uniform(0, 1.2, (N, 3)), rng.uniform(0.5, 1.0, N), 0.02, 0.0005, kappa=-0.1)
    evs = [make_events(np.sort(rng.uniform(0, 0.05, 60)), rng.integers(0, 3, 60)) for _ in range(2)]
    out = layer.forward(EventBatch.from_list(evs, duration=0.05))
    rho = 1e-3
    expected = np.zeros(N)
    for b in range(2):                                       # the paper's rule, event by event
        for k in np.unique(out.spike_k[out.spike_b == b]):
            fired = out.spike_n[(out.spike_b == b) & (out.spike_k == k)]
            expected[fired] += rho * N
            expected -= rho * fired.size
    np.testing.assert_allclose(threshold_regularization(out.counts, rho), expected)


def test_threshold_floor_scales_weights_so_the_neuron_behaves_as_if_lower():
    rng = np.random.default_rng(10)
    W, th = rng.uniform(-0.2, 1.0, (3, 4)), np.array([1.0, 1.0, 1.0])
    wanted, floor = np.array([0.8, 0.4, 1.2]), 0.5
    W2, th2 = apply_threshold_floor(W, th, wanted, floor)
    np.testing.assert_allclose(th2, [0.8, 0.5, 1.2])
    np.testing.assert_allclose(W2[1], W[1] * 0.5 / 0.4)
    np.testing.assert_allclose(W2[[0, 2]], W[[0, 2]])
    ev = make_events(np.sort(rng.uniform(0, 0.05, 80)), rng.integers(0, 4, 80))
    batch = EventBatch.from_list([ev], duration=0.05)
    as_if = DenseLayer(W[1:2], [0.4], 0.02, 0.001).forward(batch)
    floored = DenseLayer(W2[1:2], [0.5], 0.02, 0.001).forward(batch)
    np.testing.assert_array_equal(as_if.counts, floored.counts)
    W3, _ = apply_threshold_floor(W, th, wanted, floor, mode="add")
    np.testing.assert_allclose(W3[1], W[1] + 0.1)
    W4, th4 = apply_threshold_floor(W, th, wanted, floor, mode="clip")
    np.testing.assert_array_equal(W4, W)
    np.testing.assert_allclose(th4, [0.8, 0.5, 1.2])
    with pytest.raises(ValueError, match="mode"):
        apply_threshold_floor(W, th, wanted, floor, mode="other")


def test_optimizers():
    p = np.array([1.0, -2.0])
    SGD([0.1]).step([p], [np.array([1.0, 1.0])])
    np.testing.assert_allclose(p, [0.9, -2.1])
    q = np.array([3.0, -1.0])
    opt = Adam([0.1])
    opt.step([q], [np.array([2.0, -0.5])])
    np.testing.assert_allclose(q, [2.9, -0.9], rtol=1e-6)     # first Adam step = lr * sign(g)
    for _ in range(500):
        opt.step([q], [2 * q])
    assert np.abs(q).max() < 1e-2
    state = opt.state_dict()
    opt2 = Adam([0.1])
    opt2.load_state_dict(state)
    assert opt2.t == opt.t
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("rmsprop", [0.1])


def test_exponential_shrink_is_the_gradient_step_for_small_steps_and_never_overshoots():
    from snnlab.regularizers import exponential_shrink
    rng = np.random.default_rng(11)
    W = rng.normal(scale=0.3, size=(4, 5))
    step = 1e-6
    np.testing.assert_allclose(exponential_shrink(W, step, 0.01), W - step * exponential_gradient(W, 0.01),
                               rtol=1e-9)
    huge = np.full((1, 5), 2.0)                               # sum w^2 = 20: Eq. 15 is astronomically stiff
    out = exponential_shrink(huge, 0.1, 0.01)
    assert np.all(out >= 0) and np.all(out < huge)           # shrinks, never flips sign
    assert np.all(np.isfinite(out))
    # backward Euler: the new row satisfies w_new = w - step * Eq. 15 at w_new ...
    np.testing.assert_allclose(out + 0.1 * exponential_gradient(out, 0.01), huge, rtol=1e-9)
    # ... so it lands just above the target norm instead of being wiped out (a dead neuron)
    assert 1.0 < (out ** 2).sum() < 2.0
    rows = np.array([[0.6, 0.8], [1.2, 1.6]])                 # sum w^2 = 1 and 4, the trainer's step
    out = exponential_shrink(rows, 0.064, 0.002)
    assert (out[0] ** 2).sum() > 0.99 and 1.0 < (out[1] ** 2).sum() < 2.0


def test_recenter_thresholds_restores_the_zero_sum_of_the_rule():
    from snnlab.regularizers import recenter_thresholds
    before = np.array([1.0, 1.0, 1.0, 1.0])
    counts = np.array([[3, 0, 0, 1]])
    wanted = before + threshold_regularization(counts, 0.05)  # zero-sum: [+0.4, -0.2, -0.2, 0]
    assert wanted.sum() == pytest.approx(before.sum())
    floor = np.full(4, 0.9)
    _, after_floor = apply_threshold_floor(np.ones((4, 2)), before, wanted, floor)
    assert after_floor.sum() > before.sum()                   # the floor added mass
    out = recenter_thresholds(before, after_floor, floor)
    assert out.sum() == pytest.approx(before.sum())
    assert np.all(out >= floor)
    # a free neuron close to the floor cannot take an equal share: the others take the rest
    before = np.array([1.0, 0.91, 2.0, 2.0])
    after = np.array([1.3, 0.91, 2.0, 2.0])                   # 0.3 too much, 3 neurons free
    out = recenter_thresholds(before, after, np.full(4, 0.9))
    assert out.sum() == pytest.approx(before.sum(), abs=1e-12)
    s = (1.3 + 2.0 + 2.0 + 0.9 - before.sum()) / 3            # what each of the three others gives
    np.testing.assert_allclose(out, [1.3 - s, 0.9, 2.0 - s, 2.0 - s])
    assert np.all(out >= 0.9)


def test_conv_threshold_regularization_is_the_layer_rule_within_each_position():
    from snnlab.regularizers import conv_threshold_regularization, threshold_regularization
    rng = np.random.default_rng(3)
    C, H, W = 4, 3, 2
    counts = rng.integers(0, 3, size=(5, C * H * W))
    got = conv_threshold_regularization(counts, 1e-3, (C, H, W)).reshape(C, H * W)
    for p in range(H * W):                       # position p: its C maps are one group
        members = counts.reshape(5, C, H * W)[:, :, p]
        assert np.allclose(got[:, p], threshold_regularization(members, 1e-3))
    assert np.allclose(got.sum(axis=0), 0.0)     # zero-sum at every position
