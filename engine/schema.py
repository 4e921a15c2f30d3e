"""JSON Schemas of a knowledge base's files, for editors (yaml-language-server) and other tools.

:func:`kb_schemas` builds one schema per kind of file (:data:`FILE_KINDS`: facts, advice, sources,
rules, cases, checks, review) from two things:

* the format — the fields each loader accepts (``FACT_FIELDS`` … in :mod:`.loader` and
  :mod:`.ruleloader`, the others here), the fact types, advice kinds and source authorities of
  :mod:`.model`, and the operators of :mod:`.operators` with the fact types and value shapes each
  takes;
* the knowledge base — its fact names, each choice fact's values, its advice ids and its source
  ids become enums (with their help text, title or description for the editor to show), and a
  test of a fact accepts only that fact's operators and values (one definition per fact), so
  an editor completes ``order_status: `` with the order statuses and underlines a typo.

The schemas are JSON Schema draft-07: yaml-language-server (VS Code's YAML extension, neovim's
and vim's LSP clients) supports draft-07 and older fully and later drafts only in part, and
draft-07 already has everything used here (``if``/``then``, ``const``, ``propertyNames``). Each
file is self-contained (no reference to another file), so an editor needs nothing else.

They are plain dicts; :func:`render_schema` writes one as deterministic JSON text (sorted keys,
two-space indent, a final newline). Writing the files is the command line's (``orderdoctor kb
schema``). The loader stays the authority: a schema cannot say everything it checks (ids defined
once, rule cycles, YAML 1.1 number forms, ``low ≤ high``…), and YAML 1.1's ``yes``/``no``, which
the loader reads as booleans, are text to an editor that reads YAML 1.2: write ``true``/``false``.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from .model import AdviceKind, Fact, FactType, KnowledgeBase, SourceAuthority

__all__ = [
    "CASE_FIELDS",
    "DRAFT",
    "FILE_KINDS",
    "MODELINE",
    "SCHEMA_FOLDER",
    "kb_schemas",
    "kind_of",
    "modeline",
    "render_schema",
    "schema_file",
]

#: The JSON Schema draft every schema declares.
DRAFT = "http://json-schema.org/draft-07/schema#"
#: The folder of the knowledge base that holds the schemas.
SCHEMA_FOLDER = "schemas"
#: Each kind of file → the files of that kind (a pattern relative to the knowledge-base folder).
FILE_KINDS = {
    "facts": "facts.yaml",
    "advice": "advice.yaml",
    "sources": "sources.yaml",
    "rules": "rules/*.yaml",
    "cases": "cases/*.yaml",
    "checks": "checks.yaml",
    "review": "review.yaml",
}
#: The first line of every knowledge-base file: ``MODELINE + relative path of its schema``.
MODELINE = "# yaml-language-server: $schema="

#: The fields of the files whose readers live beside what they configure (required, optional):
#: a case (:mod:`.cases`), the checks file (:mod:`.checks`), the review file (:mod:`.reviewconfig`).
CASE_FIELDS = (("id", "story", "facts"), ("must", "must_not", "first", "source"))
_CHECKS_FIELDS = ((), ("gaps", "explained"))
_EXPLAINED_WARNING_FIELDS = (("check", "subject", "reason"), ())
_REVIEW_FIELDS = (("deciding",), ("out_of_scope", "explained"))
_OUT_OF_SCOPE_FIELDS = (("reason",), ("when", "not_given"))
_EXPLAINED_PROBLEM_FIELDS = (("problem", "reason"), ("when", "row"))

#: What each field means, shown by an editor on hover (the words of docs/kb-format.md, short).
_HELP = {
    "source.id": "The short name rules and advice cite (lower-case words joined by '-').",
    "source.title": "The article's title.",
    "source.file": "Where the article's text is kept (optional).",
    "source.url": "The article's web address (https://…).",
    "source.authority": "official (AliExpress or Alipay), guide or forum.",
    "fact.name": "The fact's name (snake_case, unique), used in rules and in `--set name=value`.",
    "fact.type": "choice, integer or boolean.",
    "fact.description": "One line saying what the fact means.",
    "fact.values": "Choice facts only: a mapping `value: help text`, or a list of values.",
    "fact.min": "Integer facts only: the smallest value allowed.",
    "fact.max": "Integer facts only: the largest value allowed.",
    "fact.derived": "true for a fact that rules conclude; it is never asked and has no question.",
    "fact.question": "The question put to the buyer; a fact with a question can be asked.",
    "fact.help": "A longer help text for the question, shown on `?`.",
    "advice.id": "The advice id rules give (snake_case, unique).",
    "advice.kind": "warning (shown first), action (the numbered plan) or info (last).",
    "advice.title": "Short, shown first.",
    "advice.text": "What to click, what to attach, by when, and why.",
    "advice.source": "The source (sources.yaml) this advice comes from.",
    "advice.replaces": "Advice this item makes moot: when both are given, only this one is shown.",
    "advice.deadline": "By when to act: `{days_from: COUNTDOWN_FACT, plus: DAYS}`.",
    "advice.incompatible_with": "Advice never to be shown beside this item (either side may declare it).",
    "advice.requires": "A condition on given and derived facts: the item is only given where it does not fail.",
    "advice.urgent_within": "Days (0-365): no deadline shown beside this item may be further away.",
    "deadline.days_from": "The integer fact (a countdown in days) the deadline counts from.",
    "deadline.plus": "Days added to the countdown's value.",
    "rule.id": "The rule's id (snake_case, unique across all rule files).",
    "rule.description": "What the rule says, in a sentence.",
    "rule.when": "The condition: fact tests (all must hold), or all / any / not standing alone.",
    "rule.then": "What the rule concludes: `derive` (facts), `advise` (advice ids) or both.",
    "rule.source": "The source (sources.yaml) the rule comes from.",
    "rule.priority": "-1000..1000, default 0: higher fires (and advises) first.",
    "then.derive": "The derived facts the rule concludes: `fact: value`.",
    "then.advise": "The advice ids (advice.yaml) the rule gives.",
    "case.id": "The case's id (snake_case, unique across all case files).",
    "case.story": "The situation in the buyer's words.",
    "case.facts": "The facts the buyer gives (no derived facts).",
    "case.must": "Advice ids that must be in the answer.",
    "case.must_not": "Advice ids that must not be in the answer (after replacements).",
    "case.first": "The first action of the answer.",
    "case.source": "A source id, then where in it the expectation rests (e.g. `megabonus L33`).",
}


def schema_file(kind: str) -> str:
    """The file name of the schema of ``kind`` (``rules`` → ``rules.schema.json``)."""
    return f"{kind}.schema.json"


def kind_of(relative: str) -> str | None:
    """The kind of the knowledge-base file at ``relative`` (a path inside the folder), if any."""
    path = PurePosixPath(relative)
    for kind, pattern in FILE_KINDS.items():
        if path.match(pattern) and len(path.parts) == len(PurePosixPath(pattern).parts):
            return kind
    return None


def modeline(relative: str) -> str | None:
    """The first line the file at ``relative`` carries: yaml-language-server's modeline naming its
    schema, relative to the file (``rules/a.yaml`` → ``…$schema=../schemas/rules.schema.json``)."""
    kind = kind_of(relative)
    if kind is None:
        return None
    up = "../" * (len(PurePosixPath(relative).parts) - 1)
    return f"{MODELINE}{up}{SCHEMA_FOLDER}/{schema_file(kind)}"


def render_schema(schema: dict[str, Any]) -> str:
    """``schema`` as JSON text: sorted keys, two-space indent, non-ASCII kept, a final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def kb_schemas(kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    """Every schema of ``kb``'s files: schema file name → schema (see the module docstring)."""
    build = _Schemas(kb)
    made = {
        "facts": build.facts(),
        "advice": build.advice(),
        "sources": build.sources(),
        "rules": build.rules(),
        "cases": build.cases(),
        "checks": build.checks(),
        "review": build.review(),
    }
    return {schema_file(kind): made[kind] for kind in FILE_KINDS}


# ------------------------------------------------------------------ building blocks
def _obj(fields: tuple[tuple[str, ...], tuple[str, ...]], properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    """An object with exactly ``fields`` (required, optional), each described by ``properties``."""
    required, optional = fields
    missing = set(required + optional) ^ set(properties)
    if missing:  # pragma: no cover - a field added to a loader and not here
        raise ValueError(f"schema and loader disagree on the fields {sorted(missing)}")
    result: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        result["required"] = list(required)
    result.update(more)
    return result


def _described(kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    """``properties`` with the hover text of ``kind.field`` added where there is one."""
    return {
        name: ({"description": _HELP[f"{kind}.{name}"], **schema} if f"{kind}.{name}" in _HELP else schema)
        for name, schema in properties.items()
    }


def _one_or_list(item: dict[str, Any]) -> dict[str, Any]:
    """One ``item``, or a non-empty list of them."""
    return {"anyOf": [item, {"type": "array", "minItems": 1, "items": item}]}


def _enum(values: list[str], descriptions: list[str]) -> dict[str, Any]:
    """An enum with a description of each value (``enumDescriptions``, which editors show)."""
    return {"enum": values, "enumDescriptions": descriptions}


def _document(title: str, root: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "$comment": "Generated by `orderdoctor kb schema` from the knowledge base; do not edit by hand.",
        "title": title,
        **root,
        "definitions": definitions,
    }


_TEXT = {"type": "string", "minLength": 1}


class _Schemas:
    """Builds the schemas of one knowledge base (its names are the enums)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        from .reader import IDENTIFIER

        self.kb = kb
        self.identifier = {"type": "string", "pattern": IDENTIFIER.pattern}

    # -------------------------------------------------------------- names
    def advice_id(self) -> dict[str, Any]:
        """An advice id of the knowledge base (the definition ``advice_id``)."""
        return {"$ref": "#/definitions/advice_id"}

    def advice_enum(self, kind: AdviceKind | None = None) -> dict[str, Any]:
        items = [a for a in self.kb.advice.values() if kind is None or a.kind is kind]
        if not items:
            return dict(self.identifier)
        return _enum([a.id for a in items], [f"{a.kind.value}: {a.title}" for a in items])

    def source_id(self) -> dict[str, Any]:
        from .loader import SOURCE_ID

        sources = list(self.kb.sources.values())
        if not sources:
            return {"type": "string", "pattern": SOURCE_ID.pattern}
        return _enum([s.id for s in sources], [s.title for s in sources])

    def fact_name(self, facts: list[Fact]) -> dict[str, Any]:
        return _enum([f.name for f in facts], [f.description for f in facts])

    def facts_where(self, *, derived: bool | None = None, types: tuple[FactType, ...] = tuple(FactType)) -> list[Fact]:
        return [
            f for f in self.kb.facts.values() if (derived is None or f.derived == derived) and f.type in types
        ]

    # -------------------------------------------------------------- values and conditions
    def value(self, fact: Fact, *, exact: bool = True) -> dict[str, Any]:
        """A value ``fact`` can take (``exact``: within its bounds)."""
        if fact.type is FactType.CHOICE:
            return _enum([c.value for c in fact.choices], [c.help or c.value for c in fact.choices])
        if fact.type is FactType.BOOLEAN:
            return {"type": "boolean"}
        number: dict[str, Any] = {"type": "integer"}
        if exact and fact.minimum is not None:
            number["minimum"] = fact.minimum
        if exact and fact.maximum is not None:
            number["maximum"] = fact.maximum
        return number

    def test(self, fact: Fact) -> dict[str, Any]:
        """A test of ``fact`` in a condition: a value, a list (``in``), or ``{operator: …}`` with
        the operators of its type, each with the value shape it takes."""
        from .operators import OPERATORS, Shape

        value = {"$ref": f"#/definitions/value.{fact.name}"}
        operators: dict[str, Any] = {}
        for op in OPERATORS.values():
            if fact.type not in op.fact_types:
                continue
            one = value if op.exact else self.value(fact, exact=False)
            if op.shape is Shape.SCALAR:
                shaped = dict(one)
            elif op.shape is Shape.LIST:
                shaped = {"type": "array", "minItems": 1, "items": one}
            else:
                shaped = {"type": "array", "minItems": 2, "maxItems": 2, "items": one}
            operators[op.name] = {"description": f"{fact.name} {op.words} …", "allOf": [shaped]}
        kind = f"{fact.type.value}{', derived' if fact.derived else ''}"
        return {
            "description": f"{fact.description} ({kind})",
            "anyOf": [
                value,
                {"type": "array", "minItems": 1, "items": value},
                {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": operators},
            ],
        }

    def condition(self, name: str, facts: list[Fact]) -> dict[str, Any]:
        """The definition ``name``: a condition testing ``facts`` (and all / any / not of them)."""
        itself = {"$ref": f"#/definitions/{name}"}
        properties: dict[str, Any] = {
            "all": {"description": "Every condition in the list holds.", "type": "array", "minItems": 1,
                    "items": itself},
            "any": {"description": "At least one condition in the list holds.", "type": "array", "minItems": 1,
                    "items": itself},
            "not": {"description": "The condition is known to fail.", "allOf": [itself]},
        }
        properties.update({f.name: {"$ref": f"#/definitions/test.{f.name}"} for f in facts})
        return {
            "description": "Fact tests (all must hold), or 'all', 'any' or 'not' standing alone in the mapping.",
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": properties,
            "if": {"anyOf": [{"required": [key]} for key in ("all", "any", "not")]},
            "then": {"maxProperties": 1},
        }

    def all_facts(self) -> tuple[str, list[Fact]]:
        """The definition ``condition``: a condition on any fact, given or derived."""
        return "condition", list(self.kb.facts.values())

    def fact_definitions(self, *conditions: tuple[str, list[Fact]]) -> dict[str, Any]:
        """The value and test of every fact, and the conditions named (name, facts tested)."""
        definitions: dict[str, Any] = {}
        for fact in self.kb.facts.values():
            definitions[f"value.{fact.name}"] = self.value(fact)
            definitions[f"test.{fact.name}"] = self.test(fact)
        for name, facts in conditions:
            definitions[name] = self.condition(name, facts)
        return definitions

    # -------------------------------------------------------------- the files
    def sources(self) -> dict[str, Any]:
        from .loader import SOURCE_FIELDS, SOURCE_ID, URL

        source = _obj(SOURCE_FIELDS, _described("source", {
            "id": {"type": "string", "pattern": SOURCE_ID.pattern},
            "title": _TEXT,
            "file": _TEXT,
            "url": {"type": "string", "pattern": URL.pattern},
            "authority": {"enum": [a.value for a in SourceAuthority]},
        }))
        root = {"description": "The articles rules and advice cite.", "type": "array",
                "items": {"$ref": "#/definitions/source"}}
        return _document("orderdoctor sources.yaml", root, {"source": source})

    def facts(self) -> dict[str, Any]:
        from .loader import FACT_FIELDS, RESERVED_CHOICE_VALUES, RESERVED_FACT_NAMES

        value_name = {**self.identifier, "not": {"enum": sorted(RESERVED_CHOICE_VALUES)}}
        properties = _described("fact", {
            "name": {**self.identifier, "not": {"enum": sorted(RESERVED_FACT_NAMES)}},
            "type": {"enum": [t.value for t in FactType]},
            "description": _TEXT,
            "values": {"anyOf": [
                {"type": "object", "minProperties": 1, "propertyNames": value_name, "additionalProperties": _TEXT},
                {"type": "array", "minItems": 1, "items": value_name},
            ]},
            "min": {"type": "integer"},
            "max": {"type": "integer"},
            "derived": {"type": "boolean"},
            "question": _TEXT,
            "help": _TEXT,
        })

        def when_type(name: str) -> dict[str, Any]:
            return {"required": ["type"], "properties": {"type": {"const": name}}}

        fact = _obj(FACT_FIELDS, properties, allOf=[
            {"if": when_type("choice"), "then": {"required": ["values"]}, "else": {"not": {"required": ["values"]}}},
            {"if": when_type("integer"), "else": {"properties": {"min": False, "max": False}}},
            {"if": {"required": ["derived"], "properties": {"derived": {"const": True}}},
             "then": {"not": {"required": ["question"]}}},
        ])
        root = {"description": "Every fact the rules may use.", "type": "array",
                "items": {"$ref": "#/definitions/fact"}}
        return _document("orderdoctor facts.yaml", root, {"fact": fact})

    def advice(self) -> dict[str, Any]:
        from .loader import ADVICE_FIELDS, DEADLINE_FIELDS

        countdowns = self.facts_where(types=(FactType.INTEGER,))
        deadline = _obj(DEADLINE_FIELDS, _described("deadline", {
            "days_from": self.fact_name(countdowns) if countdowns else self.identifier,
            "plus": {"type": "integer"},
        }))
        item = _obj(ADVICE_FIELDS, _described("advice", {
            "id": self.identifier,
            "kind": {"enum": [k.value for k in AdviceKind]},
            "title": _TEXT,
            "text": _TEXT,
            "source": self.source_id(),
            "replaces": _one_or_list(self.advice_id()),
            "deadline": deadline,
            "incompatible_with": _one_or_list(self.advice_id()),
            "requires": {"allOf": [{"$ref": "#/definitions/condition"}]},
            "urgent_within": {"type": "integer", "minimum": 0, "maximum": 365},
        }))
        definitions = {"advice": item, "advice_id": self.advice_enum(), **self.fact_definitions(self.all_facts())}
        root = {"description": "The advice catalogue.", "type": "array", "items": {"$ref": "#/definitions/advice"}}
        return _document("orderdoctor advice.yaml", root, definitions)

    def rules(self) -> dict[str, Any]:
        from .ruleloader import RULE_FIELDS, THEN_FIELDS

        derived = self.facts_where(derived=True)
        derive = {"type": "object", "minProperties": 1, "additionalProperties": False,
                  "properties": {f.name: {"$ref": f"#/definitions/value.{f.name}"} for f in derived}}
        then = _obj(THEN_FIELDS, _described("then", {"derive": derive, "advise": _one_or_list(self.advice_id())}),
                    minProperties=1)
        rule = _obj(RULE_FIELDS, _described("rule", {
            "id": self.identifier,
            "description": _TEXT,
            "when": {"allOf": [{"$ref": "#/definitions/condition"}]},
            "then": then,
            "source": self.source_id(),
            "priority": {"type": "integer", "minimum": -1000, "maximum": 1000},
        }))
        definitions = {"rule": rule, "advice_id": self.advice_enum(), **self.fact_definitions(self.all_facts())}
        root = {"description": "Rules: when a condition holds, derive facts and give advice.", "type": "array",
                "items": {"$ref": "#/definitions/rule"}}
        return _document("orderdoctor rules/*.yaml", root, definitions)

    def cases(self) -> dict[str, Any]:
        given = self.facts_where(derived=False)
        facts = {"type": "object", "additionalProperties": False,
                 "properties": {f.name: {"$ref": f"#/definitions/value.{f.name}"} for f in given}}
        source = self.source_id()
        if "enum" in source:  # a source id (completed), then where in it; the loader reads it as text
            source = {"anyOf": [source, _TEXT]}
        case = _obj(CASE_FIELDS, _described("case", {
            "id": self.identifier,
            "story": _TEXT,
            "facts": facts,
            "must": _one_or_list(self.advice_id()),
            "must_not": _one_or_list(self.advice_id()),
            "first": self.advice_enum(AdviceKind.ACTION),
            "source": source,
        }))
        values = {f"value.{f.name}": self.value(f) for f in given}
        definitions = {"case": case, "advice_id": self.advice_enum(), **values}
        root = {"description": "Scenario cases: a story, the facts, and what the answer must (not) contain.",
                "type": "array", "items": {"$ref": "#/definitions/case"}}
        return _document("orderdoctor cases/*.yaml", root, definitions)

    def checks(self) -> dict[str, Any]:
        from .lint import CHECKS

        gap_facts = self.facts_where(types=(FactType.CHOICE, FactType.BOOLEAN))
        gaps = _obj((("facts",), ()), {"facts": _one_or_list(self.fact_name(gap_facts))})
        explained = _obj(_EXPLAINED_WARNING_FIELDS, {"check": {"enum": list(CHECKS)}, "subject": _TEXT,
                                                     "reason": _TEXT})
        root = _obj(_CHECKS_FIELDS, {
            "gaps": {"description": "The facts whose combinations must each lead to some advice.", **gaps},
            "explained": {"description": "Warnings looked at, with the reason they are fine.", "type": "array",
                          "items": explained},
        })
        return _document("orderdoctor checks.yaml", root, {})

    def review(self) -> dict[str, Any]:
        from .review import PROBLEM_CLASSES

        given = self.facts_where(derived=False)
        given_names = _one_or_list(self.fact_name(given))
        out_of_scope = _obj(_OUT_OF_SCOPE_FIELDS, {
            "reason": _TEXT,
            "when": {"allOf": [{"$ref": "#/definitions/given_condition"}]},
            "not_given": given_names,
        }, anyOf=[{"required": ["when"]}, {"required": ["not_given"]}])
        explained = _obj(_EXPLAINED_PROBLEM_FIELDS, {
            "problem": {"enum": list(PROBLEM_CLASSES)},
            "reason": _TEXT,
            "when": {"allOf": [{"$ref": "#/definitions/condition"}]},
            "row": {"type": "string", "pattern": "^R-[0-9a-f]{8}$"},
        }, oneOf=[{"required": ["when"]}, {"required": ["row"]}])
        root = _obj(_REVIEW_FIELDS, {
            "deciding": {"description": "The facts whose every combination is run.", **given_names},
            "out_of_scope": {"type": "array", "items": out_of_scope},
            "explained": {"type": "array", "items": explained},
        })
        definitions = self.fact_definitions(self.all_facts(), ("given_condition", given))
        return _document("orderdoctor review.yaml", root, definitions)
