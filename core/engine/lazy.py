"""Lab packages load their TensorFlow modules only when a page first uses them.

Every package under `core/` ends its `__init__.py` with

    __getattr__ = lazy_submodules(__name__)

so `from core import sentiment` is cheap (nothing heavy is imported) and
`sentiment.training.train_and_evaluate(...)` imports `core.sentiment.training` - and with
it TensorFlow - on first use. Page scripts rely on this instead of function-local imports:
the rule "opening a page never imports TensorFlow" is then a property of the import
statements at the top of each page, which tests/app/test_structure.py checks.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from types import ModuleType


def lazy_submodules(package: str) -> Callable[[str], ModuleType]:
    """A module `__getattr__` that imports `package.<name>` the first time it is read."""

    def __getattr__(name: str) -> ModuleType:
        if name.startswith("_") or importlib.util.find_spec(f"{package}.{name}") is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return importlib.import_module(f"{package}.{name}")

    return __getattr__
