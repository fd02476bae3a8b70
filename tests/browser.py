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
  const plots = [...document.querySelectorAll('.plotly-graph-div')].map(d => ({id: d.id, ok: !!d.querySelector('.main-svg')}));
  const iframes = [...document.querySelectorAll('iframe')].length;
  return {imgs, aud, plots, iframes, title: document.title, text: document.body.innerText.length};
}"""

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
