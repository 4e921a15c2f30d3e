"""``orderdoctor kb schema`` and engine/schema.py: the JSON Schemas editors check kb files with.

Every shipped kb file validates against its committed schema, which is current and named by the
file's first line; fixture knowledge bases show what the schemas refuse (unknown fact, value,
advice id or field, wrong type) and that ``--check`` sees a stale schema. Also the pre-commit files.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from helpers import MINIMAL_KB
from orderdoctor.engine import FILE_KINDS, default_kb_path, kb_schemas, load_knowledge_base, modeline, render_schema
from orderdoctor.engine.schema import kind_of, schema_file
from orderdoctor.engine.yamlfile import parse_yaml

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = default_kb_path()


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    from orderdoctor.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err, stdin=io.StringIO(""))
    return status, out.getvalue(), err.getvalue()


def kb_files(root: Path) -> list[Path]:
    return sorted(p for pattern in FILE_KINDS.values() for p in root.glob(pattern))


def problems(schema: dict, text: str) -> list[str]:
    node = parse_yaml(text, "x.yaml")
    validator = jsonschema.Draft7Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(node.plain() if node else None)]


# ------------------------------------------------------------------ the shipped kb
def test_every_shipped_kb_file_validates_against_its_committed_schema():
    files = kb_files(SHIPPED)
    assert {kind_of(p.relative_to(SHIPPED).as_posix()) for p in files} == set(FILE_KINDS)
    for path in files:
        relative = path.relative_to(SHIPPED).as_posix()
        schema = json.loads((SHIPPED / "schemas" / schema_file(kind_of(relative))).read_text())
        jsonschema.Draft7Validator.check_schema(schema)
        assert problems(schema, path.read_text()) == [], relative


def test_every_shipped_kb_file_names_its_schema_on_its_first_line():
    for path in kb_files(SHIPPED):
        relative = path.relative_to(SHIPPED).as_posix()
        line = modeline(relative)
        assert path.read_text().split("\n", 1)[0] == line, relative
        target = (path.parent / line.split("$schema=", 1)[1]).resolve()
        assert target.is_file(), (relative, target)


def test_the_committed_schemas_are_current():
    kb = load_knowledge_base(SHIPPED)
    for name, schema in kb_schemas(kb).items():
        committed = (SHIPPED / "schemas" / name).read_text()
        assert committed == render_schema(schema), f"run 'orderdoctor kb schema' ({name})"
    status, out, _ = run_cli(["kb", "schema", "--check"])
    assert status == 0, out


def test_a_shipped_condition_completes_each_choice_facts_own_values():
    kb = load_knowledge_base(SHIPPED)
    rules = kb_schemas(kb)["rules.schema.json"]
    for fact in kb.facts.values():
        value = rules["definitions"][f"value.{fact.name}"]
        if fact.values:
            assert value["enum"] == list(fact.values)
        assert rules["definitions"]["condition"]["properties"][fact.name] == {"$ref": f"#/definitions/test.{fact.name}"}


# ------------------------------------------------------------------ fixture kbs
@pytest.fixture(scope="module")
def minimal_schemas() -> dict[str, dict]:
    return kb_schemas(load_knowledge_base(MINIMAL_KB))


def test_the_minimal_kb_files_validate(minimal_schemas):
    for path in kb_files(MINIMAL_KB):
        kind = kind_of(path.relative_to(MINIMAL_KB).as_posix())
        assert problems(minimal_schemas[schema_file(kind)], path.read_text()) == [], path


RULE = """- id: r
  description: A rule.
  when: {when}
  then: {then}
  source: test-article
"""


@pytest.mark.parametrize(
    "when, then, complaint",
    [
        ("{order_stats: shipped}", "{advise: [reorder]}", "order_stats"),  # unknown fact name
        ("{order_status: shiped}", "{advise: [reorder]}", "shiped"),  # a value of another fact, or none
        ("{coupon_used: shipped}", "{advise: [reorder]}", "shipped"),  # a value of another fact
        ("{order_status: shipped}", "{advise: [reordr]}", "reordr"),  # unknown advice id
        ("{days_left: seven}", "{advise: [reorder]}", "seven"),  # wrong type
        ("{days_left: '10'}", "{advise: [reorder]}", "'10'"),  # a quoted number
        ("{days_left: 500}", "{advise: [reorder]}", "500"),  # outside min/max
        ("{order_status: {gt: 3}}", "{advise: [reorder]}", "gt"),  # an operator of another type
        ("{days_left: {between: [1]}}", "{advise: [reorder]}", "[1]"),  # a pair
        ("{all: [], order_status: shipped}", "{advise: [reorder]}", "all"),  # all not alone
        ("{order_status: shipped}", "{derive: {order_status: closed}}", "order_status"),  # not derived
        ("{order_status: shipped}", "{advise: [reorder], source: x}", "source"),  # unknown field in then
    ],
)
def test_a_broken_rule_fails_the_rules_schema(minimal_schemas, when, then, complaint):
    schema = minimal_schemas["rules.schema.json"]
    assert problems(schema, RULE.format(when="{order_status: shipped}", then="{advise: [reorder]}")) == []
    assert problems(schema, RULE.format(when=when, then=then)), f"{when} {then}: {complaint}"


def test_unknown_fields_and_wrong_types_fail_every_list_schema(minimal_schemas):
    good = {
        "facts.schema.json": "- name: f\n  type: integer\n  description: F.\n",
        "advice.schema.json": "- id: a\n  kind: action\n  title: A\n  text: T.\n  source: test-article\n",
        "sources.schema.json": "- id: s\n  title: S\n",
        "cases.schema.json": "- id: c\n  story: S.\n  facts: {order_status: shipped}\n  must: [reorder]\n",
    }
    for name, text in good.items():
        schema = minimal_schemas[name]
        assert problems(schema, text) == [], name
        assert problems(schema, text + "  descripton: x\n"), name  # unknown field
        assert problems(schema, re.sub(r"^- (\w+): \w+", r"- \1: [1]", text)), name  # wrong type: a list
    cases = minimal_schemas["cases.schema.json"]
    assert problems(cases, good["cases.schema.json"].replace("must: [reorder]", "first: deadline_near"))  # a warning
    assert problems(cases, good["cases.schema.json"].replace("{order_status: shipped}", "{problem: true}"))  # derived
    advice = minimal_schemas["advice.schema.json"]
    assert problems(advice, good["advice.schema.json"].replace("test-article", "test-artcle"))
    assert problems(advice, good["advice.schema.json"] + "  incompatible_with: [reordr]\n")
    facts = minimal_schemas["facts.schema.json"]
    assert problems(facts, "- name: f\n  type: choice\n  description: F.\n")  # a choice fact needs values
    assert problems(facts, good["facts.schema.json"] + "  values: [a]\n")  # only choice facts have values


@pytest.mark.parametrize("kind", ["source", "fact", "advice item", "rule", "case"])
def test_the_schemas_name_the_fields_the_loaders_accept(tmp_path, minimal_schemas, kind):
    """The loader's own list of fields (its "unknown field" message) is the schema's."""
    from orderdoctor.engine import KnowledgeBaseErrors, load_cases

    file, schema, item = {
        "source": ("sources.yaml", "sources.schema.json", "- zz: 1\n"),
        "fact": ("facts.yaml", "facts.schema.json", "- zz: 1\n"),
        "advice item": ("advice.yaml", "advice.schema.json", "- zz: 1\n"),
        "rule": ("rules/main.yaml", "rules.schema.json", "- zz: 1\n"),
        "case": ("cases/main.yaml", "cases.schema.json", "- zz: 1\n"),
    }[kind]
    target = tmp_path / "kb"
    shutil.copytree(MINIMAL_KB, target)
    (target / file).write_text((target / file).read_text() + item)
    with pytest.raises(KnowledgeBaseErrors) as caught:
        load_cases(load_knowledge_base(target, cache=False))
    [message] = [e.message for e in caught.value.errors if "unknown field 'zz'" in e.message]
    fields = re.search(r"\(fields: ([^)]*)\)", message).group(1).split(", ")
    required = [e.message.split("'")[1] for e in caught.value.errors if " has no '" in e.message]
    defined = next(iter(minimal_schemas[schema]["definitions"].values())) if kind != "advice item" else \
        minimal_schemas[schema]["definitions"]["advice"]
    assert sorted(defined["properties"]) == sorted(fields)
    assert sorted(defined.get("required", [])) == sorted(required)


def test_schemas_are_deterministic_sorted_and_end_with_a_newline(minimal_schemas):
    again = kb_schemas(load_knowledge_base(MINIMAL_KB, cache=False))
    for name, schema in minimal_schemas.items():
        text = render_schema(schema)
        assert text == render_schema(again[name]) and text.endswith("}\n")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert json.loads(text)["$schema"] == "http://json-schema.org/draft-07/schema#"


# ------------------------------------------------------------------ the command
def test_kb_schema_writes_then_check_sees_a_stale_schema_after_a_kb_edit(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(MINIMAL_KB, kb)
    for path in kb_files(kb):  # shipped kb files carry the modeline; a fixture's get it here
        path.write_text(modeline(path.relative_to(kb).as_posix()) + "\n" + path.read_text())
    assert run_cli(["kb", "schema", "--check", "--kb", str(kb)])[0] == 1  # none written yet
    status, out, _ = run_cli(["kb", "schema", "--kb", str(kb)])
    assert status == 0 and out.startswith(f"wrote {len(FILE_KINDS)} schemas to ")
    assert sorted(p.name for p in (kb / "schemas").iterdir()) == sorted(schema_file(k) for k in FILE_KINDS)
    assert run_cli(["kb", "schema", "--check", "--kb", str(kb)])[0] == 0
    facts = kb / "facts.yaml"
    added = "    delivered: Delivered.\n    lost: Lost.\n"
    facts.write_text(facts.read_text().replace("    delivered: Delivered.\n", added))
    status, out, _ = run_cli(["kb", "schema", "--check", "--kb", str(kb)])
    assert status == 1 and "rules.schema.json is stale: run 'orderdoctor kb schema'" in out
    assert "facts.schema.json" not in out  # the facts schema has no fact values in it
    assert run_cli(["kb", "schema", "--kb", str(kb)])[0] == 0
    assert run_cli(["kb", "schema", "--check", "--kb", str(kb)])[0] == 0
    (kb / "rules" / "new.yaml").write_text(RULE.format(when="{order_status: shipped}", then="{advise: [reorder]}"))
    status, out, _ = run_cli(["kb", "schema", "--check", "--kb", str(kb)])
    assert status == 1 and "new.yaml:1:1: warning: the first line does not name the file's schema" in out


def test_kb_schema_output_folder(tmp_path):
    status, out, _ = run_cli(["kb", "schema", "--kb", str(MINIMAL_KB), "--output", str(tmp_path / "s")])
    assert status == 0 and len(list((tmp_path / "s").glob("*.schema.json"))) == len(FILE_KINDS)


# ------------------------------------------------------------------ pre-commit
@pytest.mark.parametrize("file", [".pre-commit-hooks.yaml", ".pre-commit-config.yaml"])
def test_pre_commit_hooks_name_real_commands(file):
    document = yaml.safe_load((ROOT / file).read_text())
    hooks = document if file == ".pre-commit-hooks.yaml" else [h for r in document["repos"] for h in r["hooks"]]
    ids = {hook["id"] for hook in hooks}
    assert {"orderdoctor-kb-check", "orderdoctor-kb-test"} <= ids
    for hook in hooks:
        assert hook["pass_filenames"] is False and re.match(hook["files"], "kb/facts.yaml")
        assert hook["language"] == ("python" if file == ".pre-commit-hooks.yaml" else "system")
        argv = shlex.split(hook["entry"]) + hook.get("args", [])
        assert argv[0] == "orderdoctor"
        argv = [str(ROOT / a) if a == "kb" and argv[i - 1] == "--kb" else a for i, a in enumerate(argv)]
        status, out, err = run_cli(argv[1:])
        assert status == 0, (hook["id"], out[-500:], err[-500:])
