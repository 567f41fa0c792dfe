"""The Kubernetes manifests (deploy/kubernetes/), checked without a cluster.

No API server can run here, so the example overlay is rendered with `kubectl kustomize`
and checked three ways: every built-in object against Kubernetes' own schemas
(`kubernetes-validate --strict`, unknown fields rejected), the KEDA ScaledObject against
KEDA's models (npm's @kubernetes-models/keda, installed on first use under .tools/), and
the references between objects that no schema sees: a ScaledObject's target, the
selectors of Services, PodDisruptionBudgets and NetworkPolicies, named ports, the Secret's
keys and the `$(VAR)`s the kubelet expands. Then what the platform promises: graders
cannot reach PostgreSQL, hold no database credentials, and scale on the metrics the web
app really exports. The checkers are tried on broken copies too, so a check that cannot
fail is noticed.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import yaml

import contract
from portal.metrics.queues import QueueCollector
from tests.conftest import require

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
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")

Doc = dict
Problems = list[str]


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


def name_of(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def objects(docs: list[Doc], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def pod_template(doc: Doc) -> Doc | None:
    """A workload's pod template (a CronJob's is one level deeper), else None."""
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    if doc["kind"] in WORKLOAD_KINDS:
        return doc["spec"]["template"]
    return None


def pod_templates(docs: list[Doc]) -> Iterator[tuple[Doc, Doc]]:
    """(workload, pod template) for every workload rendered."""
    for doc in docs:
        template = pod_template(doc)
        if template is not None:
            yield doc, template


def containers(template: Doc) -> list[Doc]:
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def workload(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert found, f"no {kind}/{name} rendered"
    return found[0]


# --- Selectors -------------------------------------------------------------------------


def selector_matches(selector: Doc | None, labels: dict[str, str]) -> bool:
    """Kubernetes' label selector semantics: matchLabels and matchExpressions, ANDed."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def pods_selected(docs: list[Doc], namespace: str | None, selector: Doc) -> list[Doc]:
    """The pod templates of `namespace` a selector picks."""
    return [
        template
        for owner, template in pod_templates(docs)
        if owner["metadata"].get("namespace") == namespace
        and selector_matches(selector, template["metadata"].get("labels", {}))
    ]


def local_peer_selectors(policy: Doc) -> Iterator[Doc]:
    """The podSelectors of a NetworkPolicy's peers that mean pods of its own namespace."""
    for rule in policy["spec"].get("ingress", []):
        for peer in rule.get("from", []):
            if "podSelector" in peer and "namespaceSelector" not in peer:
                yield peer["podSelector"]
    for rule in policy["spec"].get("egress", []):
        for peer in rule.get("to", []):
            if "podSelector" in peer and "namespaceSelector" not in peer:
                yield peer["podSelector"]


# --- Cross-reference checks (what schemas cannot see) -----------------------------------


def scaled_object_problems(docs: list[Doc]) -> Problems:
    """Every ScaledObject scales a Deployment rendered beside it (kustomize may rename it)."""
    problems = []
    for scaled in objects(docs, "ScaledObject"):
        target = scaled["spec"]["scaleTargetRef"]
        kind = target.get("kind", "Deployment")
        namespace = scaled["metadata"].get("namespace")
        if not any(
            doc["kind"] == kind
            and doc["metadata"]["name"] == target["name"]
            and doc["metadata"].get("namespace") == namespace
            for doc in docs
        ):
            problems.append(f"{name_of(scaled)} scales {kind}/{target['name']}, not rendered")
    return problems


def selector_problems(docs: list[Doc]) -> Problems:
    """Every selector matches a pod template of its namespace, and every workload its own."""
    problems = []
    for doc in docs:
        namespace = doc["metadata"].get("namespace")
        selectors: list[tuple[str, Doc]] = []
        if doc["kind"] == "Service" and doc["spec"].get("selector"):
            selectors.append(("selector", {"matchLabels": doc["spec"]["selector"]}))
        elif doc["kind"] == "PodDisruptionBudget":
            selectors.append(("selector", doc["spec"]["selector"]))
        elif doc["kind"] == "NetworkPolicy":
            selectors.append(("podSelector", doc["spec"]["podSelector"]))
            selectors.extend(("peer podSelector", peer) for peer in local_peer_selectors(doc))
        for field, selector in selectors:
            if not pods_selected(docs, namespace, selector):
                problems.append(f"{name_of(doc)}: {field} {selector} matches no pod template")
        template = pod_template(doc)
        if template is not None and doc["kind"] != "CronJob" and "selector" in doc["spec"]:
            if not selector_matches(doc["spec"]["selector"], template["metadata"]["labels"]):
                problems.append(f"{name_of(doc)}: its selector does not match its own pods")
    return problems


def named_ports(template: Doc) -> set[str]:
    return {
        port["name"]
        for container in template["spec"]["containers"]
        for port in container.get("ports", [])
        if "name" in port
    }


def port_problems(docs: list[Doc]) -> Problems:
    """Named ports used by Services, NetworkPolicies, Ingresses and probes exist."""
    problems = []
    for doc in docs:
        namespace = doc["metadata"].get("namespace")
        if doc["kind"] == "Service" and doc["spec"].get("selector"):
            pods = pods_selected(docs, namespace, {"matchLabels": doc["spec"]["selector"]})
            for port in doc["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                if isinstance(target, str) and any(target not in named_ports(p) for p in pods):
                    problems.append(f"{name_of(doc)}: targetPort {target} is not a pod's port")
        if doc["kind"] == "NetworkPolicy":
            pods = pods_selected(docs, namespace, doc["spec"]["podSelector"])
            for rule in doc["spec"].get("ingress", []):
                for port in rule.get("ports", []):
                    if isinstance(port.get("port"), str):
                        if any(port["port"] not in named_ports(p) for p in pods):
                            problems.append(f"{name_of(doc)}: port {port['port']} is not named")
        if doc["kind"] == "Ingress":
            services = {s["metadata"]["name"]: s for s in objects(docs, "Service")}
            for rule in doc["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    backend = path["backend"]["service"]
                    service = services.get(backend["name"])
                    port_names = (
                        {p.get("name") for p in service["spec"]["ports"]} if service else ()
                    )
                    if backend["port"].get("name") not in port_names:
                        problems.append(f"{name_of(doc)}: no Service port {backend}")
    for owner, template in pod_templates(docs):
        ports = named_ports(template)
        for container in containers(template):
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                action = container.get(probe, {})
                port = (action.get("httpGet") or action.get("tcpSocket") or {}).get("port")
                if isinstance(port, str) and port not in ports:
                    problems.append(f"{name_of(owner)}: {probe} port {port} is not named")
    return problems


def secret_keys() -> set[str]:
    template = yaml.safe_load(SECRET_TEMPLATE.read_text())
    return set(template.get("stringData", {})) | set(template.get("data", {}))


def environment_problems(docs: list[Doc]) -> Problems:
    """ConfigMap and Secret keys exist, and every `$(VAR)` is defined before its use."""
    problems = []
    config_maps = {
        (doc["metadata"].get("namespace"), doc["metadata"]["name"]): doc.get("data", {})
        for doc in objects(docs, "ConfigMap")
    }
    secret_name = yaml.safe_load(SECRET_TEMPLATE.read_text())["metadata"]["name"]
    keys = secret_keys()
    for owner, template in pod_templates(docs):
        namespace = owner["metadata"].get("namespace")
        for container in containers(template):
            where = f"{name_of(owner)} container {container['name']}"
            defined: set[str] = set()
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef", {}).get("name")
                if ref is not None:
                    if (namespace, ref) not in config_maps:
                        problems.append(f"{where}: no ConfigMap {ref}")
                    defined |= set(config_maps.get((namespace, ref), {}))
            for variable in container.get("env", []):
                value_from = variable.get("valueFrom", {})
                if "secretKeyRef" in value_from:
                    ref = value_from["secretKeyRef"]
                    if ref["name"] != secret_name or ref["key"] not in keys:
                        problems.append(f"{where}: secret {ref['name']}/{ref['key']} unknown")
                if "configMapKeyRef" in value_from:
                    ref = value_from["configMapKeyRef"]
                    if ref["key"] not in config_maps.get((namespace, ref["name"]), {}):
                        problems.append(f"{where}: ConfigMap {ref['name']}/{ref['key']} unknown")
                for used in re.findall(r"\$\((\w+)\)", variable.get("value", "")):
                    if used not in defined:
                        problems.append(f"{where}: {variable['name']} uses undefined $({used})")
                defined.add(variable["name"])
            for argument in [*container.get("command", []), *container.get("args", [])]:
                for used in re.findall(r"\$\((\w+)\)", argument):
                    if used not in defined:
                        problems.append(f"{where}: an argument uses undefined $({used})")
    return problems


def may_connect(docs: list[Doc], client: Doc, server: Doc, port: int) -> bool:
    """Whether NetworkPolicies let `client` pods open `port` on `server` pods (one namespace).

    Kubernetes' rule: a pod selected by any policy of a direction is isolated in that
    direction, and then only what some policy's rule admits gets through.
    """
    client_labels = client["metadata"]["labels"]
    server_labels = server["metadata"]["labels"]
    server_ports = {
        p["name"]: p["containerPort"]
        for c in server["spec"]["containers"]
        for p in c.get("ports", [])
        if "name" in p
    }

    def port_admitted(rule: Doc) -> bool:
        ports = rule.get("ports")
        return not ports or any(
            server_ports.get(p.get("port"), p.get("port")) == port for p in ports
        )

    def peer_admits(peers: list[Doc] | None, labels: dict[str, str]) -> bool:
        if peers is None:  # no `from`/`to`: every peer
            return True
        return any(
            "namespaceSelector" not in peer and selector_matches(peer.get("podSelector"), labels)
            for peer in peers
        )

    policies = objects(docs, "NetworkPolicy")
    for direction, selected, other, peers_key in (
        ("Ingress", server_labels, client_labels, "from"),
        ("Egress", client_labels, server_labels, "to"),
    ):
        governing = [
            policy
            for policy in policies
            if direction in policy["spec"].get("policyTypes", ["Ingress"])
            and selector_matches(policy["spec"]["podSelector"], selected)
        ]
        if governing and not any(
            peer_admits(rule.get(peers_key), other) and port_admitted(rule)
            for policy in governing
            for rule in policy["spec"].get(direction.lower(), [])
        ):
            return False
    return True


def database_reach_problems(docs: list[Doc]) -> Problems:
    """Graders reach Valkey and not PostgreSQL; the portal's pods reach both."""
    postgres = pod_template(workload(docs, "StatefulSet", "postgres"))
    valkey = pod_template(workload(docs, "StatefulSet", "valkey"))
    grader = pod_template(workload(docs, "Deployment", "grader"))
    problems = []
    if may_connect(docs, grader, postgres, 5432):
        problems.append("a grader may connect to PostgreSQL")
    if not may_connect(docs, grader, valkey, 6379):
        problems.append("a grader may not connect to Valkey")
    for name in ("web", "web-worker"):
        web = pod_template(workload(docs, "Deployment", name))
        if not may_connect(docs, web, postgres, 5432):
            problems.append(f"{name} may not connect to PostgreSQL")
        if not may_connect(docs, web, valkey, 6379):
            problems.append(f"{name} may not connect to Valkey")
    return problems


ALL_CHECKS: tuple[Callable[[list[Doc]], Problems], ...] = (
    scaled_object_problems,
    selector_problems,
    port_problems,
    environment_problems,
    database_reach_problems,
)


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
        "StatefulSet/postgres",
        "StatefulSet/valkey",
        "Job/migrate",
        "CronJob/sweeper",
        "Service/web",
        "Ingress/web",
        "ScaledObject/grader",
        "PodDisruptionBudget/web",
        "PodDisruptionBudget/grader",
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
    env[0]["valueFrom"]["secretKeyRef"]["key"] = "REDIS_PASSWORD"


def label_graders_database_clients(docs):
    labels = pod_template(workload(docs, "Deployment", "grader"))["metadata"]["labels"]
    labels["course-platform/database-client"] = "true"


def drop_the_grader_egress_policy(docs):
    docs.remove(workload(docs, "NetworkPolicy", "grader-egress-valkey-only"))


def let_graders_reach_the_database(docs):
    label_graders_database_clients(docs)
    drop_the_grader_egress_policy(docs)


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
    assert objects(docs, "ScaledObject")[0]["spec"]["scaleTargetRef"]["name"] == "school-a-grader"
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


@pytest.mark.parametrize("name", ["web", "grader"])
def test_web_and_graders_are_probed_on_healthz_and_readyz(rendered, name):
    template = pod_template(workload(rendered, "Deployment", name))
    container = template["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_graders_run_on_grading_nodes_without_database_credentials(rendered):
    spec = pod_template(workload(rendered, "Deployment", "grader"))["spec"]
    assert spec["nodeSelector"] == {"course-platform/grading": "true"}
    assert any(t["key"] == "course-platform/grading" for t in spec["tolerations"])
    assert spec["automountServiceAccountToken"] is False
    variables = {v["name"] for c in spec["containers"] for v in c.get("env", [])}
    assert not variables & {"POSTGRES_PASSWORD", "PORTAL_DATABASE_URL", "SECRET_KEY"}
    sockets = [v for v in spec["volumes"] if v.get("hostPath", {}).get("type") == "Socket"]
    assert [v["hostPath"]["path"] for v in sockets] == ["/var/run/docker.sock"]


def test_no_other_pod_gets_a_host_path_or_a_service_account_token(rendered):
    for owner, template in pod_templates(rendered):
        assert template["spec"].get("automountServiceAccountToken") is False, name_of(owner)
        if owner["metadata"]["name"] != "grader":
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
    host_paths = [f"volume {name} is a ['hostPath']" for name in ("docker-socket", "cpu-slots")]
    assert problems.pop("Deployment/grader") == host_paths
    assert all(found == [] for found in problems.values()), problems


def test_the_grader_trigger_counts_waiting_and_running_jobs_the_web_app_exports(
    rendered, redis_url
):
    """The query names metrics `/metrics` really has, each on the graders' queue."""
    (trigger,) = objects(rendered, "ScaledObject")[0]["spec"]["triggers"]
    assert trigger["type"] == "prometheus"
    used = re.findall(r"(\w+)\{([^}]*)\}", trigger["metadata"]["query"])
    assert {metric for metric, _ in used} == {"portal_queue_jobs", "portal_queue_running_jobs"}
    for _, matchers in used:
        assert f'queue="{contract.GRADING_QUEUE}"' in matchers
    connection = redis.Redis.from_url(redis_url)
    try:
        exported = {family.name for family in QueueCollector(connection).collect()}
    finally:
        connection.close()
    assert {metric for metric, _ in used} <= exported


# --- KEDA's schema ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def keda_models() -> Path:
    """@kubernetes-models/keda, installed once into .tools/ (gitignored) with npm."""
    npm, node = shutil.which("npm"), shutil.which("node")
    require(bool(npm and node), "Node.js and npm are needed to validate against KEDA")
    package = KEDA_MODELS_DIR / "node_modules" / KEDA_MODELS
    installed = KEDA_MODELS_DIR / "installed"  # written once npm has finished
    if not installed.is_file():
        done = subprocess.run(
            [npm, "install", "--prefix", str(KEDA_MODELS_DIR), "--no-audit", "--no-fund",
             "--loglevel=error", f"{KEDA_MODELS}@{KEDA_MODELS_VERSION}"],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, f"npm install {KEDA_MODELS} failed:\n{done.stderr}"
        installed.write_text(f"{KEDA_MODELS}@{KEDA_MODELS_VERSION}\n")
    return package


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
    assert [keda_unknown_fields(keda_models, doc) for doc in scaled_objects] == [[]]


def test_keda_rejects_a_broken_scaled_object(rendered, keda_models):
    (scaled,) = objects(rendered, "ScaledObject")
    wrong_type = copy.deepcopy(scaled)
    wrong_type["spec"]["triggers"][0]["metadata"]["threshold"] = 1  # KEDA wants strings
    no_triggers = copy.deepcopy(scaled)
    del no_triggers["spec"]["triggers"]
    errors = keda_validation_errors(keda_models, [wrong_type, no_triggers])
    assert all(errors), errors
    misspelt = copy.deepcopy(scaled)
    misspelt["spec"]["minReplicas"] = misspelt["spec"].pop("minReplicaCount")
    assert keda_unknown_fields(keda_models, misspelt) == ["spec.minReplicas"]
