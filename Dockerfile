# RNN Playground - one image, three roles:
#   app (default):   streamlit run app.py ...                       (port 8501)
#   Dask scheduler:  dask scheduler                                  (ports 8786, 8787)
#   Dask worker:     dask worker tcp://scheduler:8786 --nworkers 1 ...
# The scheduler and worker roles override the command (see compose.yaml), and their health checks too.
#
# Build: docker build -t rnn-playground .
# Run:   docker run -p 8501:8501 -v /path/to/data:/data:ro rnn-playground

# A mirror of the official image can be named at build time: --build-arg PYTHON_IMAGE=registry.example/python:3.12-slim
ARG PYTHON_IMAGE=python:3.12-slim
FROM ${PYTHON_IMAGE}

# PYTHONPATH: Dask workers unpickle work functions from core.<lab>.jobs, so /app must be importable in every role.
# RNN_PLAYGROUND_DATA: the deployer's read-only data folder (imdb/, stocks/, shakespeare.txt); an empty one is fine,
#   the app then downloads or generates its data. RNN_PLAYGROUND_CACHE: derived data (tokenised reviews), writable
#   by the app user; compose.yaml shares one volume there between replicas.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONPATH=/app \
    RNN_PLAYGROUND_DATA=/data \
    RNN_PLAYGROUND_CACHE=/cache

WORKDIR /app

# Dependencies first, so code edits reuse this layer. requirements.txt is the lock (every package pinned exactly,
# compiled from requirements.in by tools/lock.py): a rebuild installs the versions the tests ran on. On Linux
# x86_64 it picks tensorflow-cpu. It includes distributed, the cluster backend (Dask), whose package also provides the
# `dask scheduler` / `dask worker` commands.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# Only what the server and the workers import: no tests, benches, tools or data.
COPY app.py ./
COPY .streamlit/config.toml .streamlit/config.toml
COPY app_pages/ app_pages/
COPY ui/ ui/
COPY core/ core/

# A fixed, unprivileged uid; /cache is created here so a named volume mounted on it inherits this owner.
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin playground \
    && mkdir -p /data /cache \
    && chown playground:playground /cache

VOLUME ["/data"]
USER playground

EXPOSE 8501
# The slim image has no curl: urlopen raises (exit 1) on a refused connection, a timeout or a non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
