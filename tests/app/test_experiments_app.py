"""AppTest: guided experiments. Each experiment's button sets the page's controls to its link
parameters (read back from the page's own URL), and a finished run shows the claim check."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.engine.links import notice
from tests.helpers import BROWSER_EXPERIMENTS, OUTCOMES, ROOT, assert_no_exception, run_until, texts, training_finished
from ui.experiments import PAGES, experiments_for

PAGE_FILES = {
    "gradient-lab": "gradient_lab",
    "sentiment": "sentiment",
    "attention": "attention",
    "stocks": "stocks",
    "shakespeare": "shakespeare",
    "architectures": "architectures",
}
CASES = [(page, e.number) for page in PAGES for e in experiments_for(page)]


def open_page(page: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    at.run()
    at.switch_page(f"app_pages/{PAGE_FILES[page]}.py")
    at.run()
    assert_no_exception(at)
    return at


def link_params(at: AppTest) -> dict[str, str]:
    return {name: value[-1] if isinstance(value, list) else value for name, value in at.query_params.items()}


def set_up(at: AppTest, page: str, number: int) -> AppTest:
    at.button(key=f"experiments-{page}-{number}").click().run()
    assert_no_exception(at)
    return at


@pytest.mark.parametrize(("page", "number"), CASES)
def test_each_experiment_button_sets_its_controls(without_local_data, page, number):
    e = next(e for e in experiments_for(page) if e.number == number)
    other = next((x for x in experiments_for(page) if x.number != number), None)
    at = open_page(page)
    if other is not None:  # start from another experiment's settings: the button must override them
        set_up(at, page, other.number)
    set_up(at, page, number)
    params = link_params(at)
    assert {name: params.get(name) for name in e.link_params()} == e.link_params()
    assert not [i.value for i in at.info if i.value.startswith(notice([""])[:30])]  # every parameter was used
    assert f"Experiment {number} is set up" in texts(at)


def test_controls_the_experiment_does_not_name_go_back_to_their_defaults(without_local_data):
    page = "gradient-lab"
    e = experiments_for(page)[0]
    default = open_page(page, {"page": page, **e.link_params()})
    defaults = link_params(default)
    at = open_page(page)
    set_up(at, page, e.number)
    index = at.selectbox(key=f"{page}:preset").options.index(e.params["preset"])
    assert f"{index}.units" not in e.params
    at.select_slider(key=f"{page}:{index}:units").set_value(64).run()
    assert link_params(at)[f"{index}.units"] == "64" != defaults[f"{index}.units"]
    set_up(at, page, e.number)
    assert link_params(at) == defaults  # as if its link were opened on a fresh session


def test_a_finished_run_shows_the_claim_check(without_local_data):
    """Experiment 3 of the Gradient lab (exploding gradients), on a smaller data set: the check says
    the unclipped run diverged and the clipped one stayed finite and beat the trivial guess (measured on
    1,000 sequences: 16 % and 28 % below it on seeds 0 and 1); a run with another threshold is not checked."""
    page = "gradient-lab"
    e = next(e for e in experiments_for(page) if e.panel == f"{page}-clip")
    at = set_up(open_page(page), page, e.number)
    index = at.selectbox(key=f"{page}:preset").options.index(e.params["preset"])
    at.select_slider(key=f"{page}:{index}:train_size").set_value(1_000)  # not one of the experiment's settings
    at.run()
    at.button(key=f"{page}-clip:train").click().run()
    run_until(at, training_finished(f"{page}-clip"), timeout=300, every=2)
    at.run()
    assert_no_exception(at)
    shown = [s.value for s in at.success if s.value.startswith(f"**Experiment {e.number}. This run showed it")]
    assert shown and "Without clipping the loss or gradient became NaN/inf" in shown[0], texts(at)
    assert "below the trivial guess's" in shown[0]

    at.select_slider(key=f"{page}-clip:threshold").set_value(0.5).run()  # one of the experiment's settings
    at.button(key=f"{page}-clip:train").click().run()
    run_until(at, training_finished(f"{page}-clip"), timeout=300, every=2)
    at.run()
    assert "was not trained with experiment" in texts(at)
    assert not [s for s in at.success if s.value.startswith(f"**Experiment {e.number}.")]


def test_the_tokenisation_experiment_walks_a_review_to_its_padded_row(with_shared_data):
    """Sentiment experiment 3 (20 tokens, the Tiny model): after its run the check is followed by the
    walkthrough - words, ids and the padded, front-truncated row of 20 the model reads."""
    page = "sentiment"
    e = next(e for e in experiments_for(page) if "tokenisation, padding and truncation" in e.concepts)
    at = set_up(open_page(page), page, e.number)
    run_until(at, lambda at: not at.button(key=f"{page}:train").disabled, timeout=300)  # the reviews load first
    at.button(key=f"{page}:train").click().run()
    run_until(at, training_finished(page), timeout=300, every=2)
    at.run()
    assert_no_exception(at)
    checks = [x.value for x in [*at.success, *at.warning] if x.value.startswith(f"**Experiment {e.number}. This run")]
    assert checks and "last 20 tokens" in checks[0]
    short, real = [d.value for d in at.dataframe if "token" in d.value.columns][:2]
    assert len(short) == len(real) == 20
    assert short["token"].iloc[0] == "<pad>" and short["id"].iloc[0] == 0 and "<start>" in short["token"].tolist()
    assert real["token"].iloc[-1] != "<pad>" and real["id"].iloc[-1] != 0  # padding only ever at the front


# ----------------------------------------------------------------------------- a link carries the lesson


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No data folder and every download failing: each page falls back to its generated stand-in."""
    from core.data import imdb, shakespeare, stocks
    from ui import data_cache

    def fail(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setenv("RNN_PLAYGROUND_DATA", str(tmp_path))
    monkeypatch.setattr(imdb, "load_download", fail)
    monkeypatch.setattr(shakespeare, "load_download", fail)
    monkeypatch.setattr(stocks, "_fetch_history", fail)
    data_cache.retry_downloads()
    yield
    data_cache.retry_downloads()


def experiment_link(page: str, number: int) -> dict[str, str]:
    e = next(e for e in experiments_for(page) if e.number == number)
    return {"page": page, "experiment": str(number), **e.link_params()}


def verdicts(at: AppTest, number: int) -> list[str]:
    boxes = [*at.success, *at.warning, *at.info]
    return [b.value for b in boxes if b.value.startswith(f"**Experiment {number}.")]


def test_set_up_puts_the_experiment_in_the_link_until_a_control_leaves_it(without_local_data):
    page = "gradient-lab"
    e = experiments_for(page)[0]
    at = set_up(open_page(page), page, e.number)
    assert link_params(at)["experiment"] == str(e.number)
    assert f"experiment={e.number}" in at.sidebar.code[0].value  # the copy box carries it too
    preset = at.selectbox(key=f"{page}:preset")
    preset.set_value(next(o for o in preset.options if o != e.params["preset"])).run()
    assert "experiment" not in link_params(at)


def test_an_experiment_link_opens_its_card_and_every_session_gets_the_check(offline):
    """Sentiment experiment 3 on the generated stand-in: a fresh session opened from the link sees the
    experiment's card expanded, trains, and gets the verdict; a second fresh session gets the same run from
    the server's cache, its verdict at once, and can replay the training."""
    page, number = "sentiment", 3
    first = open_page(page, experiment_link(page, number))
    assert f"Experiment {number} is set up" in texts(first)
    (card,) = [x for x in first.expander if x.label.startswith("Guided experiments")]
    assert card.proto.expanded
    assert link_params(first)["experiment"] == str(number)
    assert not [i.value for i in first.info if i.value.startswith(notice([""])[:30])]  # every parameter was used
    run_until(first, lambda at: not at.button(key=f"{page}:train").disabled, timeout=300)
    first.button(key=f"{page}:train").click().run()
    run_until(first, training_finished(page), timeout=300, every=2)
    first.run()
    assert_no_exception(first)
    assert any("This run showed it" in v for v in verdicts(first, number)), verdicts(first, number)

    second = open_page(page, experiment_link(page, number))
    second.button(key=f"{page}:train").click().run()
    run_until(second, training_finished(page), timeout=60)
    assert_no_exception(second)
    assert any("This run showed it" in v for v in verdicts(second, number)), texts(second)
    second.button(key=f"{page}:replay").click().run()
    assert any("Replaying the recorded training" in p.proto.text for p in second.get("progress"))
    assert_no_exception(second)


def test_the_browser_trains_an_experiment_of_every_training_panel():
    panels = {(page, e.panel or page) for page in PAGES for e in experiments_for(page)}
    in_browser = {
        (page, e.panel or page)
        for page in PAGES
        for e in experiments_for(page)
        if (page, e.number) in BROWSER_EXPERIMENTS
    }
    assert in_browser == panels
    assert set(CASES) >= BROWSER_EXPERIMENTS


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "number"),
    [
        pytest.param(page, number, id=f"{page}-{number}", marks=pytest.mark.xdist_group(f"link-{page}-{number}"))
        for page, number in CASES
        if (page, number) not in BROWSER_EXPERIMENTS
    ],
)
def test_an_experiment_link_trains_to_its_verdict(offline, page, number):
    """The experiments the browser does not train (tests/browser/test_browser_experiments.py): a fresh session
    opened from the link sees the card, trains with the experiment's own button and gets its verdict."""
    e = next(e for e in experiments_for(page) if e.number == number)
    panel = e.panel or page
    at = open_page(page, experiment_link(page, number))
    assert f"Experiment {number} is set up" in texts(at)
    assert not [i.value for i in at.info if i.value.startswith(notice([""])[:30])]  # every parameter was used
    run_until(at, lambda at: not at.button(key=f"{panel}:train").disabled, timeout=300)
    assert at.button(key=f"{panel}:train").label == e.train_label
    at.button(key=f"{panel}:train").click().run()
    run_until(at, training_finished(panel), timeout=600, every=2)
    at.run()
    assert_no_exception(at)
    found = verdicts(at, number)
    assert any(v.startswith(f"**Experiment {number}. {o}") for v in found for o in OUTCOMES), found


@pytest.mark.slow
@pytest.mark.parametrize("page", list(PAGES))
def test_every_pages_default_trains_on_its_offline_stand_in(offline, page):
    at = open_page(page)
    trains = [b for b in at.button if str(b.key).endswith(":train")]
    if not trains:
        pytest.skip(f"{page} trains nothing by default")
    panel = str(trains[0].key).removesuffix(":train")
    run_until(at, lambda at: not at.button(key=f"{panel}:train").disabled, timeout=300)
    at.button(key=f"{panel}:train").click().run()
    run_until(at, training_finished(panel), timeout=600, every=2)
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.success, texts(at)


def test_home_maps_every_concept_to_an_experiment_link(without_local_data):
    from core.engine.experiments import CONCEPTS

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.button(key="home:show_course_map").click().run()
    assert_no_exception(at)
    (table,) = [d.value for d in at.dataframe if "concept" in d.value.columns]
    assert set(CONCEPTS) <= set(table["concept"])
    sentiment = table[table["page"] == "Sentiment"]
    assert sentiment["open it"].str.startswith("sentiment?page=sentiment&experiment=").all() and len(sentiment) >= 3


def test_a_replay_draws_the_recorded_steps_up_to_its_share_and_only_the_epochs_that_ended():
    import pandas as pd

    from ui.replay import cut

    losses = [1.0 - 0.05 * i for i in range(10)]
    batches = pd.DataFrame({"step": range(1, 11), "epoch": [1] * 5 + [2] * 5, "loss": losses})
    epochs = pd.DataFrame({"epoch": [1, 2], "loss": [0.9, 0.6], "val_loss": [0.95, 0.7]})
    shown, ended = cut(batches, epochs, 0.0)
    assert shown["step"].tolist() == [1] and ended.empty
    shown, ended = cut(batches, epochs, 0.5)  # step 5.5: the first epoch ended at step 5
    assert shown["step"].max() == 5 and ended["epoch"].tolist() == [1]
    shown, ended = cut(batches, epochs, 1.0)
    assert len(shown) == 10 and ended["epoch"].tolist() == [1, 2]


def _replay_frame() -> None:
    """One replay frame on a made-up run; records the height every chart was drawn at."""
    import pandas as pd
    import streamlit as st
    from streamlit.delta_generator import DeltaGenerator

    from ui.replay import _draw

    heights: list = []
    names = ("vega_lite_chart", "altair_chart")
    originals = {(owner, name): getattr(owner, name) for owner in (DeltaGenerator, st) for name in names}

    def recording(original):
        def draw(self, *args, **kwargs):
            heights.append(kwargs.get("height"))
            return original(self, *args, **kwargs)

        return draw

    batches = pd.DataFrame(
        {"step": [1, 2, 3], "epoch": [1, 1, 1], "loss": [0.9, 0.8, 0.7], "accuracy": [0.5, 0.6, 0.7],
         "grad_norm": [1.0, 0.9, 0.8]}
    )
    epochs = pd.DataFrame({"epoch": [1], "loss": [0.7], "val_loss": [0.75], "accuracy": [0.7], "val_accuracy": [0.6]})
    try:
        for (owner, name), original in originals.items():
            if owner is DeltaGenerator:
                setattr(owner, name, recording(original))
            else:  # st.vega_lite_chart is the main container's bound method: it records through the class
                setattr(owner, name, lambda *args, _name=name, **kwargs: getattr(st._main, _name)(*args, **kwargs))
        _draw(batches, epochs, "accuracy", "accuracy", None, ("curves", "norms"))
    finally:
        for (owner, name), original in originals.items():
            setattr(owner, name, original)
    st.session_state["heights"] = heights


def test_a_replay_draws_its_charts_at_fixed_heights_with_room_for_their_legends():
    """The live view draws fixed heights (plot, title and axes, legends below); a replay drew the same
    charts at Altair's own height, so every frame's charts jumped in size and their legends squeezed the plot."""
    from ui.charts import CHART_CHROME

    at = AppTest.from_function(_replay_frame, default_timeout=60).run()
    assert_no_exception(at)
    heights = at.session_state["heights"]
    assert len(heights) == 3, heights  # loss, accuracy and gradient norms
    assert all(isinstance(h, int) and h > CHART_CHROME for h in heights), heights
