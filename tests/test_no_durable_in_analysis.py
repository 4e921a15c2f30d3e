"""``kb check`` and the planner's possibility analysis never load durable-rules' C engine."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["orderdoctor.engine.lint", "orderdoctor.engine.domains", "orderdoctor.engine.planner"]
)
def test_module_does_not_import_durable(module):
    code = f"import sys, {module}; assert 'durable_rules_engine' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_kb_check_does_not_import_durable():
    code = (
        "import sys\n"
        "from orderdoctor.engine import load_knowledge_base\n"
        "from orderdoctor.engine.lint import check_knowledge_base\n"
        "check_knowledge_base(load_knowledge_base())\n"
        "assert 'durable_rules_engine' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
