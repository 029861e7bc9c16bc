"""Size caps for everything a user can ask for, kept in one place.

The playground is hosted on shared machines (Streamlit Community Cloud gives an app
0.078-2 cores and 0.7-2.7 GB of memory), so every slider is bounded by what such a
host can train in a few minutes without running out of memory.
"""

MAX_UNITS = 256
MAX_LAYERS = 3
MAX_SEQUENCE_LENGTH = 500
MAX_OUTPUT_STEPS = 60
MAX_VOCABULARY = 30_000
MAX_EMBEDDING_DIM = 256
MAX_FEATURES = 64
MAX_SAMPLES = 50_000
MAX_EPOCHS = 50
MAX_BATCH_SIZE = 512
MAX_DROPOUT = 0.8
MIN_LEARNING_RATE = 1e-5
MAX_LEARNING_RATE = 1.0
# Largest text a user may type or upload (characters); longer input is refused with a message.
MAX_USER_TEXT_CHARS = 20_000
MAX_UPLOAD_BYTES = 5_000_000
# A local data file (in the deployer's data folder) larger than this is refused before a byte is read.
MAX_LOCAL_FILE_BYTES = 100_000_000
# The Shakespeare generation prompt (re-read on every rerun).
MAX_PROMPT_CHARS = 500
# Longest line of an uploaded or local price CSV; a daily price row is well under 200 characters.
MAX_CSV_LINE_CHARS = 2_000
# How much of a CSV the separator detection looks at (csv.Sniffer is quadratic in line length).
MAX_SNIFF_CHARS = 4_096
# Runs kept per training page for "Compare runs" (oldest dropped first), and the approximate
# memory their records may take together (the newest run is always kept).
# Batches of validation (Trainer.evaluate) and of scoring (trainer.predict): larger than training
# batches, so the memory estimate (core.engine.footprint) counts them.
EVAL_BATCH_SIZE = 256
PREDICT_BATCH_SIZE = 512
MAX_RUN_HISTORY = 8
MAX_RUN_HISTORY_BYTES = 32_000_000
