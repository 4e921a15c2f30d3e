"""``kb check --format text|json|sarif|github`` and ``kb test --case/--format json/--junit``: every
diagnostic, load errors included, in the format asked for; the why-not in a failed case.

Fixture knowledge bases only (tests/fixtures/kb): nothing here depends on the shipped kb's wording
or size. The SARIF test validates against a structural subset of the SARIF 2.1.0 JSON schema
written here (:data:`SARIF_SUBSET`): the official schema file is not available offline. The subset
follows the official one for every object orderdoctor writes (required properties, enums,
``additionalProperties: false``, minimums), so a property the official schema does not allow fails
here too.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from helpers import MINIMAL_KB, kb_with_rules, make_broken_kb
from orderdoctor.cli.diagnostics import Diagnostic, github_command, repository_path
from orderdoctor.cli.main import main
from orderdoctor.engine import LINT_CHECKS

FORMATS = ("text", "json", "sarif", "github")


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A working directory (no .git above it: it is the repository root for SARIF and GitHub)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------------ the SARIF subset
def _object(properties, required=()):
    return {"type": "object", "additionalProperties": False, "properties": properties, "required": list(required)}


_MESSAGE = _object({"text": {"type": "string"}, "properties": {"type": "object"}}, ["text"])
_REGION = _object({"startLine": {"type": "integer", "minimum": 1}, "startColumn": {"type": "integer", "minimum": 1}})
_ARTIFACT = _object({"uri": {"type": "string"}, "uriBaseId": {"type": "string"}})
_LOCATION = _object({"physicalLocation": _object({"artifactLocation": _ARTIFACT, "region": _REGION})})
_RESULT = _object(
    {
        "ruleId": {"type": "string"},
        "ruleIndex": {"type": "integer", "minimum": -1},
        "level": {"enum": ["none", "note", "warning", "error"]},
        "message": _MESSAGE,
        "locations": {"type": "array", "items": _LOCATION},
        "suppressions": {"type": "array", "items": _object(
            {"kind": {"enum": ["inSource", "external"]}, "justification": {"type": "string"}}, ["kind"])},
        "properties": {"type": "object"},
    },
    ["message"],
)
_RULE = _object({"id": {"type": "string"}, "shortDescription": _MESSAGE}, ["id"])
_DRIVER = _object({"name": {"type": "string"}, "version": {"type": "string"},
                   "rules": {"type": "array", "items": _RULE}}, ["name"])
_RUN = _object(
    {
        "tool": _object({"driver": _DRIVER}, ["driver"]),
        "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
        "invocations": {"type": "array", "items": _object(
            {"executionSuccessful": {"type": "boolean"}, "exitCode": {"type": "integer"}}, ["executionSuccessful"])},
        "results": {"type": "array", "items": _RESULT},
    },
    ["tool"],
)
SARIF_SUBSET = _object(
    {"$schema": {"type": "string"}, "version": {"enum": ["2.1.0"]}, "runs": {"type": "array", "items": _RUN}},
    ["version", "runs"],
)


def sarif_of(out: str) -> dict:
    log = json.loads(out)
    jsonschema.validate(log, SARIF_SUBSET)
    [the_run] = log["runs"]
    rules = [rule["id"] for rule in the_run["tool"]["driver"]["rules"]]
    for result in the_run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    return the_run


def test_the_sarif_subset_rejects_what_the_official_schema_rejects():
    good = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [
        {"message": {"text": "m"}, "level": "error",
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 1}}}]}]}]}
    jsonschema.validate(good, SARIF_SUBSET)
    bad_level = json.loads(json.dumps(good))
    bad_level["runs"][0]["results"][0]["level"] = "explained"
    zero_line = json.loads(json.dumps(good))
    zero_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    extra = json.loads(json.dumps(good))
    extra["runs"][0]["results"][0]["severity"] = "error"
    for broken in (bad_level, zero_line, extra, {"runs": []}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SARIF_SUBSET)


# ------------------------------------------------------------------ kb check: findings
def _kb_with_warnings(where: Path) -> Path:
    """The minimal kb (its dead-end warnings) with one warning explained in checks.yaml."""
    kb = where / "kb"
    shutil.copytree(MINIMAL_KB, kb)
    status, out, _ = run(["kb", "check", "--kb", "kb", "--format", "json"])
    first = json.loads(out)["findings"][0]
    (kb / "checks.yaml").write_text(
        f"explained:\n  - check: {first['check']}\n    subject: {first['subject']}\n    reason: fine, 100% sure\n"
    )
    return kb


def test_check_text_is_one_line_per_finding_then_the_summary(here):
    _kb_with_warnings(here)
    status, out, err = run(["kb", "check", "--kb", "kb"])
    data = json.loads(run(["kb", "check", "--kb", "kb", "--format", "json"])[1])
    lines = out.splitlines()
    assert status == 0 and err == "" and len(lines) == len(data["findings"]) + 1
    for line, finding in zip(lines, data["findings"], strict=False):
        severity, check = finding["severity"], finding["check"]
        assert line.startswith(f"{finding['file']}:{finding['line']}:{finding['column']}: {severity}: ")
        assert f"[{check}]" in line
    assert ": explained: " in out and "[dead-end] — fine, 100% sure" in out
    assert lines[-1].startswith(f"kb check: 0 error(s), {data['warnings']} warning(s), 1 explained (")


def test_check_json_gives_every_field(here):
    _kb_with_warnings(here)
    status, out, _ = run(["kb", "check", "--kb", "kb", "--format", "json"])
    data = json.loads(out)
    assert status == 0 and data["errors"] == 0 and data["warnings"] >= 1 and data["explained"] == 1
    for finding in data["findings"]:
        assert set(finding) == {"file", "line", "column", "severity", "message", "check", "subject",
                                "suggestion", "explanation"}
        assert finding["file"].startswith("kb/") and finding["check"] in LINT_CHECKS
    [explained] = [f for f in data["findings"] if f["severity"] == "explained"]
    assert explained["explanation"] == "fine, 100% sure"


def test_check_sarif_is_a_valid_log_with_the_checks_as_rules(here):
    _kb_with_warnings(here)
    status, out, _ = run(["kb", "check", "--kb", "kb", "--format", "sarif"])
    the_run = sarif_of(out)
    data = json.loads(run(["kb", "check", "--kb", "kb", "--format", "json"])[1])
    driver = the_run["tool"]["driver"]
    assert status == 0 and driver["name"] == "orderdoctor" and driver["version"]
    assert [rule["id"] for rule in driver["rules"]] == ["load", *LINT_CHECKS]  # read from the linter
    assert all(rule["shortDescription"]["text"] for rule in driver["rules"])
    results = the_run["results"]
    assert len(results) == len(data["findings"])
    for result, finding in zip(results, data["findings"], strict=True):
        assert result["ruleId"] == finding["check"] and result["message"]["text"] == finding["message"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": finding["file"], "uriBaseId": "%SRCROOT%"}
        assert physical["region"] == {"startLine": finding["line"], "startColumn": finding["column"]}
        expected = {"warning": "warning", "explained": "note", "error": "error"}[finding["severity"]]
        assert result["level"] == expected
    [note] = [r for r in results if r["level"] == "note"]
    assert note["suppressions"] == [{"kind": "external", "justification": "fine, 100% sure"}]
    assert the_run["invocations"] == [{"executionSuccessful": True, "exitCode": 0}]


def test_check_github_is_one_annotation_per_finding(here):
    _kb_with_warnings(here)
    status, out, _ = run(["kb", "check", "--kb", "kb", "--format", "github"])
    data = json.loads(run(["kb", "check", "--kb", "kb", "--format", "json"])[1])
    lines = out.splitlines()
    assert status == 0 and len(lines) == len(data["findings"]) + 1 and lines[-1].startswith("kb check: ")
    pattern = re.compile(
        r"::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),title=orderdoctor ([a-z-]+)::(.+)"
    )
    for line, finding in zip(lines, data["findings"], strict=False):
        match = pattern.fullmatch(line)
        assert match, line
        command, file, row, col, check, message = match.groups()
        assert command == {"warning": "warning", "explained": "notice"}[finding["severity"]]
        where = (finding["file"], finding["line"], finding["column"], finding["check"])
        assert (file, int(row), int(col), check) == where
        assert message.startswith(finding["message"])  # ':' and ',' are escaped only in properties
    assert "(explained: fine, 100%25 sure)" in out  # '%' escaped in a message


@pytest.mark.parametrize("fmt", FORMATS)
def test_exit_codes_are_the_same_in_every_format(here, fmt):
    kb = _kb_with_warnings(here)
    assert run(["kb", "check", "--kb", "kb", "--format", fmt])[0] == 0
    assert run(["kb", "check", "--kb", "kb", "--format", fmt, "--strict"])[0] == 1  # unexplained warnings
    rules = kb / "rules" / "main.yaml"
    rules.write_text(rules.read_text().replace("days_left:", "days_lft:", 1))
    assert run(["kb", "check", "--kb", "kb", "--format", fmt])[0] == 2


# ------------------------------------------------------------------ kb check: load errors
@pytest.fixture
def broken(here):
    """The minimal kb with three load errors in rules/main.yaml, at ./many_errors."""
    return make_broken_kb("many_errors", here)


def test_load_errors_in_text_are_lines_on_standard_output_with_a_kb_summary(broken):
    status, out, err = run(["kb", "check", "--kb", "many_errors"])
    lines = out.splitlines()
    assert status == 2 and err == ""
    assert lines[0] == "many_errors/rules/main.yaml:4:5: error: unknown fact 'coupon_usd' (did you mean 'coupon_used'?)"
    assert lines[-1] == "kb check: the knowledge base has 3 error(s); its rules were not checked"
    assert "nothing was advised" not in out and "[load]" not in out


def test_load_errors_in_json_keep_the_did_you_mean(broken):
    status, out, err = run(["kb", "check", "--kb", "many_errors", "--format", "json"])
    data = json.loads(out)
    assert status == 2 and err == "" and (data["errors"], data["warnings"], data["explained"]) == (3, 0, 0)
    assert data["findings"][0] == {
        "file": "many_errors/rules/main.yaml", "line": 4, "column": 5, "severity": "error",
        "message": "unknown fact 'coupon_usd' (did you mean 'coupon_used'?)", "check": "load",
        "subject": "coupon_usd", "suggestion": "coupon_used", "explanation": None,
    }
    assert all(f["check"] == "load" and f["line"] for f in data["findings"])


def test_load_errors_in_sarif(broken):
    status, out, _ = run(["kb", "check", "--kb", "many_errors", "--format", "sarif"])
    the_run = sarif_of(out)
    first = the_run["results"][0]
    assert status == 2 and len(the_run["results"]) == 3
    assert first["ruleId"] == "load" and first["level"] == "error"
    assert first["message"]["text"] == "unknown fact 'coupon_usd' (did you mean 'coupon_used'?)"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "many_errors/rules/main.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 5},
    }
    assert the_run["invocations"][0]["exitCode"] == 2


def test_load_errors_in_github(broken):
    status, out, _ = run(["kb", "check", "--kb", "many_errors", "--format", "github"])
    lines = out.splitlines()
    assert status == 2 and len(lines) == 4
    assert lines[0] == ("::error file=many_errors/rules/main.yaml,line=4,col=5,title=orderdoctor load::"
                        "unknown fact 'coupon_usd' (did you mean 'coupon_used'?)")
    assert lines[-1] == "kb check: the knowledge base has 3 error(s); its rules were not checked"


def test_a_missing_kb_folder_is_a_located_load_error_in_json(here):
    status, out, _ = run(["kb", "check", "--kb", "nowhere", "--format", "json"])
    [finding] = json.loads(out)["findings"]
    assert status == 2 and finding["check"] == "load" and finding["line"] is None
    assert "knowledge base folder not found" in finding["message"]
    the_run = sarif_of(run(["kb", "check", "--kb", "nowhere", "--format", "sarif"])[1])
    assert "region" not in the_run["results"][0]["locations"][0]["physicalLocation"]


def test_case_file_errors_are_load_errors_like_the_others(here):
    kb = make_broken_kb("bad_cases", here)
    status, out, _ = run(["kb", "check", "--kb", kb.name])
    assert status == 2 and "[load]" not in out
    assert f"{kb.name}/cases/main.yaml:3:11: error: unknown fact 'order_stat' (did you mean 'order_status'?)" in out
    data = json.loads(run(["kb", "check", "--kb", kb.name, "--format", "json"])[1])
    typo = next(f for f in data["findings"] if f["subject"] == "order_stat")
    assert typo["check"] == "load" and typo["suggestion"] == "order_status" and "did you mean" in typo["message"]
    assert data["errors"] == sum(1 for f in data["findings"] if f["severity"] == "error")


def test_checks_file_errors_are_load_errors_in_json(here):
    kb = kb_with_rules(here, "- id: r\n  description: R.\n  when: {order_status: shipped}\n"
                             "  then: {advise: [reorder]}\n  source: test-article\n")
    (kb / "checks.yaml").write_text("gaps:\n  facts: [order_stat]\n")
    status, out, _ = run(["kb", "check", "--kb", "kb", "--format", "json"])
    [finding] = json.loads(out)["findings"]
    assert status == 2 and finding["file"] == "kb/checks.yaml" and finding["check"] == "load"
    assert finding["message"] == "unknown fact 'order_stat' (did you mean 'order_status'?)"


# ------------------------------------------------------------------ the formats' details
def test_github_escapes_data_and_properties(here):
    odd = Diagnostic("a,b:c.yaml", 3, 1, "warning", "gap", "100% sure\r\nnext line: x, y")
    assert github_command(odd, here) == (
        "::warning file=a%2Cb%3Ac.yaml,line=3,col=1,title=orderdoctor gap::100%25 sure%0D%0Anext line: x, y"
    )
    nowhere = Diagnostic("kb/checks.yaml", None, None, "explained", "gap", "m", explanation="why")
    assert github_command(nowhere, here) == "::notice file=kb/checks.yaml,title=orderdoctor gap::m (explained: why)"
    escape = Diagnostic("evil\x1b[2J.yaml", 1, 1, "error", "load", "bad")
    assert "\x1b" not in github_command(escape, here)


def test_repository_paths_are_relative_to_the_git_root(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert repository_path("kb/facts.yaml") == "sub/kb/facts.yaml"
    assert repository_path(str(tmp_path.parent / "elsewhere.yaml")) is None
    assert repository_path("x.yaml", tmp_path / "sub") == "x.yaml"


def test_text_is_what_the_engine_prints(here):
    finding = Diagnostic("f.yaml", 1, 2, "warning", "dead-end", "m", "s")
    assert finding.text() == "f.yaml:1:2: warning: m [dead-end]"
    assert Diagnostic("f.yaml", 1, None, "error", "load", "bad (did you mean 'x'?)").text() == \
        "f.yaml:1: error: bad (did you mean 'x'?)"


# ------------------------------------------------------------------ many findings of one kind
MANY = Path(__file__).parent / "fixtures" / "kb" / "many_findings"


def _lines(check: str, severity: str, count: int) -> list[Diagnostic]:
    return [Diagnostic(f"{check}.yaml", n + 1, 3, severity, check, f"{check} {n}", f"s{n}") for n in range(count)]


def test_text_shows_five_of_a_check_then_a_count():
    from orderdoctor.cli.diagnostics import FORMATS, SHOWN, Report

    many, few = _lines("dead-end", "warning", SHOWN + 3), _lines("gap", "warning", SHOWN)
    loads = _lines("load", "error", SHOWN + 2)
    diagnostics = tuple(loads + many[:2] + few + many[2:])
    text = FORMATS["text"](Report(diagnostics, {}, "summary", 0)).splitlines()
    assert [line for line in text if line.startswith("note:")] == [
        f"note: 3 more dead-end warnings not shown ({SHOWN + 3} in all; "
        "kb check --all or --format json lists every one)"
    ]
    shown = [d.text() for d in diagnostics if d not in many[SHOWN:]]
    assert [line for line in text if not line.startswith("note:")] == [*shown, "summary"]
    assert text.index(many[SHOWN - 1].text()) + 1 == text.index(next(t for t in text if t.startswith("note:")))
    every = FORMATS["text"](Report(diagnostics, {}, "summary", 0, every=True)).splitlines()
    assert every == [d.text() for d in diagnostics] + ["summary"]


def test_a_check_that_stopped_always_says_so():
    from orderdoctor.cli.diagnostics import FORMATS, SHOWN, Report

    many = _lines("contract", "warning", SHOWN + 2)
    stopped = Diagnostic("z.yaml", 9, 3, "warning", "contract", "the contract check stopped here", "budget")
    text = FORMATS["text"](Report((*many, stopped), {}, "s", 0)).splitlines()
    assert text[-2:] == [stopped.text(), "s"]
    assert f"note: 2 more contract warnings not shown ({SHOWN + 2} in all;" in text[-3]


def test_explained_findings_are_counted_apart():
    from orderdoctor.cli.diagnostics import FORMATS, SHOWN, Report

    diagnostics = tuple(_lines("redundant", "warning", SHOWN + 1) + _lines("redundant", "explained", SHOWN + 2))
    notes = [line for line in FORMATS["text"](Report(diagnostics, {}, "s", 0)).splitlines() if line.startswith("note")]
    assert [n.split(" not shown")[0] for n in notes] == [
        "note: 1 more redundant warnings", "note: 2 more redundant explained warnings"]


def test_kb_check_aggregates_text_and_lists_everything_with_all_or_json(here):
    status, text, _ = run(["--kb", str(MANY), "kb", "check"])
    _, every, _ = run(["--kb", str(MANY), "kb", "check", "--all"])
    _, data, _ = run(["--kb", str(MANY), "kb", "check", "--format", "json"])
    findings = json.loads(data)["findings"]
    assert status == 0 and len(findings) > 5 and all(f["check"] == "dead-end" for f in findings)
    assert len(text.splitlines()) == 5 + 2  # five findings, the note, the summary
    assert f"note: {len(findings) - 5} more dead-end warnings not shown ({len(findings)} in all;" in text
    assert every.splitlines()[:-1] == [
        f"{f['file']}:{f['line']}:{f['column']}: warning: {f['message']} [dead-end]" for f in findings]
    assert text.splitlines()[-1] == every.splitlines()[-1]


# ------------------------------------------------------------------ kb test
RULES = """- id: both
  description: Shipped; derives urgency and advises contacting the seller.
  when: {order_status: shipped}
  then: {derive: {urgency: high}, advise: [contact_seller]}
  source: test-article
- id: dispute
  description: Urgent and suspicious; dispute.
  when: {all: [{urgency: high}, {seller_suspicious: true}]}
  then: {advise: [open_dispute]}
  source: test-article
- id: waiting
  description: Shipped; wait first.
  priority: 5
  when: {order_status: shipped}
  then: {advise: [wait]}
  source: test-article
- id: coupon
  description: Closed with the welcome coupon.
  when: {all: [{order_status: closed}, {coupon_used: welcome}]}
  then: {advise: [reorder]}
  source: test-article
"""

CASES = """- id: replaced
  story: Shipped and suspicious; expects the seller contact that the dispute replaces.
  facts: {order_status: shipped, seller_suspicious: true}
  must: [contact_seller]
- id: no_coupon
  story: Closed without a coupon; expects the reorder tip.
  facts: {order_status: closed, coupon_used: none}
  must: [reorder]
- id: wrong_first
  story: Shipped; expects contacting the seller first.
  facts: {order_status: shipped, seller_suspicious: false}
  first: contact_seller
- id: passes
  story: Closed with the welcome coupon.
  facts: {order_status: closed, coupon_used: welcome}
  must: [reorder]
"""


@pytest.fixture
def cases_kb(here):
    """A fixture kb whose cases fail in each way a why-not explains (and one passes)."""
    kb = kb_with_rules(here, RULES)
    with (kb / "advice.yaml").open("a") as advice:
        advice.write("- id: wait\n  kind: action\n  title: Wait\n  text: Wait a day.\n  source: test-article\n")
    (kb / "cases" / "main.yaml").write_text(CASES)
    return kb


def _block(out: str, case_id: str) -> str:
    return out.split(f"FAIL {case_id} (", 1)[1].split("\nFAIL ", 1)[0]


def test_failure_output_has_a_why_not_for_each_missing_must(cases_kb):
    status, out, _ = run(["kb", "test", "--kb", "kb"])
    assert status == 1 and "4 cases: 1 passed, 3 failed" in out
    replaced = _block(out, "replaced")
    assert "  why not 'contact_seller': left out: open_dispute replaces it\n" in replaced
    assert "  left out: contact_seller (open_dispute replaces it)\n" in replaced
    no_coupon = _block(out, "no_coupon")
    assert ("  why not 'reorder':\n    - rule coupon (kb/rules/main.yaml:17): "
            "failed first: coupon_used = welcome (seen: none)\n") in no_coupon
    wrong_first = _block(out, "wrong_first")
    assert ("  why not 'contact_seller' first: 'contact_seller' is advised, but 'wait' comes first: "
            "rule waiting has priority 5, rule both 0\n") in wrong_first


def test_why_not_follows_a_derived_fact_to_the_condition_that_failed(cases_kb, here):
    other = here / "other.yaml"
    other.write_text("- id: closed_dispute\n  story: Closed; expects a dispute.\n"
                     "  facts: {order_status: closed, seller_suspicious: true}\n  must: [open_dispute]\n")
    status, out, _ = run(["kb", "test", "--kb", "kb", "other.yaml"])
    assert status == 1
    assert ("  why not 'open_dispute':\n"
            "    - rule dispute (kb/rules/main.yaml:6): not known: urgency\n"
            "      - urgency=high would come from rule both (kb/rules/main.yaml:1): "
            "failed first: order_status = shipped (seen: closed)\n") in out


def test_the_trace_shows_what_a_step_derives_and_advises(cases_kb):
    out = run(["kb", "test", "--kb", "kb", "--case", "replaced"])[1]
    assert "    2. both (order_status=shipped) → {'urgency': 'high'} and ['contact_seller']\n" in out
    assert "dispute (urgency=high, seller_suspicious=True) → ['open_dispute']" in out


def test_case_runs_only_the_cases_named(cases_kb):
    status, out, _ = run(["kb", "test", "--kb", "kb", "--case", "passes"])
    assert status == 0 and "1 cases: 1 passed, 0 failed" in out
    status, out, _ = run(["kb", "test", "--kb", "kb", "--case", "passes", "--case", "no_coupon"])
    assert status == 1 and "2 cases: 1 passed, 1 failed" in out and "FAIL no_coupon" in out


def test_an_unknown_case_is_a_usage_error_with_a_suggestion(cases_kb):
    status, out, err = run(["kb", "test", "--kb", "kb", "--case", "pases"])
    assert status == 2 and out == ""
    assert err == "orderdoctor: error: --case 'pases': no such case (did you mean 'passes'?)\n"


def test_kb_test_json_gives_every_case(cases_kb):
    status, out, _ = run(["kb", "test", "--kb", "kb", "--format", "json"])
    data = json.loads(out)
    assert status == 1 and (data["passed"], data["failed"]) == (1, 3) and data["errors"] == []
    by_id = {case["id"]: case for case in data["cases"]}
    assert list(by_id) == ["replaced", "no_coupon", "wrong_first", "passes"]
    passes = by_id["passes"]
    assert passes == {
        "id": "passes", "file": "kb/cases/main.yaml", "line": 13, "column": 3, "status": "passed",
        "messages": [], "expected": {"must": ["reorder"], "must_not": [], "first": None},
        "got": ["reorder"], "first": None, "left_out": [], "why_not": [],
    }
    replaced = by_id["replaced"]
    assert replaced["status"] == "failed" and replaced["messages"] == ["expected advice 'contact_seller' is missing"]
    assert replaced["left_out"] == [{"advice": "contact_seller", "replaced_by": "open_dispute"}]
    [why] = by_id["no_coupon"]["why_not"]
    assert why["advice"] == "reorder" and why["rules"][0]["failed"] == "coupon_used = welcome (seen: none)"
    assert data["coverage"]["rules"]["total"] == 4 and data["min_coverage"] is None


def test_kb_test_json_reports_load_errors(here):
    kb = make_broken_kb("bad_cases", here)
    status, out, err = run(["kb", "test", "--kb", kb.name, "--format", "json"])
    data = json.loads(out)
    assert status == 2 and err == "" and data["cases"] == []
    assert any(e["check"] == "load" and e["suggestion"] == "order_status" for e in data["errors"])
    status, out, err = run(["kb", "test", "--kb", kb.name])
    assert status == 2 and "did you mean 'order_status'" in err
    assert err.splitlines()[-1].startswith("kb test: the knowledge base and its cases have ")


def test_junit_testcases_carry_file_line_and_the_failure_text(cases_kb, here):
    status, _, _ = run(["kb", "test", "--kb", "kb", "--junit", "junit.xml"])
    suite = ET.parse(here / "junit.xml").getroot()
    assert status == 1 and suite.tag == "testsuite" and suite.get("tests") == "4" and suite.get("failures") == "3"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert {name: (case.get("file"), case.get("line")) for name, case in cases.items()} == {
        "replaced": ("kb/cases/main.yaml", "1"), "no_coupon": ("kb/cases/main.yaml", "5"),
        "wrong_first": ("kb/cases/main.yaml", "9"), "passes": ("kb/cases/main.yaml", "13"),
    }
    failure = cases["no_coupon"].find("failure")
    assert failure.get("message") == "expected advice 'reorder' is missing"
    assert "failed first: coupon_used = welcome (seen: none)" in failure.text
    assert cases["passes"].find("failure") is None


def test_why_not_names_advice_withheld_by_its_contract(here):
    from contract_kb import contract_kb

    kb = contract_kb(here)
    (here / "c.yaml").write_text("- id: hurry\n  story: Three days left.\n"
                                 "  facts: {order_status: shipped, days_left: 3}\n  must: [contact_seller]\n")
    status, out, _ = run(["kb", "test", "--kb", str(kb), "c.yaml"])
    assert status == 1
    assert "  why not 'contact_seller':\n    - rule r_contact (" in out
    assert "): fired, but the advice was withheld: its contract ('requires') fails\n" in out


def test_every_lint_check_has_a_sarif_description() -> None:
    """A new check gets its one-line description for SARIF's rule list, not the fallback."""
    from orderdoctor.cli.diagnostics import CHECK_DESCRIPTIONS
    from orderdoctor.engine import LINT_CHECKS

    assert [check for check in LINT_CHECKS if check not in CHECK_DESCRIPTIONS] == []
