"""The checks ``huiqi policy lint`` and ``huiqi policy test`` run, as functions: on a library
of files, or on one policy's text (a draft in the officer console).

``lint``: loading and compiling errors, every criterion and amount run on enterprises with
extreme data on every backend (``edges``), criteria that can never all hold
(``satisfiable``), and the reviewer's warnings (``policies.lint``). ``test``: the policy's own test cases (``casetest``).

Example:
    >>> from huiqi.policies.loader import library_dir
    >>> text = (library_dir() / "sh-stable-jobs-refund-2025.yaml").read_text(encoding="utf-8")
    >>> report = check_text(text, "draft.yaml")
    >>> report.ok, report.passed == len(report.cases)
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huiqi.engine.casetest import CaseResult, case_profile_errors, run_policy_tests
from huiqi.engine.compile.library import CompiledLibrary, compile_library
from huiqi.engine.district_reach import district_reach_errors
from huiqi.engine.edges import edge_errors
from huiqi.engine.group_overlap import group_overlaps
from huiqi.engine.open_amounts import open_amount_findings, open_amounts
from huiqi.engine.satisfiable import contradiction_errors
from huiqi.engine.zero_amounts import zero_amount_findings, zero_amounts
from huiqi.errors import HuiqiError, PolicyError
from huiqi.policies.lint import Finding, lint_library
from huiqi.policies.loader import Library, LoadedPolicy, load_policy_text


def lint_compiled(lib: CompiledLibrary) -> list[Finding]:
    """Every finding of ``huiqi policy lint`` on a compiled library."""
    pairs = list(zip(lib.loaded, lib.compiled, strict=True))
    marked = [(cp, lp.marks) for lp, cp in pairs]
    ran = edge_errors(marked) + district_reach_errors(marked) + contradiction_errors(marked)
    cases = [e for lp, cp in pairs for e in case_profile_errors(cp, lp.marks)]
    found = lint_library(Library(lib.loaded, [*lib.errors, *ran, *cases]))
    return [
        *found,
        *open_amount_findings(marked),
        *zero_amount_findings(marked),
        *group_overlaps(marked),
    ]


@dataclass(frozen=True)
class Problem:
    """One finding on a policy's text: where (1-based line and column when known) and what."""

    severity: str  # error | warning
    message: str
    line: int | None = None
    column: int | None = None
    field: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    ok: bool
    message: str


@dataclass(frozen=True)
class TextCheck:
    """The lint findings and test-case results of one policy's text."""

    problems: list[Problem] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    policy: LoadedPolicy | None = None  # None when the text does not load

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def passed(self) -> int:
        return sum(c.ok for c in self.cases)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed

    @property
    def ok(self) -> bool:
        """Publishable: it loads, lint finds no error and every test case passes."""
        return self.policy is not None and not self.errors and not self.failed

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "errors": self.errors,
            "problems": [p.__dict__ for p in self.problems],
            "cases": [c.__dict__ for c in self.cases],
            "passed": self.passed,
            "failed": self.failed,
        }


def _problem(exc: HuiqiError, severity: str = "error") -> Problem:
    loc = exc.location
    if loc is None:
        return Problem(severity, exc.message)
    return Problem(severity, exc.message, loc.line, loc.column, loc.field)


def _case(result: CaseResult) -> Case:
    return Case(result.case, result.ok, "ok" if result.ok else result.message)


def check_text(text: str, filename: str = "draft.yaml") -> TextCheck:
    """Lint one policy's text and run its test cases; never raises for a bad text."""
    try:
        loaded = load_policy_text(text, filename)
    except PolicyError as exc:
        return TextCheck([_problem(one) for one in exc.all])
    except Exception as exc:  # a text that breaks the loader is reported, never a crash
        return TextCheck(
            [
                Problem(
                    "error", f"the policy could not be read ({type(exc).__name__}); check its YAML"
                )
            ]
        )
    lib = compile_library([loaded])
    marked = [(cp, lp.marks) for lp, cp in zip(lib.loaded, lib.compiled, strict=True)]
    edges = (
        edge_errors(marked) + district_reach_errors(marked) + contradiction_errors(marked)
        if lib.compiled
        else []
    )
    cases_read = [
        e
        for lp, cp in zip(lib.loaded, lib.compiled, strict=True)
        for e in case_profile_errors(cp, lp.marks)
    ]
    problems = [_problem(one) for e in [*lib.errors, *edges, *cases_read] for one in e.all]
    # The warnings of policies.lint on this policy alone (an exclusivity group's other
    # members are not in a one-policy library: that warning would be noise here).
    problems += [
        Problem("warning", f.message)
        for f in lint_library(Library(lib.loaded, []))
        if f.kind != "lonely_group"
    ]
    problems += [
        Problem("warning", said, at.line, at.column, at.field) for at, said in open_amounts(marked)
    ]
    problems += [
        Problem("warning", z.message, z.location.line, z.location.column, z.location.field)
        for z in zero_amounts(marked)
    ]
    cases = [_case(r) for r in run_policy_tests(lib.compiled)]
    return TextCheck(problems, cases, loaded)
