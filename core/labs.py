"""The one list of labs. Every other list is derived from it: the app's pages and their menu order
(ui/registry.py), where each pattern is trained, the guided experiments of each page (ui/experiments.py),
the modules a worker imports while it warms up (core/engine/workers.py), the structure and link tests,
the bench scripts' page lists, and the README's table of pages (checked by tests/unit/test_labs.py).

Adding a lab: create its files (ARCHITECTURE.md, "Adding a lab"), then add one `Lab` to `LABS`.
Plain data, standard library only: the Home page, the server and the workers all import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Lab:
    key: str  # the page's URL path; its training panels' keys start with it ("gradient-lab", "gradient-lab-clip")
    title: str  # menu title, also how a run on it is named to the visitor ("You already have a run on …")
    icon: str
    package: str  # core/<package>/: config.py, charts.py, experiments.py, jobs.py
    page: str  # app_pages/<page>.py
    trains: tuple[str, ...]  # the architecture patterns (core.cells' keys) it trains, for the Architectures page
    pattern_words: str  # the same for people, in the menu and the README table
    blurb: str  # the Home page's card
    readme: str  # the README table's "what you do there"
    warm: tuple[str, ...] = ()  # core/<package>/ modules a worker imports while it warms up (TensorFlow code)
    timed_in_app: bool = True  # bench/in_app.py times its default preset (its panel's key is `key`)
    views: dict[str, str] = field(default_factory=dict)  # extra bench/page_open views: name -> URL path with query

    @property
    def path(self) -> str:
        return f"app_pages/{self.page}.py"

    @property
    def experiments_module(self) -> str:
        return f"core.{self.package}.experiments"


LABS: tuple[Lab, ...] = (
    Lab(
        key="architectures",
        title="Architectures & inside the cell",
        icon=":material/account_tree:",
        package="cells",
        page="architectures",
        trains=(),
        pattern_words="all five patterns",
        blurb="Unrolled diagrams of every pattern, tensor shapes, parameter counts, and the hidden "
        "states and gates of a trained cell. Start here.",
        readme="unrolled diagrams, tensor shapes, parameter counts with formulas; hidden states and LSTM/GRU gates "
        "of a trained model, step by step; word embeddings",
        timed_in_app=False,
    ),
    Lab(
        key="sentiment",
        title="Sentiment (IMDb)",
        icon=":material/reviews:",
        package="sentiment",
        page="sentiment",
        trains=("one_to_one", "many_to_one"),
        pattern_words="many-to-one vs one-to-one",
        blurb="Read a movie review word by word and decide: positive or negative? Compare against a "
        "baseline with no recurrence.",
        readme="classify reviews; compare an RNN with a bag-of-embeddings baseline; confusion matrix, test reviews, "
        "score your own review",
        warm=("training",),
    ),
    Lab(
        key="stocks",
        title="Stock prices",
        icon=":material/show_chart:",
        package="stocks",
        page="stocks",
        trains=("one_to_one", "one_to_many", "many_to_one", "many_to_many", "encoder_decoder"),
        pattern_words="all five patterns",
        blurb="Forecast tomorrow's price from the last N days - and check honestly whether it beats "
        "'tomorrow = today'.",
        readme="forecast prices (or log returns) from the last N days against persistence and moving-average "
        "baselines, with honest metrics",
        warm=("training",),
    ),
    Lab(
        key="shakespeare",
        title="Shakespeare",
        icon=":material/theater_comedy:",
        package="shakespeare",
        page="shakespeare",
        trains=("one_to_many", "many_to_many"),
        pattern_words="many-to-many, one-to-many",
        blurb="A character-level RNN that you watch learn to write, then generate text with temperature and top-k.",
        readme="a character-level RNN; watch samples improve every epoch; generate with temperature and top-k",
        warm=("training",),
    ),
    Lab(
        key="attention",
        title="Attention",
        icon=":material/visibility:",
        package="attention",
        page="attention",
        trains=("encoder_decoder",),
        pattern_words="encoder-decoder",
        blurb="Translate human-written dates to ISO format and see, as a heatmap, where the decoder looks at "
        "each step.",
        readme="translate digits read aloud to digits (or dates to ISO, number words to digits); attention heatmaps "
        "that sharpen during training; with vs without attention; attention pooling on IMDb",
        warm=("seq2seq",),
        views={"attention-imdb": "attention?page=attention&part=Attention+on+IMDb+reviews"},
    ),
    Lab(
        key="gradient-lab",
        title="Gradient lab",
        icon=":material/science:",
        package="gradients",
        page="gradient_lab",
        trains=("many_to_one",),
        pattern_words="many-to-one",
        blurb="Vanishing and exploding gradients through time, long-memory tasks, and clipping - "
        "measured, not taken on faith.",
        readme="vanishing and exploding gradients through time, the adding problem, clipping",
        warm=("through_time",),
    ),
)

PATTERNS = ("one_to_one", "one_to_many", "many_to_one", "many_to_many", "encoder_decoder")
HOME_README = "what the playground is, the five patterns, links to every page (loads without TensorFlow)"


# ----------------------------------------------------------------------------- derived lists


def packages(labs: tuple[Lab, ...] | None = None) -> tuple[str, ...]:
    """The core/<package>/ of every lab."""
    return tuple(lab.package for lab in labs or LABS)


def pattern_pages(labs: tuple[Lab, ...] | None = None) -> dict[str, tuple[str, ...]]:
    """pattern -> the pages that train it, in menu order, a lab that trains every pattern last."""
    labs = labs or LABS
    return {
        pattern: tuple(lab.path for lab in sorted((lab for lab in labs if pattern in lab.trains), key=_breadth))
        for pattern in PATTERNS
    }


def _breadth(lab: Lab) -> bool:
    return set(lab.trains) >= set(PATTERNS)


def experiment_modules(labs: tuple[Lab, ...] | None = None) -> dict[str, str]:
    """page key -> the module holding that page's guided experiments (`EXPERIMENTS`)."""
    return {lab.key: lab.experiments_module for lab in labs or LABS}


def warm_modules(labs: tuple[Lab, ...] | None = None) -> tuple[str, ...]:
    """The labs' TensorFlow modules, imported by a worker while it warms up rather than in a first run."""
    return tuple(f"core.{lab.package}.{module}" for lab in labs or LABS for module in lab.warm)


def lab_for_panel(panel_key: str, labs: tuple[Lab, ...] | None = None) -> Lab | None:
    """The lab whose page owns a training panel: its key, or its key and a suffix ("gradient-lab-clip",
    "attention_imdb"); `-` and `_` are the same here."""
    wanted = panel_key.replace("_", "-")
    for lab in sorted(labs or LABS, key=lambda lab: -len(lab.key)):
        key = lab.key.replace("_", "-")
        if wanted == key or wanted.startswith(f"{key}-"):
            return lab
    return None


def bench_views(labs: tuple[Lab, ...] | None = None) -> dict[str, str]:
    """bench/page_open.py: view name -> URL path (with query) of every page and extra view, Home first."""
    views = {"home": ""}
    for lab in labs or LABS:
        views[lab.key] = lab.key
        views.update(lab.views)
    return views


def bench_training_panels(labs: tuple[Lab, ...] | None = None) -> dict[str, str]:
    """bench/in_app.py: page URL path -> the key of the training panel whose default preset it times."""
    return {lab.key: lab.key for lab in labs or LABS if lab.timed_in_app}


def readme_table(labs: tuple[Lab, ...] | None = None) -> str:
    """The README's table of pages (tests/unit/test_labs.py checks the README holds exactly this)."""
    rows = ["| page | pattern | what you do there |", "|---|---|---|", f"| **Home** | — | {HOME_README} |"]
    rows += [f"| **{lab.title}** | {lab.pattern_words} | {lab.readme} |" for lab in labs or LABS]
    return "\n".join(rows)
