"""The Attention lab: seq2seq translation with attention; attention pooling on IMDb.

Submodules load on first use (see core/engine/lazy.py), so importing the package is cheap.
"""

from core.engine.lazy import lazy_submodules

__getattr__ = lazy_submodules(__name__)
