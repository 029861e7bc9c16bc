"""Which generator turns which run configuration into a program (by the configuration's type)."""

from __future__ import annotations

from collections.abc import Callable

from core.attention.config import AttentionPageRun, PoolingRun, TranslationRun
from core.codegen import attention, gradients, sentiment, shakespeare, stocks, translation
from core.codegen.common import Program
from core.codegen.stocks import StocksCode
from core.gradients.config import ComparisonConfig, LabConfig
from core.sentiment.config import SentimentRun
from core.shakespeare.config import ShakespeareRun

# type -> (does it have a program?, the program)
GENERATORS: dict[type, tuple[Callable[[object], bool], Callable[[object], Program]]] = {
    SentimentRun: (lambda run: True, sentiment.program),
    ShakespeareRun: (shakespeare.supported, shakespeare.program),
    PoolingRun: (lambda run: True, attention.program),
    AttentionPageRun: (translation.supported, translation.program),
    TranslationRun: (translation.supported, translation.program),
    LabConfig: (gradients.supported, gradients.program),
    ComparisonConfig: (gradients.supported, gradients.program),
    StocksCode: (stocks.supported, stocks.program),
}


def program_for(config: object) -> Program | None:
    """The program reproducing `config`'s run, or None when no generator knows its type."""
    for kind, (supported, generate) in GENERATORS.items():
        if type(config).__qualname__ == kind.__qualname__ and type(config).__module__ == kind.__module__:
            return generate(config) if supported(config) else None
    return None
