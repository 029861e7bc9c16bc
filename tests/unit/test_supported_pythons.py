"""The supported Python versions are stated once (pyproject.toml) and named the same in the README;
tools/check_wheels.py (run by tests/run.sh) checks each resolves to wheels."""

from __future__ import annotations

import re

from tests.helpers import ROOT
from tools.check_wheels import supported_versions


def test_requires_python_has_an_upper_bound():
    assert supported_versions() == ["3.11", "3.12", "3.13"]


def test_the_readme_deploy_step_names_exactly_the_supported_versions():
    readme = (ROOT / "README.md").read_text()
    deploy = readme.split("## Deploy on Streamlit Community Cloud", 1)[1].split("\n## ", 1)[0]
    first_step = deploy.strip().splitlines()[0]
    assert first_step.startswith("1. **Pick Python")  # the first, bold step
    named = re.findall(r"3\.1\d", first_step)
    assert sorted(set(named)) == supported_versions()
