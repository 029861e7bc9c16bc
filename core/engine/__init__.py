"""What every lab shares.

Configs and limits, the cell vocabulary, model builders, the instrumented trainer, the
training job, run records (the run contract in `run.py`) and the shared chart builders.

Submodules load on first use (see core/engine/lazy.py), so importing the package is cheap.
"""

from core.engine.lazy import lazy_submodules

__getattr__ = lazy_submodules(__name__)
