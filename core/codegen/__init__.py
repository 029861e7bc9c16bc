"""Every run as a standalone Keras program: a `.py` script and a `.ipynb` notebook a student takes home.

One module per lab turns the lab's typed run configuration (the same data a link carries) into a
`Program`; `common.py` holds the shared pieces (settings block, the seeded batch order, early
stopping, the notebook writer). TensorFlow-free and pure: the same configuration always gives the
same text, so a teacher gets the code from a link without training. A visitor's own text enters the
code only as a `repr` literal (`common.literal`).

`program_for(config)` picks the generator by the configuration's type; None when a page's
configuration has no generator.
"""

from core.codegen.registry import program_for

__all__ = ["program_for"]
