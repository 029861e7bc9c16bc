"""RNN Playground's engine: data sources, model builders, the instrumented trainer,
analyses and chart builders. Plain Python: nothing here imports Streamlit.

Modules that need TensorFlow import it themselves, so importing `core` (or
`core.limits`, `core.config`, `core.charts`) stays cheap for the Home page.
"""
