"""The container files say what the README promises (issue 15: a course on several replicas and a Dask cluster).

compose.yaml: a reverse proxy in front of several app replicas with sticky sessions (a Streamlit session lives
in one server process), one Dask scheduler that reports a killed worker instead of re-running its task, workers
that connect to that scheduler, health checks everywhere. Dockerfile: slim base, tensorflow-cpu through
requirements.txt, non-root user, health check on Streamlit's health endpoint, the data folder as a volume, and
nothing COPYed that is missing or hidden by .dockerignore. No Docker daemon is needed: the files are parsed.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
HEALTH_PATH = "/_stcore/health"


# ---------------------------------------------------------------- compose.yaml


@pytest.fixture(scope="module")
def services() -> dict:
    document = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return document["services"]


def _mapping(value) -> dict[str, str]:
    """compose accepts `environment` and `labels` as a mapping or as a list of KEY=VALUE strings."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    return dict(item.split("=", 1) if "=" in item else (item, "") for item in value)


def _words(command) -> list[str]:
    """A service's command as a list of words (compose accepts a string or a list)."""
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def _option(words: list[str], name: str) -> str | None:
    """The value of `--name value` or `--name=value` in a command."""
    for i, word in enumerate(words):
        if word == name and i + 1 < len(words):
            return words[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


def _healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(str(part) for part in test)


def _scheduler_address(services: dict) -> str:
    port = _option(_words(services["scheduler"].get("command")), "--port") or "8786"
    return f"tcp://scheduler:{port}"


def test_the_four_roles_exist(services):
    assert {"proxy", "app", "scheduler", "worker"} <= set(services)


def test_app_runs_several_replicas_and_workers_can_scale(services):
    assert int(services["app"]["deploy"]["replicas"]) > 1
    assert int(services["worker"]["deploy"]["replicas"]) >= 1
    for name in ("app", "worker"):  # `--scale` needs containers without fixed names or published ports
        assert "container_name" not in services[name]
        assert "ports" not in services[name]


def test_app_service_has_sticky_sessions_on_the_proxy(services):
    labels = _mapping(services["app"].get("labels"))
    assert labels.get("traefik.enable") == "true"
    sticky = [key for key, value in labels.items() if key.endswith(".loadbalancer.sticky.cookie") and value == "true"]
    assert len(sticky) == 1, "the app's load balancer must set a sticky-session cookie"
    prefix = sticky[0].removesuffix(".sticky.cookie")  # traefik.http.services.<svc>.loadbalancer
    assert labels.get(f"{prefix}.sticky.cookie.name"), "a named cookie, so it is recognisable and stable"
    assert labels.get(f"{prefix}.sticky.cookie.httponly") == "true"
    assert labels.get(f"{prefix}.server.port") == "8501", "the sticky service is the one that routes to Streamlit"


def test_proxy_publishes_the_only_port_and_watches_docker(services):
    proxy = services["proxy"]
    assert "traefik" in proxy["image"]
    assert proxy.get("ports"), "visitors come in through the proxy"
    assert any("docker.sock" in str(volume) for volume in proxy.get("volumes", []))


def test_every_service_has_a_health_check(services):
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no health check"
        assert _healthcheck_text(service).strip() not in ("NONE", "CMD true"), name


def test_health_checks_hit_each_role_s_endpoint(services):
    assert HEALTH_PATH in _healthcheck_text(services["app"])
    assert "8501" in _healthcheck_text(services["app"])
    scheduler_http = _option(_words(services["scheduler"]["command"]), "--dashboard-address")
    assert scheduler_http and f"{scheduler_http.rsplit(':', 1)[1]}/health" in _healthcheck_text(services["scheduler"])
    worker_http = _option(_words(services["worker"]["command"]), "--dashboard-address")
    assert worker_http and f"{worker_http.rsplit(':', 1)[1]}/health" in _healthcheck_text(services["worker"])


def test_app_sends_runs_to_the_scheduler_and_workers_join_it(services):
    address = _scheduler_address(services)
    assert _mapping(services["app"].get("environment")).get("RNN_PLAYGROUND_SCHEDULER") == address
    worker = _words(services["worker"]["command"])
    assert worker[:2] == ["dask", "worker"]
    assert address in worker
    assert _option(worker, "--nworkers") == "1" and _option(worker, "--nthreads") == "1"
    assert _option(worker, "--memory-limit"), "a worker that grows without bound takes the host down"
    assert _words(services["scheduler"]["command"])[:2] == ["dask", "scheduler"]


def test_scheduler_reports_a_killed_worker_instead_of_rerunning(services):
    environment = _mapping(services["scheduler"].get("environment"))
    assert environment.get("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES") == "0"


def test_workers_can_import_the_labs(services):
    assert _mapping(services["worker"].get("environment")).get("PYTHONPATH") == "/app"


def test_app_and_workers_wait_for_a_healthy_scheduler(services):
    for name in ("app", "worker"):
        assert services[name]["depends_on"]["scheduler"]["condition"] == "service_healthy", name
    assert services["proxy"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_one_image_serves_app_scheduler_and_workers(services):
    images = {services[name]["image"] for name in ("app", "scheduler", "worker")}
    assert len(images) == 1
    assert all(services[name].get("build") in (".", {"context": "."}) for name in ("app", "scheduler", "worker"))


def _mounts(service: dict) -> dict[str, bool]:
    """target -> read-only, for short (`src:dst[:ro]`) and long volume syntax."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            mounts[parts[1]] = len(parts) > 2 and "ro" in parts[2].split(",")
        else:
            mounts[volume["target"]] = bool(volume.get("read_only"))
    return mounts


def test_data_folder_is_mounted_read_only_on_app_and_workers(services, dockerfile):
    data = _env(dockerfile)["RNN_PLAYGROUND_DATA"]
    for name in ("app", "worker"):
        assert _mounts(services[name]).get(data) is True, f"{name}: {data} must be mounted read-only"


# ---------------------------------------------------------------- Dockerfile


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments dropped, continuation lines joined."""
    instructions, pending = [], ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def _all(dockerfile, keyword: str) -> list[str]:
    return [arguments for name, arguments in dockerfile if name == keyword]


def _env(dockerfile) -> dict[str, str]:
    environment = {}
    for arguments in _all(dockerfile, "ENV"):
        words = shlex.split(arguments)
        if "=" not in words[0]:  # legacy `ENV KEY value`
            environment[words[0]] = " ".join(words[1:])
            continue
        environment.update(word.split("=", 1) for word in words)
    return environment


def _exec_form(arguments: str) -> list[str]:
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def test_base_image_is_slim_python(dockerfile):
    defaults = dict(arg.split("=", 1) for arg in _all(dockerfile, "ARG") if "=" in arg)
    base = _all(dockerfile, "FROM")[-1].split()[0]
    base = re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), base)
    assert re.fullmatch(r"python:3\.1[1-3]-slim(-\w+)?", base), base


def test_runs_as_a_non_root_user_before_the_command(dockerfile):
    keywords = [name for name, _ in dockerfile]
    assert "USER" in keywords and "CMD" in keywords
    last_user = max(i for i, name in enumerate(keywords) if name == "USER")
    assert last_user < keywords.index("CMD")
    user = dockerfile[last_user][1].split(":")[0]
    assert user not in ("root", "0")


def test_command_serves_streamlit_on_all_interfaces(dockerfile):
    command = _exec_form(_all(dockerfile, "CMD")[-1])
    assert command[:3] == ["streamlit", "run", "app.py"]
    for setting in ("--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"):
        assert setting in command
    assert "8501" in " ".join(_all(dockerfile, "EXPOSE")).split()


def test_health_check_hits_streamlit_health_without_curl(dockerfile):
    checks = _all(dockerfile, "HEALTHCHECK")
    assert len(checks) == 1
    assert f"127.0.0.1:8501{HEALTH_PATH}" in checks[0]
    assert "curl" not in checks[0], "python:*-slim has no curl"


def test_data_folder_is_a_volume_and_the_cache_is_writable(dockerfile):
    environment = _env(dockerfile)
    data, cache = environment["RNN_PLAYGROUND_DATA"], environment["RNN_PLAYGROUND_CACHE"]
    volumes = " ".join(_all(dockerfile, "VOLUME"))
    assert data in (json.loads(volumes) if volumes.startswith("[") else volumes.split())
    assert any("chown" in run and cache in run for run in _all(dockerfile, "RUN")), "the app user must own the cache"
    assert environment.get("TF_CPP_MIN_LOG_LEVEL") == "2"
    assert environment.get("PYTHONPATH") == "/app"


def test_installs_requirements_with_tensorflow_cpu_and_the_cluster_backend(dockerfile):
    installs = [run for run in _all(dockerfile, "RUN") if "pip install" in run]
    assert any("-r requirements.txt" in run for run in installs)
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^tensorflow-cpu==.*platform_machine == ['\"]x86_64['\"]", requirements, re.MULTILINE)
    has_distributed = re.search(r"^distributed\b", requirements, re.MULTILINE)
    assert has_distributed or any("distributed" in run for run in installs)


def test_the_image_installs_the_lock_and_nothing_else(dockerfile):
    """requirements.txt is the compiled lock (every line an exact pin): the image copies it before installing, and
    installs no package by name, so a rebuild gets the same versions the tests ran on."""
    copies = " ".join(_all(dockerfile, "COPY"))
    assert "requirements.txt" in copies and "requirements.in" not in copies
    for run in (run for run in _all(dockerfile, "RUN") if "pip install" in run):
        words = shlex.split(run)
        named = [w for w in words[words.index("install") + 1 :] if not w.startswith("-") and w != "requirements.txt"]
        assert not named, f"the image installs {named} outside the lock"
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [line for line in lines if line and not line.startswith(("#", " "))]
    assert pins and all(re.match(r"^[A-Za-z0-9._-]+==\S+", line) for line in pins)


def _ignore_patterns() -> list[re.Pattern]:
    patterns = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("!"), "this test's matcher does not handle exceptions"
        regex = re.escape(line.strip("/")).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        patterns.append(re.compile(regex))
    return patterns


def _ignored(path: str, patterns: list[re.Pattern]) -> bool:
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(pattern.fullmatch(prefix) for pattern in patterns for prefix in prefixes)


def test_every_copied_file_exists_and_reaches_the_build(dockerfile):
    copies = _all(dockerfile, "COPY")
    assert copies
    patterns = _ignore_patterns()
    for arguments in copies:
        words = [word for word in _exec_form(arguments) if not word.startswith("--")]
        for source in words[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: missing"
            assert not _ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
    sources = " ".join(copies)
    for needed in ("app.py", "app_pages", "ui", "core", ".streamlit/config.toml"):
        assert needed in sources, f"the image needs {needed}"


def test_dockerignore_keeps_local_state_out_of_the_image():
    patterns = _ignore_patterns()
    for path in (".venv", ".git", "tests/screenshots", "core/__pycache__", ".streamlit/secrets.toml", ".pytest_cache"):
        assert _ignored(path, patterns), path
    for path in ("app.py", "core/engine/runs.py", "app_pages", "requirements.txt"):
        assert not _ignored(path, patterns), path


def test_readme_documents_the_container_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Run it in containers" in readme
    section = readme.split("## Run it in containers", 1)[1].split("\n## ", 1)[0]
    for command in ("docker build -t rnn-playground .", "docker compose up", "--scale app=", "--scale worker="):
        assert command in section, command
