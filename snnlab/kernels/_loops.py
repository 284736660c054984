"""The numba loops behind :mod:`snnlab.kernels`.  Each line mirrors a line of the numpy path:
the order of every floating-point operation is the same, so the results are bit for bit equal."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _record(sb, sk, sn, count, b, k, i):
    if count == sb.size:                       # grow the spike buffers
        nb, nk, nn = np.empty(2 * count, np.int64), np.empty(2 * count, np.int64), np.empty(2 * count, np.int64)
        nb[:count], nk[:count], nn[:count] = sb, sk, sn
        sb, sk, sn = nb, nk, nn
    sb[count], sk[count], sn[count] = b, k, i
    return sb, sk, sn, count + 1


@njit(cache=True)
def dense_loop(rows, threshold, t, ch, n, decay, T_ref, kappa, rule_on, rho, floor, mode, max_scale):
    """:func:`snnlab.layers.dense.forward_events`, sample after sample.

    ``rows`` is the layer's (M, N) ``weights_by_input``: row j is what a spike on input j adds.
    """
    B = t.shape[0]
    M, N = rows.shape
    membrane = np.zeros((B, N))
    sb, sk, sn = np.empty(1024, np.int64), np.empty(1024, np.int64), np.empty(1024, np.int64)
    count = 0
    fired = np.empty(N, np.int64)
    mark = np.zeros(N, np.int64)
    t_out = np.empty(N)
    for b in range(B):
        V = membrane[b]
        t_out[:] = -np.inf
        t_out_group = -np.inf                  # with WTA every spike resets the whole layer's t_out
        last_refractory = -np.inf              # latest t_out of any neuron (as in forward_events)
        for k in range(n[b]):
            tk = t[b, k]
            d = decay[b, k]
            w = rows[ch[b, k]]
            # Eq. 1 leak and integrate, Eq. 2 dynamic weight, and "does any neuron fire?" (Eq. 3) in
            # one loop the compiler vectorizes; the clip at -V_th is done on the way (a neuron that
            # fires is above it, and clipping again after WTA changes nothing)
            n_over = 0                                            # neurons at or above threshold
            if T_ref > 0.0 and tk - last_refractory < T_ref:
                if kappa != 0.0:
                    r = (tk - t_out_group) / T_ref
                    f = min(r * r, 1.0)
                    for i in range(N):
                        v = V[i] * d + w[i] * f
                        n_over += v >= threshold[i]
                        V[i] = max(v, -threshold[i])
                else:
                    for i in range(N):
                        r = (tk - t_out[i]) / T_ref
                        v = V[i] * d + w[i] * min(r * r, 1.0)
                        n_over += v >= threshold[i]
                        V[i] = max(v, -threshold[i])
            else:
                for i in range(N):
                    v = V[i] * d + w[i]
                    n_over += v >= threshold[i]
                    V[i] = max(v, -threshold[i])
            if n_over == 0:
                continue
            nf = 0
            for i in range(N):                                    # Eq. 3, fire and reset
                if V[i] >= threshold[i]:
                    V[i] = V[i] - threshold[i]
                    fired[nf] = i
                    nf += 1
                    t_out[i] = tk
            last_refractory = tk
            if kappa != 0.0:                                      # WTA, section 2.1.2
                for q in range(nf):
                    mark[fired[q]] = 1
                for i in range(N):
                    V[i] = max(V[i] + (kappa * threshold[i]) * (nf - mark[i]), -threshold[i])
                for q in range(nf):
                    mark[fired[q]] = 0
                t_out_group = tk
            for q in range(nf):
                sb, sk, sn, count = _record(sb, sk, sn, count, b, k, fired[q])
            if rule_on:                                           # section 2.3.2, per event
                rise = rho * N
                for q in range(nf):
                    threshold[fired[q]] += rise
                fall = rho * nf
                for i in range(N):
                    threshold[i] -= fall
                for i in range(N):
                    if threshold[i] < floor[i]:
                        wanted = threshold[i]
                        if mode == 1:                             # "add"
                            step = floor[i] - wanted
                            for c in range(M):
                                rows[c, i] += step
                        elif mode == 2:                           # "scale"
                            factor = min(floor[i] / max(wanted, floor[i] / max_scale), max_scale)
                            for c in range(M):
                                rows[c, i] *= factor
                        threshold[i] = floor[i]
    return membrane, sb[:count], sk[:count], sn[:count]


@njit(cache=True)
def sparse_loop(ptr, target, weight_index, weights, group_ptr, members, group_of, threshold,
                t, ch, n, E, T_ref, kappa):
    """:func:`snnlab.layers.sparse.forward_sparse`: only the reached neurons, lazy leak E_now / E_last."""
    B = t.shape[0]
    N = threshold.size
    n_groups = group_ptr.size - 1
    membrane = np.zeros((B, N))
    sb, sk, sn = np.empty(1024, np.int64), np.empty(1024, np.int64), np.empty(1024, np.int64)
    count = 0
    max_fan = 0
    for j in range(ptr.size - 1):
        max_fan = max(max_fan, ptr[j + 1] - ptr[j])
    fired = np.empty(max(max_fan, 1), np.int64)
    mark = np.zeros(N, np.int64)
    group_count = np.zeros(max(n_groups, 1), np.int64)
    groups_hit = np.empty(max(n_groups, 1), np.int64)
    E_last = np.empty(N)
    t_out = np.empty(N)
    for b in range(B):
        V = membrane[b]
        E_last[:] = 1.0
        t_out[:] = -np.inf
        for k in range(n[b]):
            tk = t[b, k]
            j = ch[b, k]
            E_now = E[b, k]
            nf = 0
            for q in range(ptr[j], ptr[j + 1]):
                i = target[q]
                w = weights[weight_index[q]]
                v = V[i] * (E_now / E_last[i])                    # Eq. 1, leak (lazy)
                E_last[i] = E_now
                if T_ref > 0.0:                                   # Eq. 2
                    r = (tk - t_out[i]) / T_ref
                    f = r * r
                    if f < 1.0:
                        w = w * f
                v = v + w                                         # Eq. 1, integrate
                if v >= threshold[i]:                             # Eq. 3, fire and reset
                    v = v - threshold[i]
                    fired[nf] = i
                    nf += 1
                    t_out[i] = tk
                V[i] = v
            if nf > 1:
                fired[:nf].sort()                                 # spikes in neuron order, as collect() sorts them
            if kappa != 0.0 and nf > 0:                           # WTA within each group
                ng = 0
                for q in range(nf):
                    g = group_of[fired[q]]
                    mark[fired[q]] = 1
                    if g >= 0:
                        if group_count[g] == 0:
                            groups_hit[ng] = g
                            ng += 1
                        group_count[g] += 1
                for a in range(ng):
                    g = groups_hit[a]
                    c = group_count[g]
                    for q in range(group_ptr[g], group_ptr[g + 1]):
                        i = members[q]
                        V[i] = V[i] * (E_now / E_last[i])         # leak to now first
                        E_last[i] = E_now
                        V[i] = V[i] + (kappa * threshold[i]) * (c - mark[i])
                        t_out[i] = tk
                        if V[i] < -threshold[i]:
                            V[i] = -threshold[i]
                    group_count[g] = 0
                for q in range(nf):
                    mark[fired[q]] = 0
            for q in range(ptr[j], ptr[j + 1]):                   # clip at -V_th
                i = target[q]
                if V[i] < -threshold[i]:
                    V[i] = -threshold[i]
            for q in range(nf):
                sb, sk, sn, count = _record(sb, sk, sn, count, b, k, fired[q])
        if n[b] > 0:                                              # all leaked to the last event
            E_end = E[b, n[b] - 1]
            for i in range(N):
                V[i] = V[i] * (E_end / E_last[i])
    return membrane, sb[:count], sk[:count], sn[:count]


@njit(cache=True)
def collect_sorted(t, sb, sk, sn, B, N):
    """:func:`snnlab.layers.base.collect` for spikes already in (sample, event, neuron) order."""
    per_sample = np.zeros(B, np.int64)
    counts = np.zeros((B, N), np.int64)
    for q in range(sb.size):
        per_sample[sb[q]] += 1
        counts[sb[q], sn[q]] += 1
    K_out = 0
    for b in range(B):
        K_out = max(K_out, per_sample[b])
    t_out = np.zeros((B, K_out))
    ch_out = np.full((B, K_out), -1, np.int32)
    q = 0
    for b in range(B):
        for p in range(per_sample[b]):
            t_out[b, p] = t[b, sk[q]]
            ch_out[b, p] = sn[q]
            q += 1
        if per_sample[b] > 0:
            for p in range(per_sample[b], K_out):
                t_out[b, p] = t_out[b, per_sample[b] - 1]
    return t_out, ch_out, per_sample, counts


@njit(cache=True)
def batch_problem(t, ch, n, M):
    """0 if a batch is valid input for a layer with M inputs, else a code (the numpy check says what)."""
    B, K = t.shape
    for b in range(B):
        if n[b] < 0 or n[b] > K:
            return 1
        for k in range(K):
            if k < n[b]:
                if not np.isfinite(t[b, k]) or ch[b, k] < 0 or ch[b, k] >= M:
                    return 2
                if k > 0 and t[b, k] < t[b, k - 1]:
                    return 3
                if k == 0 and t[b, k] < 0:
                    return 4
            else:
                if ch[b, k] != -1 or (k > 0 and t[b, k] != t[b, k - 1]):
                    return 5
    return 0


@njit(cache=True)
def conv_loop(weights, H, W, threshold, group_ptr, members, group_of, t, ch, n, E, T_ref, kappa):
    """:func:`snnlab.layers.sparse.forward_sparse` for a Conv2d, with the k x k window computed
    instead of read from the connection table (the same neurons, weights and arithmetic)."""
    C_out, C_in, k, _ = weights.shape
    Ho, Wo = H - k + 1, W - k + 1
    P = Ho * Wo
    B = t.shape[0]
    N = threshold.size
    n_groups = group_ptr.size - 1
    membrane = np.zeros((B, N))
    sb, sk, sn = np.empty(1024, np.int64), np.empty(1024, np.int64), np.empty(1024, np.int64)
    count = 0
    fired = np.empty(C_out * k * k, np.int64)
    reached = np.empty(C_out * k * k, np.int64)
    mark = np.zeros(N, np.int64)
    group_count = np.zeros(max(n_groups, 1), np.int64)
    groups_hit = np.empty(max(n_groups, 1), np.int64)
    E_last = np.empty(N)
    t_out = np.empty(N)
    for b in range(B):
        V = membrane[b]
        E_last[:] = 1.0
        t_out[:] = -np.inf
        for e in range(n[b]):
            tk = t[b, e]
            j = ch[b, e]
            ci = j // (H * W)
            y = (j // W) % H
            x = j % W
            E_now = E[b, e]
            nf = 0
            nr = 0
            dy0, dy1 = max(0, y - Ho + 1), min(k - 1, y)
            dx0, dx1 = max(0, x - Wo + 1), min(k - 1, x)
            for co in range(C_out):
                for dy in range(dy0, dy1 + 1):
                    base = co * P + (y - dy) * Wo + x
                    for dx in range(dx0, dx1 + 1):
                        i = base - dx
                        reached[nr] = i
                        nr += 1
                        w = weights[co, ci, dy, dx]
                        v = V[i] * (E_now / E_last[i])            # Eq. 1, leak (lazy)
                        E_last[i] = E_now
                        if T_ref > 0.0:                           # Eq. 2
                            r = (tk - t_out[i]) / T_ref
                            f = r * r
                            if f < 1.0:
                                w = w * f
                        v = v + w                                 # Eq. 1, integrate
                        if v >= threshold[i]:                     # Eq. 3, fire and reset
                            v = v - threshold[i]
                            fired[nf] = i
                            nf += 1
                            t_out[i] = tk
                        V[i] = v
            if nf > 1:
                fired[:nf].sort()
            if kappa != 0.0 and nf > 0:                           # WTA within each group
                ng = 0
                for q in range(nf):
                    g = group_of[fired[q]]
                    mark[fired[q]] = 1
                    if g >= 0:
                        if group_count[g] == 0:
                            groups_hit[ng] = g
                            ng += 1
                        group_count[g] += 1
                for a in range(ng):
                    g = groups_hit[a]
                    c = group_count[g]
                    for q in range(group_ptr[g], group_ptr[g + 1]):
                        i = members[q]
                        V[i] = V[i] * (E_now / E_last[i])
                        E_last[i] = E_now
                        V[i] = V[i] + (kappa * threshold[i]) * (c - mark[i])
                        t_out[i] = tk
                        if V[i] < -threshold[i]:
                            V[i] = -threshold[i]
                    group_count[g] = 0
                for q in range(nf):
                    mark[fired[q]] = 0
            for q in range(nr):                                   # clip at -V_th
                i = reached[q]
                if V[i] < -threshold[i]:
                    V[i] = -threshold[i]
            for q in range(nf):
                sb, sk, sn, count = _record(sb, sk, sn, count, b, e, fired[q])
        if n[b] > 0:
            E_end = E[b, n[b] - 1]
            for i in range(N):
                V[i] = V[i] * (E_end / E_last[i])
    return membrane, sb[:count], sk[:count], sn[:count]


@njit(cache=True)
def squared_norms_by_input(rows):
    """:func:`snnlab.regularizers.squared_norms_by_input`: sum over inputs j = 0, 1, ... in order."""
    M, N = rows.shape
    out = np.zeros(N)
    for j in range(M):
        for i in range(N):
            out[i] += rows[j, i] * rows[j, i]
    return out


@njit(cache=True)
def scale_neurons(rows, factor):
    """rows[j, i] *= factor[i] in place: neuron i's incoming weights rescaled (Eq. 15's implicit step)."""
    M, N = rows.shape
    for j in range(M):
        for i in range(N):
            rows[j, i] *= factor[i]
