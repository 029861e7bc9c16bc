"""Data sources: real loaders with a local-copy path and a labelled offline default."""
