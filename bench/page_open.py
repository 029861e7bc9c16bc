"""How fast every page opens: seconds until it is interactive, and until it is fully loaded.

Starts the real app (`streamlit run app.py`) on a free loopback port with the real data
(RNN_PLAYGROUND_DATA) and its own data cache folder (RNN_PLAYGROUND_CACHE), opens each page in
headless Chromium and prints, per page:

- interactive: seconds from the navigation until the page's title and its sidebar controls
  (on Home: the page links) are visible and enabled;
- loaded: seconds until the script has finished (no running indicator, no spinner);
- server CPU: CPU seconds the server process spent meanwhile (it shares the box with others).

Scenarios: (a) a freshly started server with an empty cache folder, (b) a freshly started server
with the cache already filled, (c) a warm server (every page opened once before, new session).
For (a) and (b) the server is restarted for every page.

    PYTHONPATH=. .venv/bin/python bench/page_open.py [--scenarios abc] [--pages home,sentiment,...]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness import PAGE_VIEWS, process_cpu, server

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

PAGES = PAGE_VIEWS  # name -> URL path (with query): every page of core/labs.py, and extra views it names
SCENARIOS = {"a": "fresh server, empty cache", "b": "fresh server, filled cache", "c": "warm server"}

# One snapshot of the page: is the title shown, are the sidebar controls enabled, is the script running?
PROBE = """() => {
  const shown = (e) => !!e && e.getClientRects().length > 0;
  const main = document.querySelector('[data-testid="stMain"]');
  const title = main ? [...main.querySelectorAll('h1')].some(shown) : false;
  const side = document.querySelector('[data-testid="stSidebarUserContent"]');
  const controls = side ? [...side.querySelectorAll('input, textarea, [role="slider"], button')]
      .filter((e) => shown(e) && !e.disabled && e.getAttribute('aria-disabled') !== 'true').length : 0;
  const links = [...document.querySelectorAll('[data-testid="stSidebarNav"] a, [data-testid="stPageLink"] a')]
      .filter(shown).length;
  const running = !!document.querySelector('[data-testid="stStatusWidget"]')
      || !!document.querySelector('[data-testid="stSpinner"]');
  const error = !!document.querySelector('[data-testid="stException"]');
  return {title, controls, links, running, error};
}"""


@dataclass
class Opening:
    page: str
    scenario: str
    interactive_s: float | None
    loaded_s: float | None
    server_cpu_s: float
    error: bool


def open_page(browser, url: str, pid: int, name: str, scenario: str, timeout: float) -> Opening:
    """Open one page in a new browser context (a new session) and time it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    cpu0 = process_cpu(pid)
    start = time.perf_counter()
    page.goto(f"{url}/{PAGES[name]}", wait_until="commit")
    interactive = loaded = quiet_since = None
    error = False
    while time.perf_counter() - start < timeout:
        now = time.perf_counter() - start
        try:
            state = page.evaluate(PROBE)
        except Exception:  # the page is still navigating
            time.sleep(0.05)
            continue
        error = error or state["error"]
        ready = state["title"] and (state["links"] > 0 if name == "home" else state["controls"] > 0)
        if interactive is None and ready:
            interactive = now
        if ready and not state["running"]:
            quiet_since = now if quiet_since is None else quiet_since
            if now - quiet_since >= 1.5:  # idle for 1.5 s: the script has really finished
                loaded = quiet_since
                break
        else:
            quiet_since = None
        time.sleep(0.05)
    cpu = process_cpu(pid) - cpu0
    context.close()
    return Opening(name, scenario, interactive, loaded, cpu, error)


def fill_cache(data: Path, cache: Path) -> None:
    """Fill the cache folder the way the app does on first use (tokenise the local IMDb copy once)."""
    env = dict(os.environ, RNN_PLAYGROUND_DATA=str(data), RNN_PLAYGROUND_CACHE=str(cache), PYTHONPATH=str(ROOT))
    code = "from core.data import imdb; imdb.load_imdb(allow_download=False)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def measure(browser, scenario: str, pages: list[str], data: Path, work: Path, log: Path, timeout: float):
    results = []
    if scenario == "c":
        cache = work / "cache-warm"
        with server(data, cache, log) as (url, pid):
            for name in pages:  # warm-up: every page once, unmeasured
                open_page(browser, url, pid, name, "warm-up", timeout)
            for name in pages:
                results.append(report(open_page(browser, url, pid, name, scenario, timeout)))
        return results
    filled = work / "cache-filled"
    if scenario == "b" and not filled.exists():
        fill_cache(data, filled)
    for name in pages:
        cache = filled if scenario == "b" else Path(tempfile.mkdtemp(prefix="cache-empty-", dir=work))
        with server(data, cache, log) as (url, pid):
            results.append(report(open_page(browser, url, pid, name, scenario, timeout)))
        if scenario == "a":
            shutil.rmtree(cache, ignore_errors=True)
    return results


def seconds(value: float | None) -> str:
    return "timeout" if value is None else f"{value:6.2f}"


def report(o: Opening) -> Opening:
    load = Path("/proc/loadavg").read_text().split()[0]
    print(
        f"  ({o.scenario}) {o.page:15s} interactive {seconds(o.interactive_s)} s   loaded {seconds(o.loaded_s)} s   "
        f"server CPU {o.server_cpu_s:5.2f} s   load {load}{'   EXCEPTION SHOWN' if o.error else ''}",
        flush=True,
    )
    return o


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="abc", help="any of a (fresh, empty cache), b (fresh, filled), c (warm)")
    parser.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated, of: {', '.join(PAGES)}")
    parser.add_argument("--data", default=os.environ.get("RNN_PLAYGROUND_DATA", str(DEFAULT_DATA)))
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for one page")
    parser.add_argument("--log", help="append the servers' output to this file (default: thrown away)")
    args = parser.parse_args()
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in pages if p not in PAGES] + [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown page or scenario: {unknown}")
    from playwright.sync_api import sync_playwright

    wall0, cpu0 = time.perf_counter(), time.process_time()
    work = Path(tempfile.mkdtemp(prefix="page-open-"))
    results: list[Opening] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            for scenario in args.scenarios:
                print(f"({scenario}) {SCENARIOS[scenario]}", flush=True)
                log = Path(args.log) if args.log else work / "streamlit.log"
                results += measure(browser, scenario, pages, Path(args.data), work, log, args.timeout)
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("\npage             " + "".join(f"  ({s}) interactive / loaded" for s in args.scenarios))
    for name in pages:
        row = {o.scenario: o for o in results if o.page == name}
        cells = [f"  {seconds(row[s].interactive_s):>16} / {seconds(row[s].loaded_s):>6}" for s in args.scenarios]
        print(f"{name:16s} " + "".join(cells))
    print(
        f"\nbench wall {time.perf_counter() - wall0:.0f} s, bench CPU {time.process_time() - cpu0:.1f} s, "
        f"child processes (servers, browser) CPU {children.ru_utime + children.ru_stime:.1f} s, "
        f"load average {Path('/proc/loadavg').read_text().strip()}"
    )


if __name__ == "__main__":
    main()
