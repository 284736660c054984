"""Data loaders: real files (../shared/data), malformed fakes, and the download path offline."""
import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pooch
import pytest

from snnlab.data import DataError, find_file, load_mnist, load_nmnist
from snnlab.data import registry
from snnlab.data.mnist import read_idx
from snnlab.data.nmnist import read_nmnist_bin
from snnlab.events import DVS_DTYPE

pooch.get_logger().setLevel("WARNING")

NMNIST_TRAIN_COUNTS = [97, 116, 99, 93, 105, 92, 94, 117, 87, 100]
NMNIST_TEST_COUNTS = [8, 14, 8, 11, 14, 7, 10, 15, 2, 11]


# ----------------------------------------------------------------------------- writers
def idx_bytes(arr: np.ndarray, magic: int | None = None) -> bytes:
    """Uncompressed IDX (unsigned byte) encoding of ``arr``."""
    arr = np.asarray(arr, dtype=np.uint8)
    magic = magic if magic is not None else (2051 if arr.ndim == 3 else 2049)
    head = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.tobytes()


def write_idx_gz(path: Path, arr: np.ndarray, magic: int | None = None, cut: int = 0) -> Path:
    data = idx_bytes(arr, magic)
    if cut:
        data = data[:-cut]
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


def write_nmnist_bin(path: Path, x, y, p, t_us) -> Path:
    x, y, p, t_us = (np.asarray(a, dtype=np.int64) for a in (x, y, p, t_us))
    b = np.empty((x.size, 5), dtype=np.uint8)
    b[:, 0], b[:, 1] = x, y
    b[:, 2] = (p << 7) | ((t_us >> 16) & 0x7F)
    b[:, 3] = (t_us >> 8) & 0xFF
    b[:, 4] = t_us & 0xFF
    path.write_bytes(b.tobytes())
    return path


def fake_mnist(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, size=n, dtype=np.uint8))


# ----------------------------------------------------------------------------- real files
@pytest.mark.parametrize("split,n", [("train", 60000), ("test", 10000)])
def test_real_mnist(data_root, split, n):
    images, labels = load_mnist(split, path=data_root)
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.uint8
    hist = np.bincount(labels, minlength=10)
    assert hist.size == 10 and hist.min() > 0.08 * n and hist.max() < 0.12 * n
    assert images.max() == 255 and images.min() == 0
    if split == "train":
        assert labels[0] == 5
        assert hist.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_real_mnist_via_env_and_cached(data_root, monkeypatch):
    monkeypatch.setenv("SNNLAB_DATA", str(data_root))
    a = load_mnist("test")
    b = load_mnist("test")
    assert a[0] is b[0]                                  # parsed once per process
    assert not a[0].flags.writeable                      # the cache cannot be modified by accident


@pytest.mark.parametrize("split,counts", [("train", NMNIST_TRAIN_COUNTS), ("test", NMNIST_TEST_COUNTS)])
def test_real_nmnist_subset(data_root, split, counts):
    events, labels = load_nmnist(split, path=data_root)
    assert np.bincount(labels, minlength=10).tolist() == counts
    assert len(events) == sum(counts)
    mnist_labels = load_mnist(split, path=data_root)[1]
    assert np.array_equal(labels, mnist_labels[: len(labels)])   # sample k of N-MNIST = MNIST sample k
    for ev in events:
        assert ev.dtype == DVS_DTYPE
        assert 1000 <= ev.size <= 8000
        assert 0.3 <= ev["p"].mean() <= 0.7
        span = ev["t"][-1] - ev["t"][0]
        assert 0.25 <= span <= 0.35
        assert np.all(np.diff(ev["t"]) >= 0)
        assert ev["x"].max() <= 33 and ev["y"].max() <= 33 and ev["x"].min() >= 0


def test_real_nmnist_digits_and_limit(data_root):
    events, labels = load_nmnist("train", path=data_root, digits=[3, 7], limit=10)
    assert len(events) == 10 and set(labels.tolist()) <= {3, 7}
    _, all_labels = load_nmnist("train", path=data_root)
    assert labels.tolist() == [d for d in all_labels.tolist() if d in (3, 7)][:10]


def test_real_nmnist_extra_sample(data_root):
    ev = read_nmnist_bin(data_root / "nmnist" / "extra" / "tonic_sample_nmnist.bin")
    assert ev.dtype == DVS_DTYPE and 1000 <= ev.size <= 8000
    assert 0.3 <= ev["p"].mean() <= 0.7 and 0.25 <= ev["t"][-1] <= 0.35


# ----------------------------------------------------------------------------- malformed fakes
def test_idx_wrong_magic(tmp_path):
    f = write_idx_gz(tmp_path / "x.gz", fake_mnist(3)[0], magic=2049)
    with pytest.raises(DataError, match=r"expected 2051.*found 2049") as e:
        read_idx(f, 2051)
    assert str(f) in str(e.value)


def test_idx_truncated(tmp_path):
    f = write_idx_gz(tmp_path / "x.gz", fake_mnist(3)[0], cut=100)
    with pytest.raises(DataError, match="truncated") as e:
        read_idx(f, 2051)
    assert str(f) in str(e.value)


def test_idx_not_gzip(tmp_path):
    f = tmp_path / "x.gz"
    f.write_bytes(idx_bytes(fake_mnist(3)[0]))
    with pytest.raises(DataError, match="not a gzip file"):
        read_idx(f, 2051)


def test_idx_damaged_gzip(tmp_path):
    f = tmp_path / "x.gz"
    f.write_bytes(gzip.compress(idx_bytes(fake_mnist(50)[0]))[:-200])
    with pytest.raises(DataError, match="damaged gzip"):
        read_idx(f, 2051)


def test_mnist_count_mismatch(tmp_path):
    imgs, _ = fake_mnist(5)
    (tmp_path / "mnist").mkdir()
    write_idx_gz(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz", imgs)
    write_idx_gz(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(DataError):             # checksum (registered MD5) fires first
        load_mnist("test", path=tmp_path)
    registry._MD5_VERDICTS.clear()
    from snnlab.data.mnist import _load_pair
    with pytest.raises(DataError, match="5 images but .* 4 labels"):
        _load_pair(str(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"),
                   str(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"), ())


def test_local_file_bad_checksum(tmp_path, monkeypatch):
    (tmp_path / "mnist").mkdir()
    f = write_idx_gz(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    monkeypatch.setenv("SNNLAB_DATA", str(tmp_path))
    monkeypatch.setenv("SNNLAB_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataError) as e:
        find_file("mnist/t10k-labels-idx1-ubyte.gz")
    msg = str(e.value)
    assert str(f) in msg and "ec29112dd5afa0611ce80d1b7f02629c" in msg
    assert hashlib.md5(f.read_bytes()).hexdigest() in msg and "SNNLAB_DATA" in msg


def test_bin_not_multiple_of_5(tmp_path):
    f = tmp_path / "1.bin"
    f.write_bytes(bytes(12))
    with pytest.raises(DataError, match="has 12 bytes, not a multiple of 5") as e:
        read_nmnist_bin(f)
    assert str(f) in str(e.value)


def test_bin_empty(tmp_path):
    f = tmp_path / "1.bin"
    f.write_bytes(b"")
    with pytest.raises(DataError, match="empty") as e:
        read_nmnist_bin(f)
    assert str(f) in str(e.value)


def test_bin_out_of_range(tmp_path):
    f = write_nmnist_bin(tmp_path / "1.bin", [3, 34], [4, 5], [1, 0], [10, 20])
    with pytest.raises(DataError, match="outside the 34 x 34"):
        read_nmnist_bin(f)


def test_bin_roundtrip(tmp_path):
    rng = np.random.default_rng(1)
    n = 500
    x, y, p = rng.integers(0, 34, n), rng.integers(0, 34, n), rng.integers(0, 2, n)
    t_us = np.sort(rng.integers(0, 1 << 23, n))
    t_us[-1] = (1 << 23) - 1                             # largest representable timestamp
    ev = read_nmnist_bin(write_nmnist_bin(tmp_path / "1.bin", x, y, p, t_us))
    assert ev.dtype == DVS_DTYPE and ev.size == n
    assert np.array_equal(ev["x"], x) and np.array_equal(ev["y"], y) and np.array_equal(ev["p"], p)
    assert np.array_equal(np.round(ev["t"] * 1e6).astype(np.int64), t_us)


def test_load_nmnist_order_and_missing(tmp_path, monkeypatch):
    root = tmp_path / "nmnist" / "Test"
    for num, d in [(3, 1), (1, 7), (2, 0)]:
        (root / str(d)).mkdir(parents=True, exist_ok=True)
        write_nmnist_bin(root / str(d) / f"{num:05d}.bin", [d], [num], [1], [num * 1000])
    events, labels = load_nmnist("test", path=tmp_path)
    assert labels.tolist() == [7, 0, 1]
    assert [int(e["y"][0]) for e in events] == [1, 2, 3]
    monkeypatch.delenv("SNNLAB_DATA", raising=False)
    monkeypatch.setenv("SNNLAB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(DataError, match="garrickorchard.com"):
        load_nmnist("train", download=False)        # never a real ~1 GB download from a test


# ----------------------------------------------------------------------------- downloads (local server)
class _Server:
    def __init__(self, directory: Path):
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local MNIST 'mirror' with small fake files registered under the real names."""
    served = tmp_path / "served"
    served.mkdir()
    imgs, lbls = fake_mnist(7, seed=3)
    write_idx_gz(served / "t10k-images-idx3-ubyte.gz", imgs)
    write_idx_gz(served / "t10k-labels-idx1-ubyte.gz", lbls)
    reg = {k: dict(v) for k, v in registry.REGISTRY.items()}
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        reg[f"mnist/{name}"]["md5"] = hashlib.md5((served / name).read_bytes()).hexdigest()
        reg[f"mnist/{name}"].pop("sha256")           # the real files' SHA-256: these are fakes (MD5 only)
    monkeypatch.setattr(registry, "REGISTRY", reg)
    monkeypatch.setenv("SNNLAB_ALLOW_HTTP", "1")     # the local server is plain http (MNIST is https-only)
    cache = tmp_path / "cache"
    monkeypatch.delenv("SNNLAB_DATA", raising=False)
    monkeypatch.setenv("SNNLAB_CACHE", str(cache))
    server = _Server(served)
    monkeypatch.setenv("SNNLAB_MNIST_URL", server.url)
    yield server, served, cache, imgs, lbls
    server.close()


def test_download_good(mirror):
    server, served, cache, imgs, lbls = mirror
    images, labels = load_mnist("test")
    assert np.array_equal(images, imgs) and np.array_equal(labels, lbls)
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert len(server.requests) == 2
    registry._MD5_VERDICTS.clear()
    images2, _ = load_mnist("test")                       # from the cache: no new request
    assert np.array_equal(images2, imgs)
    assert len(server.requests) == 2


def test_download_corrupt(mirror):
    server, served, cache, imgs, lbls = mirror
    f = served / "t10k-labels-idx1-ubyte.gz"
    f.write_bytes(f.read_bytes()[:-3] + b"xyz")          # mirror serves different bytes
    with pytest.raises(DataError) as e:
        find_file("mnist/t10k-labels-idx1-ubyte.gz")
    msg = str(e.value)
    assert "checksum" in msg.lower() and "md5" in msg.lower()
    assert server.url in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert len(server.requests) == 1
    left = [p for p in cache.rglob("*") if p.is_file()]
    assert left == []                                    # no partial / temp file left behind


def test_download_server_down(mirror, monkeypatch):
    server, served, cache, imgs, lbls = mirror
    server.close()
    with socket.socket() as s:                           # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SNNLAB_MNIST_URL", f"http://127.0.0.1:{port}/")
    with pytest.raises(DataError) as e:
        load_mnist("test")
    msg = str(e.value)
    assert "SNNLAB_DATA" in msg and "user cache" in msg and str(cache) in msg
    assert f"127.0.0.1:{port}" in msg
    assert [p for p in cache.rglob("*") if p.is_file()] == []


def test_find_file_explicit_urls_and_md5(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    (served / "blob.bin").write_bytes(b"hello snnlab")
    monkeypatch.delenv("SNNLAB_DATA", raising=False)
    monkeypatch.setenv("SNNLAB_CACHE", str(tmp_path / "cache"))
    server = _Server(served)
    try:
        got = find_file("misc/blob.bin", urls=[server.url + "blob.bin"],
                        md5=hashlib.md5(b"hello snnlab").hexdigest())
    finally:
        server.close()
    assert got == tmp_path / "cache" / "misc" / "blob.bin" and got.read_bytes() == b"hello snnlab"


def test_explicit_path_missing(tmp_path):
    with pytest.raises(DataError, match="explicit path"):
        find_file("mnist/t10k-labels-idx1-ubyte.gz", path=tmp_path)
