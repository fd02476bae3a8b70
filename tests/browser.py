"Load every page of a built site in real headless Chromium (Debian's) through Playwright, and report problems."
import functools, http.server, shutil, socketserver, threading
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--enable-unsafe-swiftshader"]

def chromium_path():
    for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(p).exists(): return p
    return shutil.which("chromium")

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

@contextmanager
def serve(folder):
    handler = functools.partial(_Quiet, directory=str(folder))
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as httpd:
        t = threading.Thread(target=httpd.serve_forever, daemon=True); t.start()
        try: yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally: httpd.shutdown()

# Checks run inside each page: every image decoded, every audio player loadable, every plotly div drawn.
PAGE_CHECK = """async () => {
  const imgs = [...document.querySelectorAll('img')].map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0}));
  const audios = [...document.querySelectorAll('audio')];
  await Promise.all(audios.map(a => a.readyState >= 1 ? null : new Promise(r => {
      a.addEventListener('loadedmetadata', r, {once: true}); a.addEventListener('error', r, {once: true});
      a.load(); setTimeout(r, 4000); })));
  const aud = audios.map(a => ({src: (a.currentSrc || a.src).slice(0, 80), ok: a.readyState >= 1 && a.duration > 0 && !a.error}));
  // a plotly div is drawn when it has its SVG layer and, for every 3D scene of its layout, a WebGL canvas
  const plots = [...document.querySelectorAll('.plotly-graph-div')].map(d => {
      const scenes = Object.keys(d._fullLayout || {}).filter(k => /^scene\\d*$/.test(k)).length;
      const canvases = d.querySelectorAll('.gl-container canvas').length;
      return {id: d.id, scenes, canvases, width: (d._fullLayout || {}).width, column: d.parentElement.clientWidth, ok: !!d.querySelector('.main-svg') && (scenes === 0 || canvases >= 1)}; });
  const iframes = [...document.querySelectorAll('iframe')].length;
  return {imgs, aud, plots, iframes, title: document.title, text: document.body.innerText.length};
}"""

# Inside an iframe (a k3d snapshot): wait for its WebGL canvas. The result says whether the canvas has a WebGL context.
FRAME_CHECK = """async () => {
  for (let i = 0; i < 100 && !document.querySelector('canvas'); i++) await new Promise(r => setTimeout(r, 100));
  const c = document.querySelector('canvas');
  const webgl = !!c && !!(c.getContext('webgl2') || c.getContext('webgl'));
  return {title: document.title, canvas: document.querySelectorAll('canvas').length, webgl,
          w: c ? c.clientWidth : 0, h: c ? c.clientHeight : 0};
}"""

def distinct_colors(png: bytes) -> int:
    "Number of distinct RGB colours in a PNG screenshot (a blank canvas has one or two)."
    import io
    from PIL import Image
    return len(Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 24))

def _check_frames(page, errs) -> list:
    "Every iframe of the page: a k3d snapshot must show a WebGL canvas with something drawn on it."
    out = []
    for i, el in enumerate(page.query_selector_all("iframe")):
        fr = el.content_frame()
        if fr is None: errs.append(f"iframe {i} has no document"); continue
        info = fr.evaluate(FRAME_CHECK)
        info["k3d"] = info["title"].startswith("K3D")
        if info["k3d"]:
            page.wait_for_timeout(500)  # let the first frames render
            el.scroll_into_view_if_needed()
            info["colors"] = distinct_colors(el.screenshot())
            if not (info["canvas"] and info["webgl"] and info["w"] > 50 and info["colors"] > 20):
                errs.append(f"broken k3d snapshot in iframe {i}: {info}")
        out.append(info)
    return out

def _check_3d_plots(page, errs) -> None:
    "Every plotly figure with a 3D scene must have drawn something (not a blank canvas)."
    for i, el in enumerate(page.query_selector_all(".plotly-graph-div")):
        if el.query_selector(".gl-container canvas") is None: continue
        el.scroll_into_view_if_needed()
        n = distinct_colors(el.screenshot())
        if n <= 20: errs.append(f"blank 3D plotly figure {i} ({n} colours)")

def check_site(html_dir, screenshot_dir=None, pages=None):
    "Visit every HTML page; return {page: info} and a list of problems (failed/external requests, console errors, broken media)."
    from playwright.sync_api import sync_playwright
    html_dir = Path(html_dir)
    pages = pages or sorted(str(p.relative_to(html_dir)) for p in html_dir.rglob("*.html")
                            if not p.name.startswith(("genindex", "search", "py-modindex")) and "_static" not in p.parts)
    problems, infos = [], {}
    with serve(html_dir) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for rel in pages:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errs = []
            page.on("console", lambda m, errs=errs: errs.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e, errs=errs: errs.append(f"page error: {e}"))
            # Chromium's media player cancels its first request and re-asks by byte range: an aborted media request is
            # not a failure (a player that really cannot load is caught below by the readyState/duration check)
            page.on("requestfailed", lambda r, errs=errs: None if (r.resource_type == "media" and "ERR_ABORTED" in (r.failure or ""))
                    else errs.append(f"failed request: {r.url} ({r.failure})"))
            page.on("request", lambda r, errs=errs: errs.append(f"off-machine request: {r.url}")
                    if not r.url.startswith((base, "data:", "blob:", "about:")) else None)
            page.on("response", lambda r, errs=errs: errs.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
            page.goto(f"{base}/{rel}", wait_until="load")
            page.wait_for_timeout(300)
            info = page.evaluate(PAGE_CHECK)
            info["frames"] = _check_frames(page, errs)
            _check_3d_plots(page, errs)
            infos[rel] = info
            for kind in ("imgs", "aud", "plots"):
                for item in info[kind]:
                    if not item["ok"]: errs.append(f"broken {kind[:-1] if kind != 'aud' else 'audio'}: {item}")
            if screenshot_dir is not None:
                out = Path(screenshot_dir)/(rel.replace("/", "__").removesuffix(".html") + ".png")
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), full_page=True)
            problems += [f"{rel}: {e}" for e in errs]
            page.close()
        browser.close()
    return infos, problems
