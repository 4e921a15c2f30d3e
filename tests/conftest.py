"""Shared fixtures: the small test knowledge base and the shipped one."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from helpers import MINIMAL_KB
from orderdoctor.engine import EngineUnavailableError, KnowledgeBase, load_knowledge_base, require_engine

# durable-rules' C engine loaded the engine's way (with our shim on Python 3.13+) before any test
# module imports durable itself (tests/test_backend.py does). Where it cannot load, the tests that
# need it fail with the one clear error, and the rest still run.
try:
    require_engine()
except EngineUnavailableError:
    pass


def pytest_configure(config: pytest.Config) -> None:
    """The knowledge-base load cache of the test run lives in a folder of its own (never the
    user's ~/.cache), inherited by the commands the tests start."""
    os.environ["ORDERDOCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="orderdoctor-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop("ORDERDOCTOR_CACHE_DIR", ""), ignore_errors=True)


@pytest.fixture(scope="session")
def minimal_kb() -> KnowledgeBase:
    return load_knowledge_base(MINIMAL_KB)


@pytest.fixture(scope="session")
def shipped_kb() -> KnowledgeBase:
    return load_knowledge_base()
