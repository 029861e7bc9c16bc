"""Benchmark: every guided experiment, run as a visitor runs it, with its claim checked.

For each experiment of each page (core/<lab>/experiments.py) a fresh AppTest session opens the
real page, presses the experiment's button (which sets the controls through the link machinery),
presses the experiment's Train button, and waits for the run to end. The page builds the work
exactly as it does for a visitor (its make_work -> core/<lab>/jobs.py); training runs on a thread
in this process (RNN_PLAYGROUND_WORKERS=0), so this process's CPU time is the run's. It prints,
per experiment: the training time (wall, and CPU of this process), the time from the Train click
to the check on the page (wall), whether the page said "This run showed it", and the claim's
sentence; then the load average. `--fresh-seed` adds a second run with the seed control changed
(pages that have one). Reads the real data from ../shared/data or RNN_PLAYGROUND_DATA.

    PYTHONPATH=. .venv/bin/python bench/experiments.py [--page gradient-lab] [--only 2] [--fresh-seed]

Prints figures; asserts nothing. Timings depend on whatever else runs on the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["RNN_PLAYGROUND_WORKERS"] = "0"
_ROOT = Path(__file__).resolve().parent.parent
_DATA = _ROOT.parent / "shared" / "data"
if "RNN_PLAYGROUND_DATA" not in os.environ and _DATA.is_dir():
    os.environ["RNN_PLAYGROUND_DATA"] = str(_DATA)

from streamlit.testing.v1 import AppTest  # noqa: E402

from core.engine.experiments import Experiment, check  # noqa: E402
from core.labs import LABS  # noqa: E402
from ui.experiments import PAGES, experiments_for  # noqa: E402

PAGE_FILES = {lab.key: lab.path for lab in LABS}  # page key -> its script (core/labs.py)
TIMEOUT = 300
SEEDED = {"gradient-lab"}  # pages with a seed control; the others train with the fixed seed 0


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(_ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE_FILES[page])
    at.run()
    return at


def button(at: AppTest, key: str):
    found = [b for b in at.button if b.key == key]
    if not found:
        raise SystemExit(f"no button {key!r} on the page; exceptions: {[e.value for e in at.exception]}")
    return found[0]


def verdict_text(at: AppTest, number: int) -> str:
    for element in [*at.success, *at.warning]:
        if element.value.startswith(f"**Experiment {number}. This run"):
            return element.value
    return ""


def run_one(page: str, e: Experiment, fresh_seed: bool = False) -> dict:
    at = open_page(page)
    button(at, f"experiments-{page}-{e.number}").click()
    at.run()
    if fresh_seed:  # the page's seed control (the experiment leaves it at the preset's)
        seed = next((w for w in at.number_input if str(w.key).endswith(":seed")), None)
        if seed is None:
            return {"error": "this page has no seed control"}
        seed.set_value(int(seed.value) + 1)
        at.run()
    panel = e.panel or page
    cpu0, wall0 = time.process_time(), time.perf_counter()
    button(at, f"{panel}:train").click()
    at.run()
    deadline = wall0 + TIMEOUT
    text, ended_seen, retries = "", False, 3
    while time.perf_counter() < deadline:
        if at.exception:
            if retries:  # CPython 3.11 can fail to compile a page while a training thread runs ("AST constructor
                retries -= 1  # recursion depth mismatch"): redraw; a real error comes back every time
                at.run()
                continue
            return {"error": "; ".join(x.value[:200] for x in at.exception)}
        text = verdict_text(at, e.number)
        state = panel_state(at, panel)
        if text or (state is not None and not state.job.running and ended_seen):
            break
        ended_seen = state is not None and not state.job.running  # one more rerun draws the page after the end
        time.sleep(1.0)
        at.run()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if at.exception:  # the check's own views failed to draw
        return {"error": "after the check: " + "; ".join(x.value[:200] for x in at.exception)}
    state = panel_state(at, panel)
    if state is None:
        return {"error": "the run did not start: " + " | ".join(x.value[:200] for x in at.error)}
    output = state.job.output if state.job.state == "done" else None
    held, sentence = check(e, output) if output is not None else (False, f"run ended: {state.job.state}")
    trained = output.result.seconds if output is not None and output.result is not None else float("nan")
    return {
        "train_s": trained,
        "wall": wall,
        "cpu": cpu,
        "page_says": "showed it" if "showed it" in text else "did not show it" if text else "no check shown",
        "held": held,
        "sentence": sentence,
    }


def panel_state(at: AppTest, panel: str):
    from ui.training_panel import _state_key

    return at.session_state[_state_key(panel)] if _state_key(panel) in at.session_state else None  # noqa: SIM401


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page", choices=list(PAGES), action="append", help="only these pages (repeatable)")
    parser.add_argument("--only", type=int, action="append", help="only these experiment numbers (repeatable)")
    parser.add_argument("--fresh-seed", action="store_true", help="also run on seed + 1 (pages with a seed control)")
    args = parser.parse_args()
    print(f"data: {os.environ.get('RNN_PLAYGROUND_DATA', '(downloads / generated)')}; load {_load()}", flush=True)
    for page in args.page or list(PAGES):
        for e in experiments_for(page):
            if args.only and e.number not in args.only:
                continue
            for fresh in (False, True) if args.fresh_seed and page in SEEDED else (False,):
                r = run_one(page, e, fresh)
                suffix = " (seed + 1)" if fresh else ""
                head = f"{page} #{e.number}{suffix} {e.title[:50]}"
                if "error" in r:
                    print(f"{head}: ERROR {r['error']}", flush=True)
                    continue
                print(
                    f"{head}: train {r['train_s']:.1f} s, click->check {r['wall']:.1f} s wall / {r['cpu']:.1f} s CPU; "
                    f"claim {'HELD' if r['held'] else 'NOT HELD'} (page: {r['page_says']}); load {_load()}\n"
                    f"    {r['sentence']}",
                    flush=True,
                )


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
