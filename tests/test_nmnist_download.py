"""N-MNIST archive download + atomic extraction, offline against a local http server; .bin overflow markers."""
import functools
import hashlib
import http.server
import io
import threading
import zipfile
from pathlib import Path

import numpy as np
import pooch
import pytest

from snnlab.data import DataError, load_nmnist, registry
from snnlab.data.nmnist import extract_nmnist_archive, find_nmnist_root, read_nmnist_bin
from snnlab.data.registry import CorruptFileError

pooch.get_logger().setLevel("WARNING")


# ----------------------------------------------------------------------------- helpers
def bin_bytes(x, y, p, t_us) -> bytes:
    """Events in the N-MNIST 5-byte format (x, y, p bit 7 + 23-bit big-endian timestamp in us)."""
    x, y, p, t_us = (np.asarray(a, dtype=np.int64) for a in (x, y, p, t_us))
    b = np.empty((x.size, 5), dtype=np.uint8)
    b[:, 0], b[:, 1] = x, y
    b[:, 2] = (p << 7) | ((t_us >> 16) & 0x7F)
    b[:, 3] = (t_us >> 8) & 0xFF
    b[:, 4] = t_us & 0xFF
    return b.tobytes()


# sample number -> (digit, events x, y, p, t_us): a few events each, in the real layout
SAMPLES = {
    1: (5, [3, 4, 5], [10, 11, 12], [1, 0, 1], [100, 2_000, 90_000]),
    2: (0, [30, 31], [1, 2], [0, 0], [5, 250_000]),
    3: (4, [0, 33, 17, 16], [0, 33, 17, 16], [1, 1, 0, 1], [0, 1, 2, 3]),
}


def make_zip(split="Train", samples=SAMPLES, top_folder=True, stored=False,
             extra: dict | None = None) -> bytes:
    buf = io.BytesIO()
    comp = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", compression=comp) as zf:
        for num, (d, x, y, p, t) in samples.items():
            name = f"{d}/{num:05d}.bin"
            zf.writestr(f"{split}/{name}" if top_folder else name, bin_bytes(x, y, p, t))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


class Server:
    """http.server on 127.0.0.1 (free port) in a thread; records request paths.

    ``short[name] = n`` makes the server announce the full Content-Length of ``name`` but send only
    its first ``n`` bytes and close the connection (an interrupted download).
    """

    def __init__(self, directory: Path):
        self.requests: list[str] = []
        self.short: dict[str, int] = {}
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                name = self.path.lstrip("/")
                if name in outer.short:
                    data = (directory / name).read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/zip")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: outer.short[name]])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def register(monkeypatch, server, served, name="Train.zip", md5=None, size="auto"):
    """Point the registry entry of ``nmnist/<name>`` at the local server (md5/size of the served file)."""
    data = (served / name).read_bytes()
    reg = {k: dict(v) for k, v in registry.REGISTRY.items()}
    reg[f"nmnist/{name}"].update(
        urls=(server.url + name,), md5=md5 or hashlib.md5(data).hexdigest(),
        size=len(data) if size == "auto" else size)
    monkeypatch.setattr(registry, "REGISTRY", reg)


def cache_files(cache: Path) -> list[str]:
    """Everything under the cache (files and folders), relative, sorted."""
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) if cache.exists() else []


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    (served / "Train.zip").write_bytes(make_zip("Train"))
    (served / "Test.zip").write_bytes(make_zip("Test", {7: SAMPLES[1]}))
    cache = tmp_path / "cache"
    monkeypatch.delenv("SNNLAB_DATA", raising=False)
    monkeypatch.delenv("SNNLAB_NMNIST_URL", raising=False)
    monkeypatch.setenv("SNNLAB_CACHE", str(cache))
    monkeypatch.setenv("SNNLAB_ALLOW_HTTP", "1")
    server = Server(served)
    register(monkeypatch, server, served)
    yield server, served, cache
    server.close()


def check_loaded(events, labels):
    assert labels.tolist() == [5, 0, 4]                      # ordered by sample number
    for ev, (d, x, y, p, t) in zip(events, SAMPLES.values()):
        assert ev["x"].tolist() == x and ev["y"].tolist() == y and ev["p"].tolist() == p
        assert np.allclose(ev["t"], np.array(t) * 1e-6)


# ----------------------------------------------------------------------------- good archive
def test_good_archive_downloaded_extracted_loaded(mirror):
    server, served, cache = mirror
    events, labels = load_nmnist("train")
    check_loaded(events, labels)
    assert server.requests == ["/Train.zip"]
    # extracted in place, archive removed (keep_archive=False), no temporary folder left
    assert cache_files(cache) == ["nmnist", "nmnist/Train", "nmnist/Train/0", "nmnist/Train/0/00002.bin",
                                  "nmnist/Train/4", "nmnist/Train/4/00003.bin",
                                  "nmnist/Train/5", "nmnist/Train/5/00001.bin"]
    events2, labels2 = load_nmnist("train")                  # from the cache: no new request
    check_loaded(events2, labels2)
    assert server.requests == ["/Train.zip"]


def test_keep_archive_and_test_split(mirror, monkeypatch):
    server, served, cache = mirror
    register(monkeypatch, server, served, "Test.zip")
    root = find_nmnist_root("test", keep_archive=True)
    assert root == cache / "nmnist" / "Test"
    assert (cache / "nmnist" / "Test.zip").read_bytes() == (served / "Test.zip").read_bytes()
    events, labels = load_nmnist("test")
    assert labels.tolist() == [5] and events[0].size == 3


def test_archive_without_top_folder(mirror, monkeypatch):
    server, served, cache = mirror
    (served / "Train.zip").write_bytes(make_zip("Train", top_folder=False))
    register(monkeypatch, server, served)
    check_loaded(*load_nmnist("train"))


def test_env_mirror_override(mirror, monkeypatch):
    server, served, cache = mirror
    reg = {k: dict(v) for k, v in registry.REGISTRY.items()}
    reg["nmnist/Train.zip"]["urls"] = ("https://nowhere.invalid/Train.zip",)
    monkeypatch.setattr(registry, "REGISTRY", reg)
    monkeypatch.setenv("SNNLAB_NMNIST_URL", server.url)
    check_loaded(*load_nmnist("train"))
    assert server.requests == ["/Train.zip"]


def test_local_copies_come_first(mirror, tmp_path, monkeypatch):
    server, served, cache = mirror
    data = tmp_path / "data"
    with zipfile.ZipFile(served / "Train.zip") as zf:
        zf.extractall(data / "nmnist")
    monkeypatch.setenv("SNNLAB_DATA", str(data))
    check_loaded(*load_nmnist("train"))
    check_loaded(*load_nmnist("train", path=data))
    assert server.requests == [] and cache_files(cache) == []


def test_download_false(mirror):
    server, served, cache = mirror
    with pytest.raises(DataError, match="download=False"):
        load_nmnist("train", download=False)
    assert server.requests == []


# ----------------------------------------------------------------------------- bad archives
def assert_nothing_kept(cache: Path):
    left = cache_files(cache)
    assert left in ([], ["nmnist"]), left                  # at most the empty nmnist/ folder


def test_corrupt_archive_wrong_checksum(mirror):
    server, served, cache = mirror
    f = served / "Train.zip"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF                           # the mirror serves different bytes
    f.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError) as e:
        load_nmnist("train")
    msg = str(e.value)
    assert "\n" not in msg                                  # one line
    assert "nmnist/Train.zip" in msg and "checksum" in msg.lower() and "md5" in msg.lower()
    assert "discarded" in msg and "try again" in msg
    assert server.requests == ["/Train.zip"]
    assert_nothing_kept(cache)
    assert not (cache / "nmnist" / "Train").exists()


def test_truncated_archive(mirror):
    server, served, cache = mirror
    f = served / "Train.zip"
    f.write_bytes(f.read_bytes()[:-40])                    # the mirror serves a cut file
    with pytest.raises(CorruptFileError) as e:
        load_nmnist("train")
    msg = str(e.value)
    assert "\n" not in msg and "nmnist/Train.zip" in msg and "checksum" in msg.lower()
    assert_nothing_kept(cache)


def test_interrupted_transfer(mirror):
    server, served, cache = mirror
    server.short["Train.zip"] = 100                        # connection dropped after 100 bytes
    with pytest.raises(DataError) as e:
        load_nmnist("train")
    msg = str(e.value)
    assert "nmnist/Train.zip" in msg and server.url in msg
    assert_nothing_kept(cache)


def test_truncated_local_archive_in_cache(mirror):
    server, served, cache = mirror
    (cache / "nmnist").mkdir(parents=True)
    part = cache / "nmnist" / "Train.zip"
    part.write_bytes((served / "Train.zip").read_bytes()[:50])
    with pytest.raises(CorruptFileError) as e:
        load_nmnist("train")
    msg = str(e.value)
    assert "\n" not in msg and str(part) in msg and "truncated" in msg and "rm " in msg
    assert server.requests == []                            # a bad local copy is reported, not replaced


@pytest.mark.parametrize("damage", ["truncated", "crc"])
def test_damaged_zip_with_matching_checksum(mirror, monkeypatch, damage):
    """The checksum table matches a broken zip: extraction fails cleanly, the archive is not kept."""
    server, served, cache = mirror
    good = make_zip("Train", stored=True)
    if damage == "truncated":
        bad = good[: len(good) // 2]
    else:                                                    # flip a byte of a member's data
        i = good.index(bin_bytes(*SAMPLES[2][1:]))
        bad = good[:i] + bytes([good[i] ^ 0xFF]) + good[i + 1:]
    (served / "Train.zip").write_bytes(bad)
    register(monkeypatch, server, served)                    # md5/size of the bad bytes
    with pytest.raises(DataError) as e:
        load_nmnist("train")
    msg = str(e.value)
    assert "\n" not in msg
    assert str(cache / "nmnist" / "Train.zip") in msg and "damaged or truncated zip" in msg
    assert "deleted" in msg and "re-download" in msg
    assert_nothing_kept(cache)                               # no archive, no Train/, no .partial


def test_user_archive_never_deleted(tmp_path):
    bad = tmp_path / "Train.zip"
    bad.write_bytes(make_zip()[:30])
    with pytest.raises(DataError, match="damaged or truncated zip") as e:
        extract_nmnist_archive(bad, tmp_path / "out", "Train")
    assert bad.exists() and "replace it with a good copy" in str(e.value)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_unsafe_member_path_and_wrong_content(tmp_path):
    evil = tmp_path / "evil.zip"
    evil.write_bytes(make_zip(extra={"../escape.bin": b"12345"}))
    with pytest.raises(DataError, match="unsafe member path"):
        extract_nmnist_archive(evil, tmp_path / "out", "Train")
    assert not (tmp_path / "escape.bin").exists() and list((tmp_path / "out").iterdir()) == []
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("readme.txt", "not N-MNIST")
    with pytest.raises(DataError, match="no Train/<digit>/<n>.bin"):
        extract_nmnist_archive(other, tmp_path / "out", "Train")
    assert list((tmp_path / "out").iterdir()) == []


def test_stale_partial_folder_is_not_data(mirror):
    """A folder left by a killed extraction never looks complete."""
    server, served, cache = mirror
    stale = cache / "nmnist" / ".Train.partial-dead" / "Train" / "5"
    stale.mkdir(parents=True)
    (stale / "00001.bin").write_bytes(bin_bytes([1], [1], [1], [1]))
    with pytest.raises(DataError, match="not found"):
        find_nmnist_root("train", download=False)
    check_loaded(*load_nmnist("train"))                      # a real download still works


# ----------------------------------------------------------------------------- plain http
def test_http_refused_without_override(mirror, monkeypatch):
    server, served, cache = mirror
    monkeypatch.delenv("SNNLAB_ALLOW_HTTP")
    with pytest.raises(DataError) as e:
        load_nmnist("train")
    msg = str(e.value)
    assert "http://" in msg and "SNNLAB_ALLOW_HTTP=1" in msg and "refused" in msg.lower()
    assert server.requests == []
    assert_nothing_kept(cache)
    monkeypatch.setenv("SNNLAB_ALLOW_HTTP", "0")            # only "1" allows it
    with pytest.raises(DataError, match="SNNLAB_ALLOW_HTTP=1"):
        load_nmnist("train")
    assert server.requests == []


def test_real_registry_entries(monkeypatch):
    monkeypatch.delenv("SNNLAB_NMNIST_URL", raising=False)
    for split, md5 in [("Train", "20959b8e626244a1b502305a9e6e2031"),
                       ("Test", "69ca8762b2fe404d9b9bad1103e97832")]:
        e = registry.REGISTRY[f"nmnist/{split}.zip"]
        assert e["md5"] == md5 and e["https_only"]
        assert all(u.startswith("https://") for u in e["urls"])
        assert registry.urls_for(f"nmnist/{split}.zip")[0].startswith("https://data.mendeley.com/")


# ----------------------------------------------------------------------------- overflow markers
def tonic_rule(raw: bytes):
    """Reference: Tonic's read_mnist_file overflow handling, written out event by event."""
    r = np.frombuffer(raw, np.uint8).astype(np.int64).reshape(-1, 5)
    x, y = r[:, 0], r[:, 1]
    p = r[:, 2] >> 7
    ts = ((r[:, 2] & 127) << 16) | (r[:, 3] << 8) | r[:, 4]
    for i in np.flatnonzero(y == 240):
        ts[i:] += 2 ** 13                                   # this and every later event
    keep = y != 240
    return x[keep], y[keep], p[keep], ts[keep]


def test_overflow_markers(tmp_path):
    # events: two, a marker (x=0), two, a marker with another x (y alone decides), one
    x = [1, 2, 0, 3, 4, 12, 5]
    y = [1, 2, 240, 3, 4, 240, 5]
    p = [1, 0, 0, 1, 1, 0, 0]
    t = [100, 8000, 8191, 50, 60, 0, 10]                    # raw 23-bit times, wrap after a marker
    raw = bin_bytes(x, y, p, t)
    f = tmp_path / "00001.bin"
    f.write_bytes(raw)
    ev = read_nmnist_bin(f)
    assert ev.size == 5                                      # markers dropped
    assert ev["x"].tolist() == [1, 2, 3, 4, 5] and ev["y"].tolist() == [1, 2, 3, 4, 5]
    assert ev["p"].tolist() == [1, 0, 1, 1, 0]
    assert np.round(ev["t"] * 1e6).astype(int).tolist() == [100, 8000, 8192 + 50, 8192 + 60, 16384 + 10]
    tx, ty, tp, tts = tonic_rule(raw)
    assert ev["x"].tolist() == tx.tolist() and np.array_equal(np.round(ev["t"] * 1e6), tts)


def test_no_overflow_markers_in_real_files(data_root):
    files = sorted((data_root / "nmnist").glob("*/*/*.bin"))
    assert len(files) == 1100
    assert all((np.fromfile(f, np.uint8).reshape(-1, 5)[:, 1] != 240).all() for f in files)
