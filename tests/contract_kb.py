"""A small knowledge base with advice contracts of every kind, for the contract tests.

The minimal kb's facts with three rules; which contract keys the advice carries is chosen per test,
so that each broken fixture has exactly one kind of error."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import MINIMAL_KB

RULES = """- id: r_contact
  description: Shipped orders start with the seller.
  when: {order_status: shipped}
  then: {advise: [contact_seller]}
  source: test-article
- id: r_hurry
  description: Little time left.
  when: {order_status: shipped, days_left: {lte: 7}}
  then: {advise: [deadline_near, open_dispute]}
  source: test-article
- id: r_reorder
  description: A welcome coupon.
  when: {coupon_used: welcome}
  then: {advise: [reorder]}
  source: test-article
"""

#: The contract keys each kind of error needs (kind → advice id → extra YAML lines).
CONTRACTS = {
    "contract": {"contact_seller": "  requires: {days_left: {gt: 10}}\n",
                 "reorder": "  requires: {seller_suspicious: false}\n"},
    "incompatible": {"open_dispute": "  incompatible_with: [reorder]\n"},
    "urgency": {"open_dispute": "  deadline: {days_from: days_left, plus: 15}\n",
                "deadline_near": "  urgent_within: 5\n"},
}

ADVICE = {
    "contact_seller": "- id: contact_seller\n  kind: action\n  title: Write to the seller\n  text: Click \"Contact seller\".\n  source: test-article\n",
    "open_dispute": "- id: open_dispute\n  kind: action\n  title: Open a dispute\n  text: Click \"Open Dispute\".\n  source: test-article\n",
    "deadline_near": "- id: deadline_near\n  kind: warning\n  title: Hurry\n  text: Time is short.\n  source: test-article\n",
    "reorder": "- id: reorder\n  kind: info\n  title: Reorder\n  text: Order it again.\n  source: test-article\n",
}


def contract_kb(where: Path, *kinds: str, rules: str = RULES) -> Path:
    """The minimal kb's facts with :data:`RULES` and the contracts of ``kinds`` (default: all)."""
    target = where / "kb"
    shutil.copytree(MINIMAL_KB, target)
    (target / "rules" / "main.yaml").write_text(rules)
    shutil.rmtree(target / "cases")
    extra: dict[str, str] = {}
    for kind in kinds or tuple(CONTRACTS):
        for advice_id, lines in CONTRACTS[kind].items():
            extra[advice_id] = extra.get(advice_id, "") + lines
    (target / "advice.yaml").write_text("".join(text + extra.get(i, "") for i, text in ADVICE.items()))
    return target
