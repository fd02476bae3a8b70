"""JupyterLab, started headless from the project's environment, runs a paper notebook's first cells in the registered
kernel."""
import asyncio, json, os, secrets, socket, subprocess, sys, time, uuid
from pathlib import Path
import pytest
import requests
from conftest import REPO

pytestmark = pytest.mark.slow

NOTEBOOK = "nbs/papers/visual_sound/03_model.ipynb"
N_CELLS = 4

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp_path_factory.mktemp("lab")/"lab.log", "w")
    jupyter = Path(sys.executable).parent/"jupyter"
    proc = subprocess.Popen([str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={REPO}",
                             "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if requests.get(f"{base}/api/status", params={"token": token}, timeout=1).ok: break
        except requests.RequestException: pass
        time.sleep(0.5)
    else:
        proc.terminate(); pytest.fail(f"JupyterLab did not start; log: {log.name}")
    yield base, token, port
    proc.terminate()
    try: proc.wait(10)
    except subprocess.TimeoutExpired: proc.kill()

def test_lab_serves_the_ui_and_lists_the_paper_kit_kernel(lab):
    base, token, _ = lab
    r = requests.get(f"{base}/lab", params={"token": token}, timeout=10)
    assert r.status_code == 200 and "<title>JupyterLab</title>" in r.text
    specs = requests.get(f"{base}/api/kernelspecs", params={"token": token}, timeout=10).json()["kernelspecs"]
    assert "paper-kit" in specs, f"the set-up registers a 'paper-kit' kernel; found {list(specs)}"

async def _execute(port, token, kernel_id, codes):
    from tornado.websocket import websocket_connect
    ws = await websocket_connect(f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={token}")
    results = []
    for code in codes:
        msg_id = uuid.uuid4().hex
        await ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False}}))
        # the reply comes on the shell channel and the outputs on iopub, in no fixed order over the one websocket:
        # a cell is done when its reply has come and iopub has reported the kernel idle again for this request
        outputs, reply, idle = [], None, False
        while reply is None or not idle:
            m = json.loads(await asyncio.wait_for(ws.read_message(), timeout=120))
            if m.get("parent_header", {}).get("msg_id") != msg_id: continue
            if m["msg_type"] in ("stream", "execute_result", "error"): outputs.append(m["content"])
            if m["msg_type"] == "execute_reply": reply = m["content"]
            if m["msg_type"] == "status" and m["content"].get("execution_state") == "idle": idle = True
        results.append((reply, outputs))
    ws.close()
    return results

def test_lab_runs_the_first_cells_of_a_paper_notebook(lab):
    base, token, port = lab
    nb = json.loads((REPO/NOTEBOOK).read_text())
    codes = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"][:N_CELLS]
    r = requests.post(f"{base}/api/sessions", params={"token": token}, timeout=60, json={
        "path": NOTEBOOK, "type": "notebook", "name": Path(NOTEBOOK).name, "kernel": {"name": "paper-kit"}})
    assert r.status_code == 201, r.text
    kid = r.json()["kernel"]["id"]
    results = asyncio.run(_execute(port, token, kid, codes + ["import sys, paper_kit; print(sys.executable)"]))
    for (reply, outputs), code in zip(results, codes):
        assert reply["status"] == "ok", f"cell failed in JupyterLab:\n{code}\n{outputs}"
    exe = "".join(o.get("text", "") for o in results[-1][1]).strip()
    assert exe and Path(exe).resolve().parent == Path(sys.executable).resolve().parent, exe
    requests.delete(f"{base}/api/sessions/{r.json()['id']}", params={"token": token}, timeout=30)

# ---------------------------------------------------------------- live widgets, in JupyterLab's own page
from browser import chromium_path, CHROMIUM_ARGS  # noqa: E402

WIDGET_NOTEBOOKS = {  # notebook -> what its live cells must show once run in JupyterLab
    "nbs/geometry/02_raster.ipynb": {"sliders": 3, "images": 3},
    "nbs/audio/00_spatial.ipynb": {"sliders": 2, "images": 1, "audio": 1},
    "nbs/geometry/03_points.ipynb": {"k3d": 1},
}

LIVE_CHECK = """() => {
  const out = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output');
  const inOut = (sel) => [...out].reduce((n, o) => n + o.querySelectorAll(sel).length, 0);
  // a live k3d widget: k3d's own view (.k3d-target) holding a drawn WebGL canvas; plotly's 3D scenes and the k3d
  // snapshots (iframes) do not count
  const k3d = [...out].filter(o => [...o.querySelectorAll('.k3d-target canvas')].some(c => c.width > 50)).length;
  const stderr = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
  return {sliders: inOut('.widget-slider'), images: inOut('.widget-image, img.jupyter-widgets'),
          audio: inOut('audio'), k3d,
          errors: [...document.querySelectorAll(stderr)]
                    .map(e => e.innerText).filter(t => /Error|Traceback/.test(t)).map(t => t.slice(0, 300)),
          busy: [...document.querySelectorAll('.jp-InputPrompt')].some(p => p.innerText.includes('*'))};
}"""

@pytest.mark.skipif(chromium_path() is None, reason="Debian chromium is not installed")
@pytest.mark.parametrize("notebook", list(WIDGET_NOTEBOOKS))
def test_live_widgets_render_in_jupyterlab(lab, notebook):
    """Open a toolkit notebook in JupyterLab in headless Chromium, run all its cells from the Run menu, and check
    that its live widgets render (ipywidgets sliders, images and players; a k3d WebGL canvas) with no error. The
    notebook runs as a copy under build/ (git-ignored), so JupyterLab's autosave cannot touch the source."""
    from playwright.sync_api import sync_playwright
    base, token, _ = lab
    copy = REPO/"build"/"lab_test"/Path(notebook).name
    copy.parent.mkdir(parents=True, exist_ok=True)
    nb = json.loads((REPO/notebook).read_text())
    nb["metadata"]["kernelspec"] = {"name": "paper-kit", "display_name": "Python (paper_kit)", "language": "python"}
    copy.write_text(json.dumps(nb))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        console = []  # shown when a check fails (JupyterLab logs some errors of its own offline, so not asserted on)
        page.on("console", lambda m: console.append(m.text[:200]) if m.type == "error" else None)
        page.goto(f"{base}/lab/tree/{copy.relative_to(REPO)}?token={token}&reset")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        page.wait_for_function("() => /Python \\(paper_kit\\) \\| Idle/.test(document.body.innerText)", timeout=120_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        page.wait_for_timeout(2000)
        page.wait_for_function(f"() => !({LIVE_CHECK})().busy", timeout=300_000, polling=1000)
        page.wait_for_timeout(3000)  # let the widget views and WebGL draw
        found = page.evaluate(LIVE_CHECK)
        page.screenshot(path=str(copy.with_suffix(".png")), full_page=False)
        browser.close()
    assert not found["errors"], found["errors"]
    for what, n in WIDGET_NOTEBOOKS[notebook].items():
        assert found[what] >= n, f"{notebook}: expected {n} {what}, found {found}; console errors: {console[-10:]}"
    assert not [e for e in errors if "ResizeObserver" not in e], errors
