"""The Sentiment lab: IMDb reviews, many-to-one vs the one-to-one baseline.

Submodules load on first use (see core/engine/lazy.py), so importing the package is cheap.
"""

from core.engine.lazy import lazy_submodules

__getattr__ = lazy_submodules(__name__)
