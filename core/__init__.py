"""RNN Playground's library: plain Python, nothing here imports Streamlit.

Layout (see ARCHITECTURE.md): `core.engine` is what every lab shares; `core.data` holds the
data sources; each lab has its own package (`core.sentiment`, `core.stocks`,
`core.shakespeare`, `core.attention`, `core.gradients`, `core.cells`) with a TensorFlow-free
`config.py`, a training/analysis module and `charts.py`.

Packages load their submodules on first use, so `from core import sentiment` is cheap and
TensorFlow is imported only when a TensorFlow module is first touched.
"""

from core.engine.lazy import lazy_submodules

__getattr__ = lazy_submodules(__name__)
