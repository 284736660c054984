"""A real browser: JupyterLab in headless Chromium runs notebook 01, a slider moves, the figure changes.

Needs Debian's /usr/bin/chromium and the playwright Python package (never `playwright install`).
JupyterLab runs on 127.0.0.1 with a random token, HOME and Jupyter config/data/runtime folders in
a temporary directory (the user's settings do not interfere), SNNLAB_QUICK=1; the server is always
terminated.  Screenshots go to test-artifacts/.
"""
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
TIMEOUT = 120.0
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout=TIMEOUT, step=0.5, what="condition"):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if predicate():
                return True
        except RuntimeError:
            break
        except Exception:  # noqa: BLE001 - keep polling
            pass
        time.sleep(step)
    raise TimeoutError(f"gave up after {time.monotonic() - t0:.0f} s waiting for {what}")


@pytest.fixture
def jupyter(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright (python package) not installed")
    jupyter_bin = Path(sys.executable).with_name("jupyter")
    if not jupyter_bin.exists():
        pytest.skip("jupyter not installed in this environment")
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path / "home"
    env = dict(os.environ, HOME=str(home), SNNLAB_QUICK="1",
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"), IPYTHONDIR=str(home / ".ipython"))
    env.pop("JUPYTER_DATA_DIR", None)
    home.mkdir()
    # no autosave: Run All must never write outputs into the committed notebook
    settings = home / "lab-settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    log = open(tmp_path / "jupyter.log", "w")
    proc = subprocess.Popen(
        [str(jupyter_bin), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={REPO}", "--ServerApp.open_browser=False"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO), start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        def up():
            if proc.poll() is not None:
                raise RuntimeError("exited")
            with urllib.request.urlopen(f"{base}/api?token={token}", timeout=5) as r:
                return r.status == 200
        try:
            _wait(up, what="the Jupyter server (/api)")
        except TimeoutError:
            log.flush()
            pytest.fail("Jupyter server did not start:\n" + (tmp_path / "jupyter.log").read_text()[-3000:])
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        shutil.copy(tmp_path / "jupyter.log", ARTIFACTS / "jupyter.log") if ARTIFACTS.is_dir() else None


def _status_idle(page) -> bool:
    """The kernel status in the bottom status bar (not the toolbar) says Idle."""
    txt = page.locator(".jp-StatusBar-Widget").all_inner_texts()
    return any("Idle" in t for t in txt)


def test_slider_changes_figure(jupyter):
    from playwright.sync_api import sync_playwright
    base, token = jupyter
    ARTIFACTS.mkdir(exist_ok=True)
    t_start = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(TIMEOUT * 1000)
            page.goto(f"{base}/lab/tree/notebooks/01_lif_neuron.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=TIMEOUT * 1000)
            _wait(lambda: _status_idle(page), what="kernel Idle in the status bar")
            page.screenshot(path=str(ARTIFACTS / "browser_01_opened.png"))

            assert "01_lif_neuron" in page.title() or page.locator(".jp-Notebook").count() == 1
            # Run -> Run All Cells
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            slider = page.locator(".widget-slider").first
            img_sel = ".widget-output img"
            _wait(lambda: slider.count() > 0 and page.locator(img_sel).count() > 0,
                  what="the widget sliders and the figure")
            _wait(lambda: _status_idle(page) and "[*]" not in page.locator(".jp-InputPrompt").all_inner_texts()
                  .__str__(), what="all cells finished")
            img = page.locator(img_sel).first
            img.scroll_into_view_if_needed()
            src0 = img.get_attribute("src")
            page.screenshot(path=str(ARTIFACTS / "browser_02_ran.png"))

            # move the tau_mp slider: focus its handle, press ArrowRight a few times
            handle = page.locator(".widget-slider .noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.click()
            for _ in range(3):
                handle.press("ArrowRight")
            _wait(lambda: page.locator(img_sel).count() > 0 and
                  page.locator(img_sel).first.get_attribute("src") != src0,
                  what="the figure to change after moving the slider")
            # let every queued redraw finish, then the figure must still differ from the first one
            page.wait_for_timeout(1000)
            _wait(lambda: _status_idle(page), what="kernel Idle after the redraws")
            page.wait_for_timeout(1000)
            assert page.locator(img_sel).count() == 1, "figures piled up in the widget output"
            assert page.locator(img_sel).first.get_attribute("src") != src0
            page.screenshot(path=str(ARTIFACTS / "browser_03_slider_moved.png"))
            readout = page.locator(".widget-readout").first.inner_text()
            assert readout.strip() not in ("20", "20.00"), f"slider readout still {readout!r}"
        finally:
            browser.close()
    print(f"browser test: {time.monotonic() - t_start:.1f} s")
