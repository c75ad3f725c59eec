"""Static policy for every workflow file: lint, triggers, permissions, checkout, runners, stubs.

act ignores branch filters and never checks permissions, so these are asserted here; the test is
parametrised over .github/workflows/*, so a new workflow is covered as soon as it exists.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.workflows.harness import CHECKOUT, ROOT, STUB_DIR, STUBS, WORKFLOWS

FILES = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
IDS = [f.name for f in FILES]
# Expected triggers, and the most each workflow may ask for (DESIGN.md "Workflows").
TRIGGERS = {
    "pr.yml": {"pull_request": None},
    "test.yml": {"pull_request": None, "push": {"branches": ["main"]}},
    "monitor.yml": {"schedule": ..., "workflow_dispatch": ...},
    "deploy.yml": {"push": {"branches": ["main"]}},
}
MAX_PERMISSIONS = {
    "pr.yml": {"contents": "write", "pull-requests": "write", "statuses": "write"},
    "test.yml": {"contents": "read"},
    "monitor.yml": {"contents": "write", "pull-requests": "write", "actions": "write",
                    "issues": "write", "pages": "write", "id-token": "write"},  # Pages: one job
    "deploy.yml": {"contents": "write", "packages": "write"},  # packages: the image job only
}
LEVEL = {"none": 0, "read": 1, "write": 2}


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on:` as True
    return doc


def steps(doc: dict) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def permissions(doc: dict) -> list[dict]:
    """The top-level block and every job-level block; a string (write-all) fails the caller."""
    blocks = [doc.get("permissions")] + [j.get("permissions") for j in doc["jobs"].values()]
    return [b for b in blocks if b is not None]


def test_workflows_exist():
    assert {"pr.yml", "test.yml"} <= set(IDS)


def test_actionlint_reports_nothing():
    proc = subprocess.run(["actionlint", "-oneline"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_reports_nothing():
    proc = subprocess.run(["zizmor", "--offline", "-q", "."], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_workflow_triggers_are_the_expected_ones(path):
    expected = TRIGGERS.get(path.name)
    if expected is None:
        pytest.skip(f"{path.name}: no expected triggers listed in TRIGGERS")
    on = load(path)["on"]
    on = {on: None} if isinstance(on, str) else on
    assert set(on) == set(expected)
    for event, value in expected.items():
        if value is not ...:
            assert on[event] == value, f"{path.name}: {event}: {on[event]!r}"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_workflow_permissions_are_explicit_and_least_privilege(path):
    doc = load(path)
    assert "permissions" in doc, f"{path.name}: set top-level permissions (least privilege)"
    allowed = MAX_PERMISSIONS.get(path.name, {})
    for block in permissions(doc):
        assert isinstance(block, dict), f"{path.name}: permissions {block!r}; list the scopes"
        for scope, level in block.items():
            assert LEVEL[level] <= LEVEL.get(allowed.get(scope, "none"), 0), \
                f"{path.name}: {scope}: {level} exceeds {allowed}"


def test_pr_workflow_asks_exactly_for_what_it_uses():
    doc = load(WORKFLOWS / "pr.yml")
    assert doc["permissions"] == {}
    assert doc["jobs"]["report"]["permissions"] == {"contents": "write", "pull-requests": "write",
                                                    "statuses": "write"}
    assert set(doc["jobs"]) == {"report"}  # forks run it too, read-only (no comment, push, status)
    by_name = {s.get("name", s.get("uses", "")): s for s in doc["jobs"]["report"]["steps"]}
    for name, step in by_name.items():   # every step that writes to GitHub skips forks
        run_ = str(step.get("run", "")).strip()
        if run_ == "ci/push-results.sh" or any(w in run_ for w in ("cml comment", "statuses/",
                                                                    "report images")):
            assert "FORK" in str(step.get("if")) or "fresh.outputs" in str(step.get("if")), name
    assert load(WORKFLOWS / "test.yml")["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_workflow_checkout_fetches_history_without_credentials(path):
    checkouts = [s for s in steps(load(path)) if s.get("uses", "").startswith(CHECKOUT)]
    for step in checkouts:
        with_ = step.get("with", {})
        assert with_.get("fetch-depth") == 0, f"{path.name}: checkout needs fetch-depth: 0"
        assert with_.get("persist-credentials") is False, f"{path.name}: persist-credentials"
        assert not {"ref", "repository"} & set(with_), f"{path.name}: no ref:/repository: (act)"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_workflow_jobs_run_on_ubuntu_latest_without_containers(path):
    for name, job in load(path)["jobs"].items():
        if "uses" in job:  # a reusable workflow call has no runner of its own
            continue
        assert job.get("runs-on") == "ubuntu-latest", f"{path.name}: {name}: {job.get('runs-on')}"
        assert not {"container", "services"} & set(job), f"{path.name}: {name}: needs Docker"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_workflow_remote_actions_are_all_stubbed(path):
    for step in steps(load(path)):
        uses = step.get("uses", "")
        if not uses or uses.startswith(("./", "docker://", CHECKOUT)):
            continue
        assert uses.split(" ")[0] in STUBS, f"{path.name}: {uses} has no stub in harness.STUBS"


PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<name>[\w.-]+/[\w./-]+)@(?P<ref>\S+)(?P<rest>.*)$")


def test_every_action_is_pinned_by_commit_sha_with_its_version():
    """Supply chain: a tag can be moved, a commit cannot; the comment says which release it is,
    and every workflow uses the same pin for an action (Dependabot bumps them together)."""
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in FILES:
        for line in path.read_text().splitlines():
            m = PINNED.match(line)
            if not m or m["name"].startswith("./"):
                continue
            assert re.fullmatch(r"[0-9a-f]{40}", m["ref"]), f"{path.name}: {line.strip()}"
            version = re.fullmatch(r"\s+# (v\d+(?:\.\d+){0,2})", m["rest"])
            assert version, f"{path.name}: {line.strip()}: add `# vX.Y.Z` after the SHA"
            pins.setdefault(m["name"], set()).add((m["ref"], version[1]))
    assert {"actions/checkout", "iterative/setup-cml"} <= set(pins)
    assert all(len(v) == 1 for v in pins.values()), pins


def test_stub_map_follows_the_pins():
    remote = {ref for ref in STUBS if not ref.startswith(CHECKOUT)}
    assert remote and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", r) for r in remote), remote


@pytest.mark.parametrize("stub", sorted(set(STUBS.values())))
def test_stub_actions_exist(stub):
    doc = yaml.safe_load((STUB_DIR / stub / "action.yml").read_text())
    assert doc["runs"]["using"] == "composite"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_workflow_guards_host_mutating_steps_under_act(path):
    for step in steps(load(path)):
        run = step.get("run", "")
        if any(w in run for w in ("pip install", "apt-get", "sudo ", "make venv")):
            assert "!env.ACT" in str(step.get("if", "")), f"{path.name}: {step.get('name')}"


# ---------------------------------------------------------------- schemas (check-jsonschema, vendored)
def check_schema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["check-jsonschema", "--builtin-schema", schema, *map(str, files)],
                          cwd=ROOT, capture_output=True, text=True)


def test_gitlab_ci_example_in_the_docs_is_valid_gitlab_ci(tmp_path):
    text = (ROOT / "docs" / "gitlab.md").read_text()
    (block,) = re.findall(r"```yaml\n(# \.gitlab-ci\.yml.*?)```", text, re.S)
    example = tmp_path / ".gitlab-ci.yml"
    example.write_text(block)
    proc = check_schema("vendor.gitlab-ci", example)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = yaml.safe_load(block)
    assert {"model-report", "monitor"} <= set(doc)
    assert "REPO_TOKEN" in block and "CI_JOB_TOKEN" not in block   # CML never reads the job token
    # the checker is not a no-op: a typo in a keyword fails it
    example.write_text(block.replace("  rules:", "  rule:", 1))
    assert check_schema("vendor.gitlab-ci", example).returncode != 0


def test_dependabot_config_is_valid_and_covers_actions_and_pip():
    path = ROOT / ".github" / "dependabot.yml"
    proc = check_schema("vendor.dependabot", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ecosystems = {u["package-ecosystem"] for u in yaml.safe_load(path.read_text())["updates"]}
    assert ecosystems == {"github-actions", "pip"}


def test_pre_commit_runs_the_same_checks_as_make_lint():
    """One list of checks: `make lint` (CI) and the pre-commit hooks (each commit)."""
    make = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    lint = [ln.strip().replace("$(BIN)/", ".venv/bin/") for ln in make.splitlines()[1:]]
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert [h["entry"] for h in hooks] == lint
    assert all(h["language"] == "unsupported" and h["pass_filenames"] is False for h in hooks)
    assert any("--persona=pedantic" in h["entry"] for h in hooks)


def test_zizmor_is_clean_also_for_the_pedantic_persona():
    proc = subprocess.run(["zizmor", "--offline", "-q", "--persona=pedantic", "."], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_github_test_workflow_audits_the_lockfile():
    """pip-audit needs the network (PyPI/OSV advisories): it runs on GitHub, not under act."""
    (audit,) = [s for s in steps(load(WORKFLOWS / "test.yml")) if "pip_audit" in s.get("run", "")]
    assert "-r requirements.lock" in audit["run"] and "--strict" in audit["run"]
    assert re.search(r"pip-audit==\d+\.\d+\.\d+", audit["run"])  # a pinned auditor
    assert audit["if"] == "${{ !env.ACT }}"
