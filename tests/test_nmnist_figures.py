"""Figs. 5 and 6 measurements (snnlab.nmnist_figures) on a few real N-MNIST recordings."""
import numpy as np

from snnlab import nmnist_figures as F
from snnlab.network import build_layers


def test_fig5a_shows_three_saccades_at_the_real_times(data_root):
    from snnlab.data import load_nmnist
    streams, _ = load_nmnist("test", path=data_root, download=False)
    t, rates = F.event_rate_per_pixel(streams[:30])
    assert rates.shape == (30, t.size) and np.all(rates >= 0)
    peaks = F.saccade_peaks(t, rates.mean(0))
    assert np.allclose(peaks, [0.05, 0.15, 0.25], atol=0.015)     # three 100 ms saccades


def test_snn_ops_grow_with_time_and_ann_macs_per_frame_are_counted(data_root):
    from snnlab.data import load_nmnist
    streams, labels = load_nmnist("test", path=data_root, download=False)
    streams, labels = streams[:6], labels[:6]
    net = build_layers((2, 34, 34), (20,), 10, (-0.4, -1.0), (3.0, 3.0), 0, tau_mp=0.2)
    times = np.array([0.05, 0.15, 0.3])
    err, ops = F.snn_error_and_ops_vs_time(net, streams, labels, times)
    assert err.shape == ops.shape == (3,) and np.all((0 <= err) & (err <= 1))
    assert np.all(np.diff(ops) > 0)
    full = np.mean([s.size for s in streams]) * 20                 # every input event reaches 20 neurons
    assert ops[-1] >= 0.95 * full
    fr = F.frames(streams[0])
    assert fr.shape[1] == 2 * 34 * 34 and fr.sum() == streams[0].size
    ann = F.FrameANN(8).fit(fr, np.full(fr.shape[0], labels[0]), epochs=2, batch=4)
    a_err, macs = F.ann_error_and_macs_vs_frames(ann, streams, labels, n_frames=4)
    assert macs.tolist() == [ann.macs_per_frame() * k for k in (1, 2, 3, 4)]
    assert F.ops_at_error([0.5, 0.2, 0.1], [1, 2, 3], 0.2) == 2 and F.ops_at_error([0.5], [1], 0.1) is None
