"""The Shakespeare lab: a character-level RNN, sampling, surprise.

Submodules load on first use (see core/engine/lazy.py), so importing the package is cheap.
"""

from core.engine.lazy import lazy_submodules

__getattr__ = lazy_submodules(__name__)
