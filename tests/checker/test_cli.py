"""The command line: exit 0 clean, 1 with findings, 2 on unreadable input (one line, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from checker.cli import main
from tests.checker.conftest import CALLS, ArtifactCopy
from tests.support.processes import PROJECT_ROOT, clean_env


def run(artifacts: ArtifactCopy, *extra: str, calls=CALLS) -> int:
    argv = [
        "check",
        "--policies",
        str(artifacts.policies),
        "--taskdef",
        str(artifacts.taskdef),
        *extra,
    ]
    return main(argv, load_calls=lambda: calls)


def test_clean_artifacts_exit_0(artifacts: ArtifactCopy, capsys) -> None:
    assert run(artifacts) == 0
    assert "no findings" in capsys.readouterr().out


def test_findings_exit_1_with_code_file_path_and_fix(artifacts: ArtifactCopy, capsys) -> None:
    artifacts.edit("execution", lambda p: p["Statement"][4].__setitem__("Resource", "*"))
    assert run(artifacts) == 1
    out = capsys.readouterr().out
    assert "execution-role-policy.json: $.Statement[4].Resource: IA002 [error]" in out
    assert "fix: " in out
    assert out.rstrip().endswith("1 findings (1 errors, 0 warnings)")


def test_json_output_lists_every_finding_field(artifacts: ArtifactCopy, capsys) -> None:
    artifacts.edit("trust", lambda p: p["Statement"][0].pop("Condition"))
    assert run(artifacts, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["clean"] is False
    assert report["summary"] == {"findings": 2, "errors": 2, "warnings": 0}
    assert [f["code"] for f in report["findings"]] == ["TP003", "TP004"]
    for finding in report["findings"]:
        assert set(finding) == {"code", "severity", "file", "path", "message", "fix"}
        assert finding["file"].endswith("trust-policy.json")
        assert finding["path"] == "$.Statement[0].Condition"


def test_json_output_when_clean(artifacts: ArtifactCopy, capsys) -> None:
    assert run(artifacts, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["clean"] is True and report["findings"] == []


def _write(artifacts: ArtifactCopy, name: str, text: str) -> None:
    artifacts.path(name).write_text(text)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        pytest.param(
            lambda a: a.taskdef.unlink(), "taskdef.json: no such file", id="missing-taskdef"
        ),
        pytest.param(
            lambda a: a.path("trust").unlink(),
            "trust-policy.json: no such file",
            id="missing-policy",
        ),
        pytest.param(
            lambda a: _write(a, "execution", '{"Version": "2012-10-17", "Statement": [}'),
            "execution-role-policy.json: not valid JSON",
            id="bad-json",
        ),
        pytest.param(
            lambda a: _write(
                a, "task", '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}'
            ),
            "task-role-policy.json: not valid JSON: duplicate key 'Version'",
            id="duplicate-keys",
        ),
        pytest.param(
            lambda a: a.edit("taskdef", lambda td: td.__setitem__("family", "${Family}")),
            "taskdef.json: $.family: unknown placeholder ${Family}",
            id="unknown-placeholder",
        ),
        pytest.param(
            lambda a: a.edit("taskdef", lambda td: td.__setitem__("family", "cost $5")),
            "malformed placeholder",
            id="malformed-placeholder",
        ),
        pytest.param(
            lambda a: _write(a, "taskdef", "family: courier\n"),
            "taskdef.json: not valid JSON",
            id="yaml-instead-of-json",
        ),
        pytest.param(
            lambda a: _write(a, "taskdef", "[" * 100_000),
            "taskdef.json: not valid JSON: it nests too deeply",
            id="deep-nesting",
        ),
        pytest.param(
            lambda a: _write(a, "trust", '{"Version": NaN}'),
            "trust-policy.json: not valid JSON: NaN is not a JSON value",
            id="nan",
        ),
        pytest.param(
            lambda a: a.taskdef.write_bytes(b"\xff\xfe{}"),
            "taskdef.json: cannot read",
            id="not-utf8",
        ),
    ],
)
def test_unreadable_input_exits_2_with_one_line(
    artifacts: ArtifactCopy, capsys, breakage, message
) -> None:
    breakage(artifacts)
    assert run(artifacts) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert captured.err.startswith("checker: ") and captured.err.count("\n") == 1


def test_unloadable_call_inventory_exits_2(artifacts: ArtifactCopy, capsys) -> None:
    def broken() -> tuple:
        raise ImportError("No module named 'service.queues'")

    argv = ["check", "--policies", str(artifacts.policies), "--taskdef", str(artifacts.taskdef)]
    assert main(argv, load_calls=broken) == 2
    err = capsys.readouterr().err
    assert "cannot load the service's declared AWS calls: ImportError" in err


def _checker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker", *args],
        cwd=PROJECT_ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.integration
def test_make_check_command_passes_on_the_shipped_artifacts() -> None:
    result = _checker("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no findings" in result.stdout


@pytest.mark.integration
def test_command_exits_1_on_findings_and_2_on_missing_files(artifacts: ArtifactCopy) -> None:
    artifacts.edit(
        "execution", lambda p: p["Statement"][3].__setitem__("Action", "ssm:GetParameter")
    )
    broken = _checker(
        "check",
        "--json",
        "--policies",
        str(artifacts.policies),
        "--taskdef",
        str(artifacts.taskdef),
    )
    assert broken.returncode == 1, broken.stderr
    assert {f["code"] for f in json.loads(broken.stdout)["findings"]} == {"EX002", "EX006"}

    missing = _checker("check", "--taskdef", str(artifacts.root / "nope.json"))
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert missing.stderr.strip().endswith("nope.json: no such file")
