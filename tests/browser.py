"Load every page of a built site in real headless Chromium (Debian's) through Playwright, and report problems."
import functools, http.server, shutil, socketserver, threading
from html.parser import HTMLParser
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--enable-unsafe-swiftshader", "--autoplay-policy=no-user-gesture-required"]
WIDE, NARROW = 1400, 400  # the viewport widths every page is checked at (a desktop and a phone)
# The pages whose full-page screenshot is kept (a reader's first stops): a full-page screenshot of a long notebook
# page costs a third of its check in software rendering, and nothing reads them but a person.
SCREENSHOT_PAGES = ("index.html", "results.html")

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
  // every player must play: muted, started, and holding data for the current position (readyState >= 2)
  const aud = [];
  for (const a of audios) {
    a.muted = true;
    let played = true;
    try { await a.play(); } catch (e) { played = false; }
    for (let i = 0; i < 40 && a.readyState < 2; i++) await new Promise(r => setTimeout(r, 50));
    aud.push({src: (a.currentSrc || a.src).slice(0, 80), readyState: a.readyState, played,
              ok: played && a.readyState >= 2 && a.duration > 0 && !a.error});
    a.pause();
  }
  // every CSV link must resolve
  const csv = await Promise.all([...document.querySelectorAll('a[href$=".csv"]')].map(async l => {
      try { const r = await fetch(l.href); const n = (await r.text()).length;
          return {href: l.href, ok: r.ok && n > 0}; }
      catch (e) { return {href: l.href, ok: false}; } }));
  // a plotly div is drawn when it has its SVG layer and, for every 3D scene of its layout, a WebGL canvas
  const plots = [...document.querySelectorAll('.plotly-graph-div')].map(d => {
      const scenes = Object.keys(d._fullLayout || {}).filter(k => /^scene\\d*$/.test(k)).length;
      const canvases = d.querySelectorAll('.gl-container canvas').length;
      return {id: d.id, scenes, canvases, width: (d._fullLayout || {}).width, column: d.parentElement.clientWidth,
          ok: !!d.querySelector('.main-svg') && (scenes === 0 || canvases >= 1)}; });
  const iframes = [...document.querySelectorAll('iframe')].length;
  return {imgs, aud, csv, plots, iframes, title: document.title, text: document.body.innerText.length};
}"""

# Inside an iframe (a k3d snapshot): wait for its WebGL canvas. The result says whether the canvas has a WebGL context.
FRAME_CHECK = """async () => {
  for (let i = 0; i < 100 && !document.querySelector('canvas'); i++) await new Promise(r => setTimeout(r, 100));
  const c = document.querySelector('canvas');
  const webgl = !!c && !!(c.getContext('webgl2') || c.getContext('webgl'));
  return {title: document.title, canvas: document.querySelectorAll('canvas').length, webgl,
          w: c ? c.clientWidth : 0, h: c ? c.clientHeight : 0};
}"""

# Content wider than its column: an element reaching past the article's right edge that no scrolling box holds, or
# a page wider than the window. Returns a few offenders.
OVERFLOW_CHECK = """() => {
  const over = [], doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
      over.push(`page ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
  const col = document.querySelector('.bd-article') || document.querySelector('main') || document.body;
  const right = col.getBoundingClientRect().right;
  for (const el of col.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || r.right <= right + 1 || el.closest('mjx-assistive-mml')) continue;  // MathML for readers only
    let p = el.parentElement, held = false;
    for (; p && p !== col; p = p.parentElement) {
      // held: some scrolling or clipping box between it and the column ends within the column
      if (getComputedStyle(p).overflowX !== 'visible' && p.getBoundingClientRect().right <= right + 1) {
        held = true; break;
      }
    }
    const past = Math.round(r.right - right);
    if (!held) over.push(`${el.tagName.toLowerCase()}.${el.className} reaches ${past}px past the column`);
    if (over.length >= 5) break;
  }
  return over;
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

# The 3D scenes of a plotly figure: their names, where the first one's centre is on the page, and each one's eye.
SCENES = """(d) => {
  const L = d._fullLayout || {}, ss = Object.keys(L).filter(k => /^scene\\d*$/.test(k));
  if (!ss.length) return null;
  const r = d.getBoundingClientRect(), z = L._size, dx = L[ss[0]].domain.x, dy = L[ss[0]].domain.y;
  return {scenes: ss, x: r.left + z.l + (dx[0] + dx[1]) / 2 * z.w, y: r.top + z.t + (1 - (dy[0] + dy[1]) / 2) * z.h,
          // a drag updates the figure's layout; _fullLayout follows only on a relayout call
          eyes: ss.map(s => JSON.stringify(((d.layout[s] || {}).camera || L[s].camera).eye))};
}"""

def _drag_3d_plots(page, errs) -> list:
    """Drag across the first 3D scene of every plotly figure: its camera must turn, and the figure's other scenes
    (ground truth, ours and baselines side by side) must turn with it."""
    out = []
    for i, el in enumerate(page.query_selector_all(".plotly-graph-div")):
        if el.evaluate(SCENES) is None: continue
        el.scroll_into_view_if_needed()
        before = el.evaluate(SCENES)
        page.mouse.move(before["x"], before["y"]); page.mouse.down()
        page.mouse.move(before["x"] + 80, before["y"] + 20, steps=8); page.mouse.up()
        page.wait_for_timeout(400)
        after = el.evaluate(SCENES)["eyes"]
        turned, linked = after[0] != before["eyes"][0], len(set(after)) == 1
        if not turned: errs.append(f"3D plotly figure {i}: a drag did not turn its camera")
        elif not linked: errs.append(f"3D plotly figure {i}: its {len(after)} scenes did not turn together")
        out.append(dict(scenes=len(after), turned=turned, linked=linked))
    return out

def site_pages(html_dir) -> list[str]:
    "Every content page of a built site, relative to `html_dir` (not the index, search or `_static` pages)."
    html_dir = Path(html_dir)
    return sorted(str(p.relative_to(html_dir)) for p in html_dir.rglob("*.html")
                  if not p.name.startswith(("genindex", "search", "py-modindex")) and "_static" not in p.parts)


# Chromium keeps 16 WebGL contexts a page (one per plotly 3D scene or k3d snapshot) and blanks the oldest past that
WEBGL_LIMIT = "Too many active WebGL contexts"
INTERACTIVE = ("plotly-graph-div", "<audio", "<iframe")   # what only a browser can check: 3D, players, snapshots

def interactive(html_dir, rel: str) -> bool:
    "Whether page `rel` holds a plotly figure, an audio player or an iframe (a k3d snapshot)."
    text = (Path(html_dir)/rel).read_text(errors="ignore")
    return any(k in text for k in INTERACTIVE)

class _Links(HTMLParser):
    "The `src` and `href` attributes of a page's elements."
    def __init__(self):
        super().__init__(); self.urls = []
    def handle_starttag(self, tag, attrs):
        self.urls += [(k, v) for k, v in attrs if k in ("src", "href") and v]

def static_problems(html_dir, pages) -> list[str]:
    """Checks of pages without a browser: every `src` and every local `href` of each page names a file of the site
    (no request leaves the machine). For the static pages of a paper (text, tables and PNG figures from the same
    pipeline as the pages `check_site` loads)."""
    from urllib.parse import unquote, urlsplit
    html_dir, out = Path(html_dir), []
    for rel in pages:
        links = _Links(); links.feed((html_dir/rel).read_text(errors="ignore"))
        for attr, url in links.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "mailto") or (attr == "href" and parts.scheme in ("http", "https")): continue
            if parts.scheme or parts.netloc: out.append(f"{rel}: off-machine {attr}: {url}"); continue
            if parts.path and not ((html_dir/rel).parent/unquote(parts.path)).exists():
                out.append(f"{rel}: missing {attr}: {url}")
    return out

def check_site(html_dir, screenshot_dir=None, pages=None, all_screenshots: bool = False):
    """Visit every HTML page at 1400 px and 400 px; return {page: info} and a list of problems: failed or off-machine
    requests, console errors, images that do not decode, players that do not play, CSV links that do not resolve,
    plots that do not draw, content wider than its column. Full-page screenshots at 1400 px of the index and results
    pages (`SCREENSHOT_PAGES`), or of every page with `all_screenshots`, go to `screenshot_dir`."""
    from playwright.sync_api import sync_playwright
    html_dir = Path(html_dir)
    pages = pages or site_pages(html_dir)
    problems, infos = [], {}
    with serve(html_dir) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for rel in pages:
            page = browser.new_page(viewport={"width": WIDE, "height": 900})
            # a page's plotly figures draw before its load event, in software WebGL here (25 s for the heaviest page on
            # an idle 2-core host), and its scrolls, screenshots and drags redraw them: the 30 s default left no room
            # on a loaded host (a flaky failure in CI), so every action, the load included, may take 120 s
            page.set_default_timeout(120_000)
            errs = []
            page.on("console", lambda m, errs=errs: errs.append(f"console {m.type}: {m.text}")
                    if m.type == "error" or WEBGL_LIMIT in m.text else None)
            page.on("pageerror", lambda e, errs=errs: errs.append(f"page error: {e}"))
            # Chromium's media player cancels its first request and re-asks by byte range: an aborted media request is
            # not a failure (a player that really cannot load is caught below by the readyState/duration check)
            page.on("requestfailed", lambda r, errs=errs:
                    None if (r.resource_type == "media" and "ERR_ABORTED" in (r.failure or ""))
                    else errs.append(f"failed request: {r.url} ({r.failure})"))
            page.on("request", lambda r, errs=errs: errs.append(f"off-machine request: {r.url}")
                    if not r.url.startswith((base, "data:", "blob:", "about:")) else None)
            page.on("response", lambda r, errs=errs: errs.append(f"HTTP {r.status}: {r.url}")
                    if r.status >= 400 else None)
            page.goto(f"{base}/{rel}", wait_until="load")
            page.wait_for_timeout(300)
            info = page.evaluate(PAGE_CHECK)
            info["frames"] = _check_frames(page, errs)
            _check_3d_plots(page, errs)
            info["drags"] = _drag_3d_plots(page, errs)
            infos[rel] = info
            errs += [f"overflow at {WIDE}px: {o}" for o in page.evaluate(OVERFLOW_CHECK)]
            for kind, what in (("imgs", "image"), ("aud", "audio"), ("csv", "CSV link"), ("plots", "plot")):
                errs += [f"broken {what}: {item}" for item in info[kind] if not item["ok"]]
            if screenshot_dir is not None and (rel.endswith(SCREENSHOT_PAGES) or all_screenshots):
                out = Path(screenshot_dir)/(rel.replace("/", "__").removesuffix(".html") + ".png")
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), full_page=True)
            page.set_viewport_size({"width": NARROW, "height": 800})
            page.wait_for_timeout(200)
            errs += [f"overflow at {NARROW}px: {o}" for o in page.evaluate(OVERFLOW_CHECK)]
            problems += [f"{rel}: {e}" for e in errs]
            page.close()
        browser.close()
    return infos, problems


def check_search(html_dir, word: str) -> tuple[int, list[str]]:
    """Sphinx's search page, offline: search `word` and count the pages found; problems are failed or off-machine
    requests and console errors (the index is `searchindex.js`, served by the site itself)."""
    from playwright.sync_api import sync_playwright
    errs = []
    with serve(html_dir) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDE, "height": 900})
        page.set_default_timeout(120_000)
        page.on("console", lambda m: errs.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("requestfailed", lambda r: errs.append(f"failed request: {r.url} ({r.failure})"))
        page.on("request", lambda r: errs.append(f"off-machine request: {r.url}")
                if not r.url.startswith((base, "data:", "blob:", "about:")) else None)
        page.goto(f"{base}/search.html?q={word}", wait_until="load")
        try: page.wait_for_selector("#search-results li", timeout=60_000)
        except Exception: errs.append(f"no search results for {word!r}")
        n = len(page.query_selector_all("#search-results li"))
        browser.close()
    return n, errs


if __name__ == "__main__":      # every page of a built site in Chromium, screenshots included (the suite loads some)
    import sys, time
    html = Path(sys.argv[1] if len(sys.argv) > 1 else "build/site/html")
    t0 = time.time()
    infos, problems = check_site(html, screenshot_dir=Path("build/screenshots/all"), all_screenshots=True)
    print("\n".join(problems) or "no problem", f"\n{len(infos)} pages in {time.time() - t0:.0f} s")
    sys.exit(1 if problems else 0)
