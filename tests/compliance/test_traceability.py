"""The traceability check: it fails when a listed clause has no passing test, and names it."""

from pathlib import Path

from tests.compliance import traceability
from tests.compliance.clauses import CLAUSES

CLAUSE = CLAUSES[0].id


def _report(tmp_path: Path, cases: str) -> Path:
    report = tmp_path / "junit.xml"
    report.write_text(f'<testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>')
    return report


def _all_passed(found) -> str:
    return "".join(
        f'<testcase classname="{proof.classname}" name="{proof.name}[case]" time="0.1"/>'
        for tests in found.values()
        for proof in tests
    )


def test_the_markers_of_this_repository_name_only_listed_clauses_and_the_page_is_current():
    assert traceability.problems(traceability.proofs(), passed=None) == []


def test_every_clause_passes_when_each_has_a_passing_test(tmp_path):
    found = traceability.proofs()

    passed = traceability.passed_tests(_report(tmp_path, _all_passed(found)))

    assert traceability.problems(found, passed) == []


def test_a_clause_whose_only_tests_failed_fails_the_check_by_name(tmp_path):
    found = traceability.proofs()
    failing = set(found[CLAUSE])
    cases = "".join(
        f'<testcase classname="{proof.classname}" name="{proof.name}">'
        + ("<failure>boom</failure>" if proof in failing else "")
        + "</testcase>"
        for tests in found.values()
        for proof in tests
    )
    problems = traceability.problems(found, traceability.passed_tests(_report(tmp_path, cases)))

    assert any(problem.startswith(f"{CLAUSE} has no passing test") for problem in problems)


def test_skipped_tests_prove_nothing(tmp_path):
    cases = "".join(
        f'<testcase classname="{p.classname}" name="{p.name}"><skipped/></testcase>'
        for p in traceability.proofs()[CLAUSE]
    )

    passed = traceability.passed_tests(_report(tmp_path, cases))

    assert passed == set()


def test_a_marker_naming_an_unlisted_clause_is_reported(tmp_path, monkeypatch):
    module = tmp_path / "tests" / "test_typo.py"
    module.parent.mkdir()
    module.write_text(
        'import pytest\n\n@pytest.mark.clause("21 CFR 11.10(z)")\ndef test_x():\n    pass\n'
    )
    monkeypatch.setattr(traceability, "ROOT", tmp_path)
    monkeypatch.setattr(traceability, "TESTS", tmp_path / "tests")
    monkeypatch.setattr(traceability, "PAGE", tmp_path / "traceability.md")

    found = traceability.proofs()

    assert [p.nodeid for p in found["21 CFR 11.10(z)"]] == ["tests/test_typo.py::test_x"]
    problems = traceability.problems(found, passed=None)
    assert problems[0].startswith("tests/test_typo.py::test_x names the clause '21 CFR 11.10(z)'")
