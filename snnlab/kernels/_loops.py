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
    """:func:`snnlab.layers.dense.forward_events`, sample after sample (``rows`` is (M + 1, N))."""
    B = t.shape[0]
    M1, N = rows.shape
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
        for k in range(n[b]):
            tk = t[b, k]
            d = decay[b, k]
            j = ch[b, k]
            nf = 0
            if kappa != 0.0:
                f = 1.0
                if T_ref > 0.0:                                   # Eq. 2, one t_out for the group
                    r = (tk - t_out_group) / T_ref
                    f = r * r
                for i in range(N):
                    v = V[i] * d                                  # Eq. 1, leak
                    w = rows[j, i]
                    if f < 1.0:
                        w = w * f
                    v = v + w                                     # Eq. 1, integrate
                    if v >= threshold[i]:                         # Eq. 3, fire and reset
                        v = v - threshold[i]
                        fired[nf] = i
                        nf += 1
                    V[i] = v
                if nf > 0:                                        # WTA
                    for q in range(nf):
                        mark[fired[q]] = 1
                    for i in range(N):
                        V[i] = V[i] + (kappa * threshold[i]) * (nf - mark[i])
                    for q in range(nf):
                        mark[fired[q]] = 0
                    t_out_group = tk
            else:
                for i in range(N):
                    v = V[i] * d
                    w = rows[j, i]
                    if T_ref > 0.0:
                        r = (tk - t_out[i]) / T_ref
                        f = r * r
                        if f < 1.0:
                            w = w * f
                    v = v + w
                    if v >= threshold[i]:
                        v = v - threshold[i]
                        fired[nf] = i
                        nf += 1
                        t_out[i] = tk
                    V[i] = v
            for i in range(N):                                    # clip at -V_th
                if V[i] < -threshold[i]:
                    V[i] = -threshold[i]
            for q in range(nf):
                sb, sk, sn, count = _record(sb, sk, sn, count, b, k, fired[q])
            if rule_on and nf > 0:                                # section 2.3.2, per event
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
                            for m in range(M1 - 1):
                                rows[m, i] += step
                        elif mode == 2:                           # "scale"
                            factor = min(floor[i] / max(wanted, floor[i] / max_scale), max_scale)
                            for m in range(M1 - 1):
                                rows[m, i] *= factor
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
