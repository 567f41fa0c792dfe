"""Checks of rendered Kubernetes objects that no schema sees, for the manifests' tests.

Each `*_problems(docs)` returns one sentence per broken reference: a ScaledObject's target,
the selectors of Services, PodDisruptionBudgets and NetworkPolicies, named and probed ports,
the Secret's keys and the `$(VAR)`s the kubelet expands, and whether NetworkPolicies let a
pod reach PostgreSQL or Valkey.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SECRET_TEMPLATE = REPO / "deploy" / "kubernetes" / "base" / "secret.template.yaml"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")

Doc = dict
Problems = list[str]


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


def grader_workloads(docs: list[Doc]) -> list[Doc]:
    """The workloads whose pods run a grader worker (`grader worker`), of whatever kind: told
    by what they run, not by a label a new grader kind might lack."""
    return [
        owner
        for owner, template in pod_templates(docs)
        if any(container.get("command", [])[:2] == ["grader", "worker"]
               for container in template["spec"]["containers"])
    ]  # fmt: skip


def database_reach_problems(docs: list[Doc]) -> Problems:
    """Graders of every kind reach Valkey and not PostgreSQL; the portal's pods reach both."""
    postgres = pod_template(workload(docs, "StatefulSet", "postgres"))
    valkey = pod_template(workload(docs, "StatefulSet", "valkey"))
    problems = []
    for owner in grader_workloads(docs):
        grader = pod_template(owner)
        if may_connect(docs, grader, postgres, 5432):
            problems.append(f"{name_of(owner)} may connect to PostgreSQL")
        if not may_connect(docs, grader, valkey, 6379):
            problems.append(f"{name_of(owner)} may not connect to Valkey")
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
