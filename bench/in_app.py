"""Every page's default preset: its time in the app, with a browser watching, vs the same run in a script.

The app side starts `streamlit run app.py` (RNN_PLAYGROUND_DATA=../shared/data), opens each page in
headless Chromium, presses Train on the default preset and waits for the panel's final status. It
records what the page reports (the trainer's "in X s" in the status message - training time, as a
student sees it) and the wall time from the click to the result (what the student waits, queueing,
start-up and final scoring included), plus the click -> first loss point latency.

The script side replays *the very same run*: the server is started with RNN_PLAYGROUND_SPEC_DUMP, so
every run request (the WorkSpec: work function, configuration with seed, data arrays) is also pickled
to a folder; each is then run in a fresh Python process - no Streamlit, no browser - and timed the
same way. The ratio app / script is the overhead of serving it.

    .venv/bin/python bench/in_app.py                      # every page
    .venv/bin/python bench/in_app.py --pages sentiment    # one page
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from harness import TRAINING_PANELS, process_cpu, process_tree, server  # bench/harness.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The tokenised-data cache the app would use on this machine (core/data/disk_cache.py's default).
_CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
CACHE = Path(os.environ.get("RNN_PLAYGROUND_CACHE") or _CACHE_HOME / "rnn-playground")
TRAINED_IN = re.compile(r"in ([0-9.]+) s\.")
LOSS_IN_PROGRESS = re.compile(r"loss [0-9.]+")
# true once a progress text shows a loss (or the run has ended): 1 = a loss, 2 = ended first
FIRST_LOSS_JS = """() => {
  const bars = [...document.querySelectorAll('[data-testid="stProgress"]')];
  if (bars.some((e) => /loss [0-9.]+/.test(e.innerText))) return 1;
  return document.querySelector('[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentError"]') ? 2 : 0;
}"""

# page url path -> the training panel's key (its Train button is `st-key-<key with ':' -> '-'>`), from core/labs.py
PAGES: dict[str, str] = TRAINING_PANELS


@dataclass
class AppTiming:
    page: str
    reported_s: float | None  # the trainer's own training time, shown in the final status
    click_to_result_s: float
    first_loss_s: float | None  # click -> the first progress text with a loss
    status: str
    server_cpu_s: float = 0.0  # CPU seconds, click -> result: the Streamlit process itself
    workers_cpu_s: float = 0.0  # ... its worker processes (the training)
    browser_cpu_s: float = 0.0  # ... the headless browser (every Chromium process this bench started)
    other_cpu_s: float = 0.0  # ... everything else on the machine (other users)


def children_cpu(pid: int) -> tuple[int, float]:
    """How many child processes `pid` has, and their CPU seconds so far."""
    children = process_tree(pid)[1:]
    return len(children), sum(cpu for child in children if (cpu := process_cpu(child)) == cpu)  # NaN: gone


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def browser_cpu(server_pid: int) -> float:
    """CPU seconds of this bench's other descendants (Playwright's driver and Chromium): not the server's tree."""
    server_tree = set(process_tree(server_pid))
    mine = [pid for pid in process_tree(os.getpid())[1:] if pid not in server_tree]
    return sum(cpu for pid in mine if (cpu := process_cpu(pid)) == cpu)


def cpu_sample(pid: int) -> tuple[float, float, float, float]:
    """(server, its workers, the browser, the machine) CPU seconds so far."""
    return process_cpu(pid), children_cpu(pid)[1], browser_cpu(pid), machine_busy_seconds()


def wait_for_warm_workers(browser, url: str, pid: int, timeout: float = 180) -> float:
    """Open the Home page (which starts the run manager) and wait until its workers have warmed up:
    a warm server, as a class meets it. Returns the seconds it took."""
    start = time.perf_counter()
    context = browser.new_context()
    context.new_page().goto(url, wait_until="domcontentloaded")
    last, still_since = -1.0, None
    while time.perf_counter() - start < timeout:
        count, cpu = children_cpu(pid)
        if count and cpu > 2.0 and cpu - last < 0.05:  # TensorFlow imported (a fresh worker may wait first)
            still_since = still_since or time.perf_counter()
            if time.perf_counter() - still_since > 3:
                break
        else:
            still_since = None
        last = cpu
        time.sleep(0.5)
    context.close()
    return time.perf_counter() - start


def time_in_app(browser, url: str, page_path: str, key: str, timeout: float, pid: int) -> AppTiming:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{url}/{page_path}", wait_until="domcontentloaded")
        button = page.locator(f".st-key-{key.replace(':', '-')}-train button")
        button.wait_for(state="visible", timeout=120_000)
        page.wait_for_function("el => !el.disabled", arg=button.element_handle(), timeout=120_000)
        time.sleep(2)  # let the page settle (data loads, charts) before the click
        cpu0 = cpu_sample(pid)
        click = time.perf_counter()
        button.click()
        first_loss = None
        deadline = click + timeout
        try:  # polled in the page every 50 ms, so the figure isn't rounded up to this loop's pace
            seen = page.wait_for_function(FIRST_LOSS_JS, polling=50, timeout=timeout * 1000).json_value()
            first_loss = time.perf_counter() - click if seen == 1 else None
        except Exception:  # the run ended without a loss in the progress text (or it failed): the loop tells
            pass
        while time.perf_counter() < deadline:
            bars = page.locator('[data-testid="stProgress"]')
            if first_loss is None and bars.count() and LOSS_IN_PROGRESS.search(bars.first.inner_text() or ""):
                first_loss = time.perf_counter() - click
            alerts = page.locator(
                '[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentWarning"], '
                '[data-testid="stAlertContentError"]'
            )
            texts = [alerts.nth(i).inner_text() for i in range(alerts.count())]
            final = [t for t in texts if "Trained" in t or "Training failed" in t or "Stopped" in t]
            if final:
                done = time.perf_counter() - click
                found = TRAINED_IN.search(final[0])
                server, workers, browser, machine = (b - a for a, b in zip(cpu0, cpu_sample(pid), strict=True))
                return AppTiming(
                    page_path,
                    float(found.group(1)) if found else None,
                    done,
                    first_loss,
                    final[0][:160],
                    server,
                    workers,
                    browser,
                    machine - server - workers - browser,
                )
            time.sleep(0.25)
        return AppTiming(page_path, None, timeout, first_loss, "timed out")
    finally:
        context.close()


def replay(spec_file: Path) -> dict:
    """The dumped WorkSpec, run in a fresh process with no Streamlit: its own training seconds."""
    code = (
        "import json, pickle, sys, time\n"
        "from core.engine.history import StopSignal\n"
        "from core.engine.training_job import LiveProgress\n"
        "spec = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "start = time.perf_counter()\n"
        "out = spec(LiveProgress(), StopSignal())\n"
        "print(json.dumps({'reported_s': out.result.seconds, 'wall_s': time.perf_counter() - start,"
        " 'status': out.result.status}))\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code, str(spec_file)], cwd=ROOT, env=env, capture_output=True)
    lines = [line for line in done.stdout.decode().splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"error": done.stderr.decode()[-400:]}
    return json.loads(lines[-1])


def newest(folder: Path, page_key: str, before: set[Path]) -> Path | None:
    found = [p for p in folder.glob(f"{page_key}-*.pkl") if p not in before]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated url paths")
    parser.add_argument("--timeout", type=float, default=300.0, help="per page, seconds")
    parser.add_argument("--json", default="", help="write the figures here too")
    parser.add_argument("--keep-specs", default="", help="keep the dumped run requests in this folder")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    dump = Path(args.keep_specs) if args.keep_specs else Path(tempfile.mkdtemp(prefix="rnn-playground-specs-"))
    dump.mkdir(parents=True, exist_ok=True)
    log = ROOT / "bench" / "in_app-server.log"
    rows = []
    with server(DATA, CACHE, log, RNN_PLAYGROUND_SPEC_DUMP=str(dump)) as (url, pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        warm = wait_for_warm_workers(browser, url, pid)
        print(f"workers warm after {warm:.1f} s", flush=True)
        for page_path in [s.strip() for s in args.pages.split(",") if s.strip()]:
            key = PAGES[page_path]
            before = set(dump.glob("*.pkl"))
            app = time_in_app(browser, url, page_path, key, args.timeout, pid)
            spec_file = newest(dump, key, before)
            rows.append({"app": asdict(app), "spec": str(spec_file) if spec_file else None})
            print(f"{page_path}: {app.reported_s} s reported, {app.click_to_result_s:.1f} s to result", flush=True)
        browser.close()
    for row in rows:  # the scripts run after the server is gone: the same quiet machine for both
        row["script"] = replay(Path(row["spec"])) if row["spec"] else {"error": "no spec was dumped"}
    report(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    if not args.keep_specs:
        for spec in dump.glob("*.pkl"):
            spec.unlink()
        dump.rmdir()


def report(rows: list[dict]) -> None:
    print(f"\nload average: {Path('/proc/loadavg').read_text().split()[:3]}")
    header = f"{'page':<14}{'app (reported)':>16}{'script':>10}{'ratio':>8}{'click->result':>15}"
    header += f"{'first loss':>12}{'CPU: server/workers/browser/other':>35}  status"
    print(header)
    print("-" * len(header))
    for row in rows:
        app, script = row["app"], row["script"]
        reported, own = app["reported_s"], script.get("reported_s")
        ratio = f"{reported / own:.2f}" if reported and own else "-"
        first = f"{app['first_loss_s']:.1f} s" if app["first_loss_s"] is not None else "-"
        own_text = f"{own:.1f} s" if own else "error"
        reported_text = f"{reported:.1f} s" if reported else "-"
        print(
            f"{app['page']:<14}{reported_text:>16}{own_text:>10}{ratio:>8}"
            f"{app['click_to_result_s']:>13.1f} s{first:>12}"
            f"{app['server_cpu_s']:>13.1f} /{app['workers_cpu_s']:>5.1f} /{app['browser_cpu_s']:>5.1f}"
            f" /{app['other_cpu_s']:>5.1f} s"
            f"  {app['status'][:50]}"
        )
        if "error" in script:
            print(f"    script error: {script['error']}")
    print("\nTarget (issue 12): app <= 1.15 x script; first loss <= 2 s after the click on a warm server.")


if __name__ == "__main__":
    main()
