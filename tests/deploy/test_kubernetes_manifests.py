"""The Kubernetes manifests (deploy/kubernetes/), checked without a cluster.

No API server can run here, so the example overlay is rendered with `kubectl kustomize`
and checked three ways: every built-in object against Kubernetes' own schemas
(`kubernetes-validate --strict`, unknown fields rejected), the KEDA ScaledObject against
KEDA's models (npm's @kubernetes-models/keda, which `make test` installs under .tools/), and
the references between objects that no schema sees: a ScaledObject's target, the
selectors of Services, PodDisruptionBudgets and NetworkPolicies, named ports, the Secret's
keys and the `$(VAR)`s the kubelet expands. Then what the platform promises: graders of
both kinds (Node's, Python's) cannot reach PostgreSQL, hold no database credentials, and
each scale on the metrics the web app really exports for the queue they consume, the one
the portal's GRADER_QUEUES sends their labs to. The checkers are tried on broken copies
too, so a check that cannot fail is noticed.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import yaml

import contract
from portal.graders import parse_grader_queues
from portal.metrics.queues import QueueCollector
from tests.conftest import require
from tests.deploy.kubernetes_checks import (
    ALL_CHECKS,
    Doc,
    Problems,
    containers,
    database_reach_problems,
    grader_workloads,
    name_of,
    objects,
    pod_template,
    pod_templates,
    scaled_object_problems,
    secret_keys,
    workload,
)

REPO = Path(__file__).resolve().parents[2]
KUBERNETES = REPO / "deploy" / "kubernetes"
BASE = KUBERNETES / "base"
EXAMPLE_OVERLAY = KUBERNETES / "overlays" / "example"
SECRET_TEMPLATE = BASE / "secret.template.yaml"
BIN = Path(sys.executable).parent
KUBECTL = BIN / "kubectl"
KUBERNETES_VALIDATE = BIN / "kubernetes-validate"
# The oldest release the manifests promise to work on, and the newest the validator has.
KUBERNETES_VERSIONS = ("1.31.0", "1.37.0")
KEDA_MODELS = "@kubernetes-models/keda"
KEDA_MODELS_VERSION = "2.0.0"
KEDA_MODELS_DIR = REPO / ".tools" / f"keda-models-{KEDA_MODELS_VERSION}"
# The grader Deployments: one per grader kind, and the queue each consumes (GRADER_QUEUE).
GRADERS = {"grader": "grading", "grader-python": "grading-python"}


# --- Rendering -------------------------------------------------------------------------


def render(kustomization: Path) -> list[Doc]:
    """The objects `kubectl kustomize` renders from a kustomization directory."""
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(kustomization)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"kubectl kustomize {kustomization} failed:\n{done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module", params=[EXAMPLE_OVERLAY, BASE], ids=["example-overlay", "base"])
def rendered(request) -> list[Doc]:
    """The example overlay, and the base every overlay builds on."""
    return render(request.param)


@pytest.fixture(scope="module")
def rendered_overlay() -> list[Doc]:
    return render(EXAMPLE_OVERLAY)


# --- The rendered overlay ---------------------------------------------------------------


def test_the_example_overlay_renders_the_whole_platform(rendered_overlay):
    rendered = rendered_overlay
    names = {name_of(doc) for doc in rendered}
    for expected in (
        "Namespace/course-platform",
        "ConfigMap/platform-config",
        "Deployment/web",
        "Deployment/web-worker",
        "Deployment/grader",
        "Deployment/grader-python",
        "StatefulSet/postgres",
        "StatefulSet/valkey",
        "Job/migrate",
        "CronJob/sweeper",
        "Service/web",
        "Ingress/web",
        "ScaledObject/grader",
        "ScaledObject/grader-python",
        "PodDisruptionBudget/web",
        "PodDisruptionBudget/grader",
        "PodDisruptionBudget/grader-python",
        "NetworkPolicy/postgres-from-portal",
    ):
        assert expected in names
    assert not objects(rendered, "Secret"), "a secret's values must never be in a manifest"
    namespaced = [doc for doc in rendered if doc["kind"] != "Namespace"]
    assert {doc["metadata"].get("namespace") for doc in namespaced} == {"course-platform"}


def kubernetes_validate(path: Path, version: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(KUBERNETES_VALIDATE),
            "--strict",
            "--quiet",
            "--kubernetes-version",
            version,
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubernetes_schemas_accept_every_built_in_object(rendered, version, tmp_path):
    built_in = [doc for doc in rendered if not doc["apiVersion"].startswith("keda.sh/")]
    path = tmp_path / "rendered.yaml"
    path.write_text(yaml.safe_dump_all(built_in))
    done = kubernetes_validate(path, version)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # A kind without a schema is only a warning to the tool: here it is a failure.
    assert "Couldn't find schema" not in output, output


def test_kubernetes_schemas_reject_an_unknown_field(rendered, tmp_path):
    broken = copy.deepcopy(workload(rendered, "Deployment", "grader"))
    broken["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    done = kubernetes_validate(path, KUBERNETES_VERSIONS[-1])
    assert done.returncode != 0
    assert "'resource' was unexpected" in done.stdout + done.stderr


def test_the_secret_template_is_valid_and_lists_exactly_the_keys_pods_read(rendered):
    done = kubernetes_validate(SECRET_TEMPLATE, KUBERNETES_VERSIONS[-1])
    assert done.returncode == 0, done.stdout + done.stderr
    read = {
        variable["valueFrom"]["secretKeyRef"]["key"]
        for _, template in pod_templates(rendered)
        for container in containers(template)
        for variable in container.get("env", [])
        if "secretKeyRef" in variable.get("valueFrom", {})
    }
    assert read == secret_keys()


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda check: check.__name__)
def test_references_between_objects_hold(rendered, check):
    assert check(rendered) == []


def break_scaled_object_target(docs):
    objects(docs, "ScaledObject")[0]["spec"]["scaleTargetRef"]["name"] = "graders"


def break_service_selector(docs):
    workload(docs, "Service", "web")["spec"]["selector"]["app.kubernetes.io/component"] = "webb"


def break_pdb_selector(docs):
    workload(docs, "PodDisruptionBudget", "grader")["spec"]["selector"] = {
        "matchLabels": {"app": "grader"}
    }


def break_policy_peer(docs):
    policy = workload(docs, "NetworkPolicy", "valkey-from-clients")
    policy["spec"]["ingress"][0]["from"][0]["podSelector"] = {"matchLabels": {"queue": "yes"}}


def break_named_port(docs):
    workload(docs, "Service", "grader-metrics")["spec"]["ports"][0]["targetPort"] = "metric"


def break_variable_reference(docs):
    env = pod_template(workload(docs, "Deployment", "web"))["spec"]["containers"][0]["env"]
    url = next(variable for variable in env if variable["name"] == "PORTAL_DATABASE_URL")
    url["value"] = url["value"].replace("$(POSTGRES_HOST)", "$(POSTGRES_HOSTNAME)")


def break_secret_key(docs):
    env = pod_template(workload(docs, "Deployment", "grader"))["spec"]["containers"][0]["env"]
    password = next(variable for variable in env if variable["name"] == "VALKEY_PASSWORD")
    password["valueFrom"]["secretKeyRef"]["key"] = "REDIS_PASSWORD"


def label_graders_database_clients(docs):
    labels = pod_template(workload(docs, "Deployment", "grader"))["metadata"]["labels"]
    labels["course-platform/database-client"] = "true"


def drop_the_grader_egress_policy(docs):
    docs.remove(workload(docs, "NetworkPolicy", "grader-egress-valkey-only"))


def let_graders_reach_the_database(docs):
    label_graders_database_clients(docs)
    drop_the_grader_egress_policy(docs)


def let_python_graders_reach_the_database(docs):
    labels = pod_template(workload(docs, "Deployment", "grader-python"))["metadata"]["labels"]
    labels["course-platform/database-client"] = "true"
    del labels["course-platform/grader"]  # out of the graders' egress policy


def remove_the_policies_around_postgres(docs):
    docs.remove(workload(docs, "NetworkPolicy", "default-deny-ingress"))
    docs.remove(workload(docs, "NetworkPolicy", "postgres-from-portal"))
    docs.remove(workload(docs, "NetworkPolicy", "grader-egress-valkey-only"))


@pytest.mark.parametrize(
    "breakage",
    [
        break_scaled_object_target,
        break_service_selector,
        break_pdb_selector,
        break_policy_peer,
        break_named_port,
        break_variable_reference,
        break_secret_key,
        let_graders_reach_the_database,
        let_python_graders_reach_the_database,
        remove_the_policies_around_postgres,
    ],
    ids=lambda breakage: breakage.__name__,
)
def test_the_checks_notice_a_broken_manifest(rendered, breakage):
    docs = copy.deepcopy(rendered)
    breakage(docs)
    assert any(check(docs) for check in ALL_CHECKS)


@pytest.mark.parametrize(
    "weakening",
    [label_graders_database_clients, drop_the_grader_egress_policy],
    ids=lambda weakening: weakening.__name__,
)
def test_either_network_policy_alone_keeps_graders_from_the_database(rendered, weakening):
    """PostgreSQL's ingress policy and the graders' egress policy each suffice alone."""
    docs = copy.deepcopy(rendered)
    weakening(docs)
    assert database_reach_problems(docs) == []


def test_a_name_prefix_renames_the_scaled_objects_target_too(tmp_path):
    # kustomize rewrites no KEDA field by itself: base/kustomizeconfig.yaml teaches it.
    overlay = tmp_path / "prefixed"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump({"namePrefix": "school-a-", "resources": [os.path.relpath(BASE, overlay)]})
    )
    docs = render(overlay)
    assert workload(docs, "Deployment", "school-a-grader")
    targets = {doc["spec"]["scaleTargetRef"]["name"] for doc in objects(docs, "ScaledObject")}
    assert targets == {f"school-a-{name}" for name in GRADERS}
    assert scaled_object_problems(docs) == []


# --- What the platform promises ---------------------------------------------------------


def test_every_container_has_requests_and_limits(rendered):
    missing = [
        f"{name_of(owner)}/{container['name']}"
        for owner, template in pod_templates(rendered)
        for container in containers(template)
        if not all(
            resource in container.get("resources", {}).get(bound, {})
            for bound in ("requests", "limits")
            for resource in ("cpu", "memory")
        )
    ]
    assert missing == []


@pytest.mark.parametrize("name", ["web", *GRADERS])
def test_web_and_graders_are_probed_on_healthz_and_readyz(rendered, name):
    template = pod_template(workload(rendered, "Deployment", name))
    container = template["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


@pytest.mark.parametrize("name", GRADERS)
def test_graders_run_on_grading_nodes_without_database_credentials(rendered, name):
    spec = pod_template(workload(rendered, "Deployment", name))["spec"]
    assert spec["nodeSelector"] == {"course-platform/grading": "true"}
    assert any(t["key"] == "course-platform/grading" for t in spec["tolerations"])
    assert spec["automountServiceAccountToken"] is False
    variables = {v["name"] for c in spec["containers"] for v in c.get("env", [])}
    assert not variables & {"POSTGRES_PASSWORD", "PORTAL_DATABASE_URL", "SECRET_KEY"}
    sockets = [v for v in spec["volumes"] if v.get("hostPath", {}).get("type") == "Socket"]
    assert [v["hostPath"]["path"] for v in sockets] == ["/var/run/docker.sock"]


CGROUP_TREE = "/sys/fs/cgroup"


@pytest.mark.parametrize("name", GRADERS)
def test_graders_read_the_nodes_cgroup_tree_read_only_where_their_setting_says(rendered, name):
    """What each sandbox used is read from the node's cgroup tree (grader/host_usage.py): the
    pod's own /sys/fs/cgroup shows only the pod's cgroup."""
    spec = pod_template(workload(rendered, "Deployment", name))["spec"]
    (volume,) = [v for v in spec["volumes"] if v.get("hostPath", {}).get("path") == CGROUP_TREE]
    (container,) = spec["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["readOnly"] is True
    setting = grader_environment(workload(rendered, "Deployment", name))["GRADER_HOST_CGROUP_DIR"]
    assert setting["value"] == mount["mountPath"]


def test_no_other_pod_gets_a_host_path_or_a_service_account_token(rendered):
    for owner, template in pod_templates(rendered):
        assert template["spec"].get("automountServiceAccountToken") is False, name_of(owner)
        if owner["metadata"]["name"] not in GRADERS:
            assert not any("hostPath" in v for v in template["spec"].get("volumes", []))


# Pod Security's `restricted` level: the volume types it admits.
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "persistentVolumeClaim", "projected", "secret",
}  # fmt: skip


def restricted_profile_problems(template: Doc) -> Problems:
    """What keeps a pod template from Pod Security's `restricted` level."""
    spec = template["spec"]
    problems = []
    pod_context = spec.get("securityContext", {})
    if pod_context.get("runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    if pod_context.get("seccompProfile", {}).get("type") not in ("RuntimeDefault", "Localhost"):
        problems.append("no RuntimeDefault seccomp profile")
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(f"volume {volume['name']} is a {sorted(kinds)}")
    for container in containers(template):
        context = container.get("securityContext", {})
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{container['name']} may escalate privileges")
        if "ALL" not in context.get("capabilities", {}).get("drop", []):
            problems.append(f"{container['name']} keeps its capabilities")
        if set(context.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{container['name']} adds capabilities")
    return problems


def test_every_pod_but_the_graders_meets_pod_security_restricted(rendered):
    """The namespace enforces `privileged` for the graders' socket; the rest need none of it."""
    problems = {
        name_of(owner): restricted_profile_problems(template)
        for owner, template in pod_templates(rendered)
    }
    host_paths = [
        f"volume {name} is a ['hostPath']" for name in ("docker-socket", "cpu-slots", "host-cgroup")
    ]
    for name in GRADERS:
        assert problems.pop(f"Deployment/{name}") == host_paths
    assert all(found == [] for found in problems.values()), problems


def grader_environment(deployment: Doc) -> dict[str, Doc]:
    """The grader container's `env` entries by name (its ConfigMap's values left out)."""
    (container,) = pod_template(deployment)["spec"]["containers"]
    return {variable["name"]: variable for variable in container["env"]}


def test_every_grader_kind_consumes_the_queue_the_portal_sends_its_labs_to(rendered):
    """The grader Deployments, by what they run, and their queues; GRADER_QUEUES agrees."""
    deployments = {doc["metadata"]["name"]: doc for doc in grader_workloads(rendered)}
    assert set(deployments) == set(GRADERS)
    queues = {
        name: grader_environment(doc)["GRADER_QUEUE"]["value"] for name, doc in deployments.items()
    }
    assert queues == GRADERS
    config = workload(rendered, "ConfigMap", "platform-config")["data"]
    assert parse_grader_queues(config["GRADER_QUEUES"]) == {
        "node-sandbox": "grading",
        "python-sandbox": "grading-python",
    }


def test_the_python_graders_differ_from_the_node_graders_only_in_their_kind(rendered):
    """grader-python.yaml is a copy of grader.yaml: nothing but its name, labels, adapter,
    queue and sandbox image may differ, so a fix to one that misses the other is seen."""
    node, python = (copy.deepcopy(workload(rendered, "Deployment", name)) for name in GRADERS)
    kind_variables = {"GRADER_ADAPTER", "GRADER_QUEUE", "SANDBOX_IMAGE"}
    assert {
        name: variable.get("value") or variable["valueFrom"]["configMapKeyRef"]["key"]
        for name, variable in grader_environment(python).items()
        if name in kind_variables
    } == {
        "GRADER_ADAPTER": "python",
        "GRADER_QUEUE": "grading-python",
        "SANDBOX_IMAGE": "PYTHON_SANDBOX_IMAGE",  # the ConfigMap's key, not SANDBOX_IMAGE
    }
    node_kind = {
        name: variable["value"]
        for name, variable in grader_environment(node).items()
        if name in kind_variables
    }
    assert node_kind == {"GRADER_ADAPTER": "node", "GRADER_QUEUE": "grading"}
    for deployment in (node, python):
        (container,) = pod_template(deployment)["spec"]["containers"]
        container["env"] = [v for v in container["env"] if v["name"] not in kind_variables]
    assert json.loads(json.dumps(python).replace('"grader-python"', '"grader"')) == node


def test_each_grader_trigger_counts_waiting_running_and_held_work_on_its_own_queue(
    rendered, redis_url
):
    """Each ScaledObject's query names metrics `/metrics` really has, each on the queue of
    the Deployment it scales."""
    scaled_objects = objects(rendered, "ScaledObject")
    assert {doc["spec"]["scaleTargetRef"]["name"] for doc in scaled_objects} == set(GRADERS)
    used_metrics = set()
    for scaled in scaled_objects:
        (trigger,) = scaled["spec"]["triggers"]
        assert trigger["type"] == "prometheus"
        used = re.findall(r"(\w+)\{([^}]*)\}", trigger["metadata"]["query"])
        assert {metric for metric, _ in used} == {
            "portal_queue_jobs",
            "portal_queue_running_jobs",
            "portal_queue_held_submissions",
        }
        queue = GRADERS[scaled["spec"]["scaleTargetRef"]["name"]]
        for _, matchers in used:
            assert f'queue="{queue}"' in matchers, name_of(scaled)
        used_metrics |= {metric for metric, _ in used}
    connection = redis.Redis.from_url(redis_url)
    try:
        queues = [*GRADERS.values(), contract.RESULTS_QUEUE]
        exported = {family.name for family in QueueCollector(connection, queues).collect()}
    finally:
        connection.close()
    assert used_metrics <= exported


# --- KEDA's schema ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def keda_models() -> Path:
    """@kubernetes-models/keda, which `make test` installs into .tools/ (gitignored) with npm."""
    require(shutil.which("node") is not None, "Node.js is needed to validate against KEDA")
    installed = KEDA_MODELS_DIR / "installed"  # written by make once npm has finished
    require(installed.is_file(), f"{KEDA_MODELS} is not installed: run `make test`")
    return KEDA_MODELS_DIR / "node_modules" / KEDA_MODELS


# Runs in KEDA_MODELS_DIR: validates each ScaledObject read from stdin, prints the errors.
VALIDATE_SCALED_OBJECTS = """
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const errors = JSON.parse(input).map((doc) => {
  try { new ScaledObject(doc).validate(); return null; } catch (error) { return error.message; }
});
console.log(JSON.stringify(errors));
"""

# Where KEDA's objects nest, and the model (in the package's _schemas/) of each.
KEDA_MODEL_AT = {
    "": "ScaledObject",
    "spec": "ScaledObjectSpec",
    "spec.scaleTargetRef": "ScaleTarget",
    "spec.triggers[]": "ScaleTriggers",
    "spec.fallback": "Fallback",
    "spec.advanced": "AdvancedConfig",
    "spec.advanced.horizontalPodAutoscalerConfig": "HorizontalPodAutoscalerConfig",
}


def keda_validation_errors(package: Path, docs: list[Doc]) -> list[str | None]:
    """The package's validator's verdict on each ScaledObject (None: valid)."""
    done = subprocess.run(
        ["node", "--input-type=module", "-e", VALIDATE_SCALED_OBJECTS],
        input=json.dumps(docs),
        cwd=package.parents[2],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def keda_unknown_fields(package: Path, doc: Doc) -> list[str]:
    """Fields the KEDA models do not have: the API server rejects them, the validator not.

    The package's compiled validators read each known field as `data.<field>`; those are
    the model's fields (its generator writes no `additionalProperties: false`).
    """
    unknown = []
    for path, model in KEDA_MODEL_AT.items():
        source = package / "_schemas" / f"ComGithubKedacoreKedaV2ApisKedaV1alpha1{model}.js"
        known = set(re.findall(r"\bdata\.([A-Za-z_]\w*)", source.read_text()))
        assert known, f"no fields found in {source.name}: the package's layout changed"
        values = [doc]
        for part in filter(None, path.split(".")):
            key = part.removesuffix("[]")
            values = [v[key] for v in values if isinstance(v, dict) and key in v]
            if part.endswith("[]"):
                values = [item for v in values for item in v]
        for value in values:
            unknown += [f"{path or 'top'}.{field}" for field in sorted(set(value) - known)]
    return unknown


def test_keda_accepts_the_scaled_object(rendered, keda_models):
    scaled_objects = objects(rendered, "ScaledObject")
    assert keda_validation_errors(keda_models, scaled_objects) == [None] * len(scaled_objects)
    assert [keda_unknown_fields(keda_models, doc) for doc in scaled_objects] == [[]] * len(GRADERS)


def test_keda_rejects_a_broken_scaled_object(rendered, keda_models):
    scaled = workload(rendered, "ScaledObject", "grader")
    wrong_type = copy.deepcopy(scaled)
    wrong_type["spec"]["triggers"][0]["metadata"]["threshold"] = 1  # KEDA wants strings
    no_triggers = copy.deepcopy(scaled)
    del no_triggers["spec"]["triggers"]
    errors = keda_validation_errors(keda_models, [wrong_type, no_triggers])
    assert all(errors), errors
    misspelt = copy.deepcopy(scaled)
    misspelt["spec"]["minReplicas"] = misspelt["spec"].pop("minReplicaCount")
    assert keda_unknown_fields(keda_models, misspelt) == ["spec.minReplicas"]
