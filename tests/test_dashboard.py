"""The training dashboard and controls of notebook 07, headless."""
import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from snnlab import dashboard as D  # noqa: E402
from snnlab.train import PRESETS, Trainer, TrainConfig, encode_batch  # noqa: E402


def _xy(artist):
    return np.array(artist.get_xydata(), dtype=float).copy()


@pytest.fixture(scope="module")
def trainer_and_dash(data_root):
    dash = D.TrainingDashboard(every=1, n_tiles=25)
    cfg = PRESETS["tiny"].replace(train_samples=64, test_samples=64, batch_size=16)
    trainer = Trainer(cfg, callbacks=[dash], progress=False)
    return trainer, dash


def test_dashboard_updates_its_artists(trainer_and_dash):
    trainer, dash = trainer_and_dash
    fig = dash.fig
    dash.update(trainer)                       # untrained: tiles and bars, no curves yet
    tiles0 = np.array(dash.artists["tiles"].get_array(), dtype=float).copy()
    assert _xy(dash.artists["loss"]).size == 0
    w0 = trainer.net.layers[0].weights.copy()
    metrics = trainer.train_epoch()            # 4 batches of 16
    assert dash.fig is fig, "the same figure must be redrawn"
    assert dash.n_draws >= 1 + 4 + 1           # every=1: each batch, + epoch end
    assert _xy(dash.artists["loss"]).shape == (4, 2)
    assert _xy(dash.artists["acc_raw"]).shape == (4, 2)
    np.testing.assert_array_equal(_xy(dash.artists["loss"])[:, 0], [16, 32, 48, 64])
    np.testing.assert_allclose(_xy(dash.artists["test_acc"]), [[64, 100 * metrics["test_accuracy"]]])
    for l in range(2):
        assert _xy(dash.artists[f"rate_{l}"]).shape == (4, 2)
        assert _xy(dash.artists[f"dead_{l}"]).shape == (4, 2)
        assert _xy(dash.artists[f"silent_batch_{l}"]).shape == (4, 2)
        np.testing.assert_allclose(_xy(dash.artists[f"dead_epoch_{l}"])[0, 1], metrics["dead_fraction"][l])
    # the first raw rate point is the batch's spikes per neuron per sample
    assert np.all(_xy(dash.artists["rate_0"])[:, 1] > 0)
    tiles1 = np.array(dash.artists["tiles"].get_array(), dtype=float)
    assert not np.array_equal(trainer.net.layers[0].weights, w0)
    assert not np.allclose(tiles0, tiles1, equal_nan=True), "tiles must follow the weights"
    assert len(dash.artists["bars"].get_segments()) == 25
    assert dash.png[:4] == b"\x89PNG" and "epoch 1 done" in dash.text


def test_one_dashboard_draws_every_first_layer_as_it_is(data_root):
    """PI-MNIST: un-permuted 28x28 tiles; a conv net: its 5x5 kernels, one bar per map (the dashboard
    notebooks 08-09 use, EventDashboard, is the same class)."""
    from snnlab.widgets_events import EventDashboard
    assert EventDashboard is D.TrainingDashboard
    cfg = PRESETS["tiny"].replace(train_samples=32, test_samples=16, batch_size=16)
    dash = D.TrainingDashboard(every=1, n_tiles=9)
    tr = Trainer(cfg, callbacks=[dash], progress=False)
    dash.update(tr)
    img, origins = dash.tiles_shown
    expected, _ = D.tile_mosaic(tr.net.layers[0].weights[:9], tr.permutation)
    np.testing.assert_array_equal(img, expected)
    cnn = PRESETS["tiny-cnn"].replace(train_samples=32, test_samples=16, validation_samples=16)
    dash = D.TrainingDashboard(every=1, n_tiles=25)
    tr = Trainer(cnn, callbacks=[dash], progress=False)
    dash.update(tr)
    img, origins = dash.tiles_shown
    maps = tr.net.layers[0].weights.shape[0]                     # 4 maps of 5x5
    assert len(origins) == maps and len(dash.artists["bars"].get_segments()) == maps
    x, y = origins[0].astype(int)
    np.testing.assert_allclose(img[y:y + 5, x:x + 5], tr.net.layers[0].weights[0].sum(axis=0))
    assert "conv1 kernels" in dash.axes["tiles"].get_title()


def test_dashboard_redraws_every_k_batches(data_root):
    dash = D.TrainingDashboard(every=3)
    cfg = PRESETS["tiny"].replace(train_samples=96, test_samples=32, batch_size=16)   # 6 batches
    Trainer(cfg, callbacks=[dash], progress=False).train_epoch()
    assert dash.n_draws == 6 // 3 + 1          # batches 3 and 6, and the epoch end
    assert len(dash.h["loss"]) == 6            # but every batch is recorded


def test_dashboard_marks_an_untested_epoch_as_missing(data_root):
    dash = D.TrainingDashboard(every=100)
    cfg = PRESETS["tiny"].replace(train_samples=32, test_samples=32, batch_size=16, eval_every=2)
    Trainer(cfg, callbacks=[dash], progress=False).train_epoch()      # epoch 1 of eval_every=2: no test
    assert np.isnan(_xy(dash.artists["test_acc"])[0, 1]) and "not tested this epoch" in dash.text


def test_config_from_controls_maps_values_and_units():
    values = {"kappa": -0.6, "tau_mp_ms": 30.0, "T_ref_ms": 2.0, "alpha": 5.0, "eta_w": 0.002,
              "hidden": 200, "train_samples": 1000}
    cfg = D.config_from_controls(values)
    assert isinstance(cfg, TrainConfig)
    assert cfg.hidden == (200,) and cfg.kappa_hidden == (-0.6,)
    assert cfg.tau_mp == pytest.approx(0.030) and cfg.T_ref == pytest.approx(0.002)   # ms -> s
    assert cfg.alpha == (5.0, PRESETS["quick"].alpha[-1])
    assert cfg.eta_w == 0.002 and cfg.train_samples == 1000
    assert cfg.kappa_out == PRESETS["quick"].kappa_out
    base = PRESETS["tiny"]
    assert D.config_from_controls({"tau_mp_ms": 200}, base=base).replace(tau_mp=base.tau_mp) == base
    with pytest.raises(ValueError, match="unknown"):
        D.config_from_controls({"tau_mp": 0.02})
    with pytest.raises(ValueError, match="kappa"):
        D.config_from_controls({"kappa": 0.5})


def test_train_controls_defaults_are_paper_values():
    tc = D.train_controls()
    v = tc.values
    assert v["kappa"] == -0.4 and v["tau_mp_ms"] == pytest.approx(20.0) and v["T_ref_ms"] == pytest.approx(1.0)
    assert all(not c.continuous_update for c in tc.controls.values())
    for key, unit in (("tau_mp_ms", "(ms)"), ("T_ref_ms", "(ms)")):
        assert unit in tc.controls[key].description
    cfg = tc.update(tau_mp_ms=50.0, hidden=30).config()
    assert cfg.tau_mp == pytest.approx(0.050) and cfg.hidden == (30,)
    with pytest.raises(ValueError):
        tc.update(nope=1)


def test_tiles_unpermute_a_digit(data_root):
    from snnlab.data import load_mnist
    images, labels = load_mnist("test")
    img = images[0].astype(float)
    perm = np.random.default_rng(3).permutation(784)
    # a weight vector equal to the permuted image, as encode_batch permutes the pixels
    w = img.reshape(-1)[perm]
    np.testing.assert_array_equal(D.unpermute(w, perm).reshape(28, 28), img)
    mosaic, origins = D.tile_mosaic(np.stack([w, 2 * w]), perm)
    x, y = origins[1].astype(int)
    np.testing.assert_array_equal(mosaic[0:28, 0:28], img)
    np.testing.assert_array_equal(mosaic[y:y + 28, x:x + 28], 2 * img)


def test_unpermute_direction_matches_encode_batch():
    perm = np.random.default_rng(4).permutation(784)
    img = np.zeros((1, 28, 28))
    img[0, 5, 17] = 1.0                           # one lit pixel
    ev = encode_batch(img, perm, 0.05, 5000.0, np.random.default_rng(0)).to_list()[0]
    channels = np.unique(ev["ch"])
    assert channels.size == 1                     # all events on the channel that carries it
    w = np.zeros(784)
    w[channels[0]] = 1.0                          # a neuron listening to that channel only
    tile = D.unpermute(w, perm).reshape(28, 28)
    assert tile[5, 17] == 1.0 and tile.sum() == 1.0


def test_dead_fraction_and_results_readers(tmp_path):
    assert D.dead_fraction(np.array([[0, 1, 0], [0, 2, 0]])) == pytest.approx(2 / 3)
    run = tmp_path / "quick"
    run.mkdir()
    (run / "metrics.jsonl").write_text(json.dumps({"epoch": 1, "train_accuracy": 0.5, "test_accuracy": 0.6}) + "\n")
    (tmp_path / "empty").mkdir()
    runs = D.load_runs(tmp_path)
    assert list(runs) == ["quick"] and runs["quick"]["summary"] is None
    assert runs["quick"]["metrics"][0]["test_accuracy"] == 0.6
    sweep = tmp_path / "canonical" / "kappa_sweep"
    sweep.mkdir(parents=True)
    (sweep / "N100_kappa-0.40.json").write_text(json.dumps({"kappa": -0.4, "hidden": 100, "test_accuracy": 0.9}))
    assert D.load_kappa_sweep(tmp_path)[0]["kappa"] == -0.4
    assert D.load_runs(tmp_path / "missing") == {}
    assert D.canonical_dir(tmp_path) == tmp_path / "canonical"


def test_the_results_folders_the_notebooks_read_exist():
    """The run folders named in snnlab.dashboard (notebook 07 reads them) are where results/ keeps them."""
    root = D.results_dir()
    for rel in (D.KAPPA_SWEEP, D.CHOICES, D.WHATIF_500_500, *D.READOUT_RUNS.values(), *D.FLOOR_RUNS.values()):
        assert (root / rel).exists(), f"results/{rel} is missing (see results/README.md for the layout)"
    assert {"quick", "pi-mnist-800"} <= set(D.load_runs(D.canonical_dir()))


def test_nb07_checks_pass_the_reference_and_diagnose_each_mistake():
    from snnlab.exercises import nb07
    for chk in (nb07.check_output_error, nb07.check_dead_fraction, nb07.check_unpermute):
        assert chk(chk.reference, quiet=True)
        for m in chk.mistakes:
            r = chk(m.model, quiet=True)
            assert not r and m.message in r.message, f"{chk.name}: mistake not diagnosed: {m.message}"
    r = nb07.check_output_error(lambda c, y: (np.asarray(c, float) / max(np.max(c), 1) - np.eye(10)[y]), quiet=True)
    assert "sqrt(N_nze)" in r.message


def test_choices_table_lists_every_variant_and_marks_divergence(tmp_path):
    assert D.load_choices(tmp_path) == []
    rows = [{"vary": "readout", "value": "integral", "train_digits": 100, "test_digits": 50,
             "test_duration_s": 0.2, "test_accuracy": 0.8235},
            {"vary": "batch_size", "value": 64, "train_digits": 100, "test_digits": 50,
             "test_duration_s": 0.2, "test_accuracy": None}]
    (tmp_path / D.CHOICES).parent.mkdir(parents=True)
    (tmp_path / D.CHOICES).write_text("".join(json.dumps(r) + "\n" for r in rows))
    table = D.choices_table(D.load_choices(tmp_path)).splitlines()
    assert len(table) == 3
    assert "batch_size" in table[1] and "diverged" in table[1]      # sorted by setting
    assert "integral" in table[2] and "82.35" in table[2] and "50 x 200" in table[2]


def test_load_evaluations_reads_the_checkpoint_tests_of_a_run(tmp_path):
    res = {"silent_fraction": 0.0, "n": 10000, "duration_s": 1.0, "split": "test"}
    files = {"evaluate-1s-epoch85.json": dict(res, accuracy=0.9802),                    # before --seed existed
             "evaluate-1s-epoch85-seed1.json": dict(res, accuracy=0.979, seed=1, epoch=85),
             "evaluate-1s-epoch9.json": dict(res, accuracy=0.95, seed=12345, epoch=9),
             "evaluate-train-1s-epoch85.json": dict(res, accuracy=0.99, split="train"),  # training digits
             "evaluate-1s.json": dict(res, accuracy=0.9)}                               # no epoch: skipped
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content))
    (tmp_path / "evaluate-1s-epoch85-time-v.txt").write_text("Maximum resident set size (kbytes): 1")
    rows = D.load_evaluations(tmp_path)
    assert [(r["epoch"], r["seed"], r["accuracy"]) for r in rows] == [(9, 12345, 0.95), (85, 1, 0.979),
                                                                      (85, 12345, 0.9802)]
    assert rows[0]["file"] == "evaluate-1s-epoch9.json" and rows[0]["duration_s"] == 1.0
    assert D.load_evaluations(tmp_path / "missing") == []
    (tmp_path / "evaluate-1s-epoch90.json").write_text("")       # an evaluation still running
    with pytest.raises(ValueError, match="evaluate-1s-epoch90.json is not the JSON line.*rerun it or delete"):
        D.load_evaluations(tmp_path)


def test_window_statistic_is_min_mean_max_over_the_window_with_the_final_test(tmp_path):
    res = {"silent_fraction": 0.0, "n": 10000, "duration_s": 1.0, "split": "test", "seed": 12345}
    tests = {181: 0.9776, 183: 0.9780, 199: 0.9784, 179: 0.90}          # 179 lies outside the window
    for epoch, acc in tests.items():
        (tmp_path / f"evaluate-1s-epoch{epoch}.json").write_text(json.dumps(dict(res, accuracy=acc, epoch=epoch)))
    (tmp_path / "evaluate-1s-epoch199-seed1.json").write_text(json.dumps(dict(res, accuracy=0.97, epoch=199, seed=1)))
    (tmp_path / "evaluate-200ms-epoch183.json").write_text(json.dumps(dict(res, accuracy=0.5, epoch=183,
                                                                             duration_s=0.2)))
    summary = {"epochs": 200, "test_accuracy": 0.9792, "test_presentation_s": 1.0, "test_samples": 10000}   # the train command's own test
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    w = D.window_statistic(tmp_path, 181, 200)
    assert w["epochs"] == [181, 183, 199, 200]
    assert (w["min"], w["mean"], w["max"]) == (97.76, 97.83, 97.92)      # (97.76 + 97.8 + 97.84 + 97.92) / 4
    assert w["other_seeds"] == {199: {1: 97.0}}                            # shown, not averaged in
    assert w["test_digits"] == [10000]
    assert w["files"][200] == "summary.json" and w["files"][181] == "evaluate-1s-epoch181.json"
    # a checkpoint test of the last epoch wins over summary.json (both test the same weights)
    (tmp_path / "evaluate-1s-epoch200.json").write_text(json.dumps(dict(res, accuracy=0.9792, epoch=200)))
    assert D.window_statistic(tmp_path, 181, 200)["files"][200] == "evaluate-1s-epoch200.json"
    # a summary tested at another length or before the window is left out
    assert D.window_statistic(tmp_path, 181, 199)["epochs"] == [181, 183, 199]
    with pytest.raises(ValueError, match="no 1 s test of epochs 100-120.*snnlab evaluate"):
        D.window_statistic(tmp_path, 100, 120)
    with pytest.raises(ValueError, match="window 200-181 is empty"):
        D.window_statistic(tmp_path, 200, 181)
