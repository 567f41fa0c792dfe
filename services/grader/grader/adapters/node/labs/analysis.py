"""What the portal shows of a measured lab's result: findings, diagnoses and charts.

One `analyse` per lab kind (the LabKind hook), so the portal shows what it receives and
never switches on a lab's name. The diagnoses read the entrypoint's source only through
code_facts.py, and only where nothing measured speaks to the same cause.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult
from grader.adapters.node.labs.charts import unblock_the_loop_charts
from grader.adapters.node.labs.diagnoses.code_facts import read_code
from grader.adapters.node.labs.diagnoses.evidence import Evidence
from grader.adapters.node.labs.diagnoses.spawn_vs_exec import diagnose_spawn_vs_exec
from grader.adapters.node.labs.diagnoses.unblock_the_loop import diagnose_unblock_the_loop
from grader.adapters.node.labs.findings import spawn_vs_exec_findings, unblock_the_loop_findings
from grader.lab_kind import Analysis


def analyse_unblock_the_loop(
    verdict: str, checks: list[CheckResult], measurements: dict[str, Any], source: str
) -> Analysis:
    """The speedup and stalls in sentences and in two panels, and why they fell short."""
    evidence = Evidence(verdict, checks, measurements, read_code(source))
    return Analysis(
        findings=tuple(unblock_the_loop_findings(measurements)),
        diagnoses=tuple(diagnose_unblock_the_loop(evidence)),
        charts=unblock_the_loop_charts(measurements),
    )


def analyse_spawn_vs_exec(
    verdict: str, checks: list[CheckResult], measurements: dict[str, Any], source: str
) -> Analysis:
    """The calls made and the memory kept, in sentences, and why the output was kept."""
    evidence = Evidence(verdict, checks, measurements, read_code(source))
    return Analysis(
        findings=tuple(spawn_vs_exec_findings(measurements)),
        diagnoses=tuple(diagnose_spawn_vs_exec(evidence)),
    )
