"""Shared fixtures: the small test knowledge base and the shipped one."""

from __future__ import annotations

import pytest
from helpers import MINIMAL_KB
from orderdoctor.engine import KnowledgeBase, load_knowledge_base


@pytest.fixture(scope="session")
def minimal_kb() -> KnowledgeBase:
    return load_knowledge_base(MINIMAL_KB)


@pytest.fixture(scope="session")
def shipped_kb() -> KnowledgeBase:
    return load_knowledge_base()
