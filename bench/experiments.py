"""Benchmark: every guided experiment, run as a visitor runs it, with its claim checked.

For each experiment of each page (core/<lab>/experiments.py) a fresh AppTest session opens the
real page, presses the experiment's button (which sets the controls through the link machinery),
presses the experiment's Train button, and waits for the run to end. The page builds the work
exactly as it does for a visitor (its make_work -> core/<lab>/jobs.py); training runs on a thread
in this process (RNN_PLAYGROUND_WORKERS=0), so this process's CPU time is the run's. It prints,
per experiment: the training time (wall, and CPU of this process), the time from the Train click
to the check on the page (wall), whether the page said "This run showed it", and the claim's
sentence; then the load average. `--fresh-seed` adds a second run with the seed control changed
(pages that have one). `--seeds 0,1,2` runs each experiment once per training seed (the seed of every
TrainConfig in the run's work: initial weights and batch order; seed 0 is the visitor's own run) and
prints each experiment's hold rate over the seeds with every run's outcome and margin. `--offline`
runs with no data folder and every download failing (the generated stand-ins). Reads the real data from
../shared/data or RNN_PLAYGROUND_DATA.

    PYTHONPATH=. .venv/bin/python bench/experiments.py [--page gradient-lab] [--only 2] [--seeds 0,1,2] [--offline]

Prints figures; asserts nothing. Timings depend on whatever else runs on the machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["RNN_PLAYGROUND_WORKERS"] = "0"
_ROOT = Path(__file__).resolve().parent.parent
_DATA = _ROOT.parent / "shared" / "data"
if "RNN_PLAYGROUND_DATA" not in os.environ and _DATA.is_dir():
    os.environ["RNN_PLAYGROUND_DATA"] = str(_DATA)

from streamlit.testing.v1 import AppTest  # noqa: E402

from core.engine.config import TrainConfig  # noqa: E402
from core.engine.experiments import Experiment, judge_run  # noqa: E402
from core.engine.runs import RunManager  # noqa: E402
from core.engine.training_job import WorkSpec  # noqa: E402
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
    for element in [*at.success, *at.warning, *at.info]:
        if element.value.startswith(f"**Experiment {number}."):
            return element.value
    return ""


def reseeded(value, seed: int):
    """`value` with every TrainConfig inside it (dataclass fields, tuples, lists, dicts) trained with `seed`."""
    if isinstance(value, TrainConfig):
        return dataclasses.replace(value, seed=seed)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {}
        for f in dataclasses.fields(value):
            if f.init and (new := reseeded(getattr(value, f.name), seed)) is not getattr(value, f.name):
                changed[f.name] = new
        return dataclasses.replace(value, **changed) if changed else value
    if isinstance(value, tuple | list):
        items = [reseeded(v, seed) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else type(value)(items)
    if isinstance(value, dict):
        items = {k: reseeded(v, seed) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    return value


_SUBMIT = RunManager.submit


def train_with_seed(seed: int) -> None:
    """Every run submitted from now on trains with `seed` (0: as the page built it)."""

    def submit(self, session, page, title, spec: WorkSpec, config):
        if seed:
            spec = WorkSpec(spec.fn, reseeded(spec.args, seed), reseeded(spec.kwargs, seed))
        return _SUBMIT(self, session, page, title, spec, config)

    RunManager.submit = submit


def go_offline() -> None:
    """No data folder, every download failing: the pages use their generated stand-ins."""
    from core.data import imdb, shakespeare, stocks

    def fail(*args, **kwargs):
        raise ConnectionError("offline (bench --offline)")

    os.environ["RNN_PLAYGROUND_DATA"] = tempfile.mkdtemp(prefix="bench-offline-")
    imdb.load_download = shakespeare.load_download = stocks._fetch_history = fail


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
    if output is None:
        outcome, sentence = "did not finish", f"run ended: {state.job.state}"
    else:
        v = judge_run(e, output)
        outcome, sentence = v.outcome.value, v.text()
    held = outcome == "showed it"
    trained = output.result.seconds if output is not None and output.result is not None else float("nan")
    return {
        "train_s": trained,
        "wall": wall,
        "cpu": cpu,
        "page_says": next((o for o in ("showed it", "did not show it", "Inconclusive") if o in text), "no check shown"),
        "held": held,
        "outcome": outcome,
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
    parser.add_argument("--seeds", default="0", help="training seeds, comma-separated (default 0)")
    parser.add_argument("--offline", action="store_true", help="no data folder, downloads failing")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if args.offline:
        go_offline()
    print(f"data: {os.environ.get('RNN_PLAYGROUND_DATA', '(downloads / generated)')}; load {_load()}", flush=True)
    rates = []
    for page in args.page or list(PAGES):
        for e in experiments_for(page):
            if args.only and e.number not in args.only:
                continue
            outcomes = []
            for seed in seeds:
                train_with_seed(seed)
                for fresh in (False, True) if args.fresh_seed and page in SEEDED else (False,):
                    r = run_one(page, e, fresh)
                    suffix = f" seed {seed}" + (" (seed control + 1)" if fresh else "")
                    head = f"{page} #{e.number}{suffix} {e.title[:50]}"
                    if "error" in r:
                        print(f"{head}: ERROR {r['error']}", flush=True)
                        outcomes.append("error")
                        continue
                    outcomes.append(r["outcome"])
                    print(
                        f"{head}: train {r['train_s']:.1f} s, click->check {r['wall']:.1f} s wall / {r['cpu']:.1f} s "
                        f"CPU; {r['outcome'].upper()} (page: {r['page_says']}); load {_load()}\n    {r['sentence']}",
                        flush=True,
                    )
            held = sum(o == "showed it" for o in outcomes)
            rates.append(f"{page} #{e.number}: held {held}/{len(outcomes)} ({', '.join(outcomes)})")
            print(f"== {rates[-1]}", flush=True)
    train_with_seed(0)
    print("\nHold rate over seeds " + ",".join(map(str, seeds)) + ":\n  " + "\n  ".join(rates), flush=True)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
