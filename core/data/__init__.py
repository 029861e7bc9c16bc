"""Data sources: real loaders with a local-copy path and a labelled offline default."""

from core.engine.lazy import lazy_submodules

__getattr__ = lazy_submodules(__name__)
