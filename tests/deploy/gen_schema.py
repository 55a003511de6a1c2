#!/usr/bin/env python3
"""Writes chart/bankbox/values.schema.json.

The schema is kept as Python here because JSON has no comments; run this after
changing values.yaml, and run.sh checks that the committed file is current.
Every object is closed (additionalProperties: false) so a typo fails install.
"""
import json
import sys
from pathlib import Path


def obj(props, required=None, **kw):
    out = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        out["required"] = required
    out.update(kw)
    return out


def free_map(desc, value=None):
    """A map of free keys (labels, annotations, nodeSelector)."""
    return {"type": "object", "description": desc,
            "additionalProperties": value or {"type": "string"}}


def s(desc=None, **kw):
    out = {"type": "string"}
    if desc:
        out["description"] = desc
    out.update(kw)
    return out


def i(desc=None, **kw):
    out = {"type": "integer"}
    if desc:
        out["description"] = desc
    out.update(kw)
    return out


def b(desc=None):
    out = {"type": "boolean"}
    if desc:
        out["description"] = desc
    return out


def k8s_list(desc):
    """A list of Kubernetes objects validated by the API server, not here."""
    return {"type": "array", "description": desc, "items": {"type": "object"}}


QUANTITY = {"anyOf": [{"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$"},
                      {"type": "number", "minimum": 0}]}
RESOURCE_LIST = obj({"cpu": QUANTITY, "memory": QUANTITY, "ephemeral-storage": QUANTITY})
PORT = i(minimum=1, maximum=65535)
SECRET_NAME = s(pattern=r"^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", maxLength=253)
SECRET_KEY = s(pattern=r"^[-._a-zA-Z0-9]+$", minLength=1)

probe = obj({
    "periodSeconds": i(minimum=1),
    "timeoutSeconds": i(minimum=1),
    "failureThreshold": i(minimum=1),
})

schema = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "bankbox chart values",
    **obj({
        "global": {"type": "object", "description": "Helm's global values (from parent charts)"},
        "image": obj({
            "repository": s(minLength=1),
            "tag": s(),
            "digest": s(pattern=r"^$|^sha256:[a-f0-9]{64}$"),
            "pullPolicy": s(enum=["Always", "IfNotPresent", "Never"]),
        }, required=["repository"]),
        "imagePullSecrets": {"type": "array", "items": obj({"name": s(minLength=1)}, required=["name"])},
        "nameOverride": s(maxLength=63),
        "fullnameOverride": s(maxLength=63),
        "replicaCount": i(minimum=0),
        "environment": s(enum=["production", "development"]),
        "logLevel": s(minLength=1),
        "openRegistration": b(),
        "shutdownTimeoutSeconds": i(minimum=0, maximum=3600),
        "preStopSleepSeconds": i(minimum=0, maximum=300),
        "containerPort": PORT,
        "extraEnv": {"type": "array", "items": {"type": "object", "required": ["name"],
                                                 "properties": {"name": s(minLength=1)}}},
        "auth": obj({
            "jwtSecret": obj({"existingSecret": SECRET_NAME, "key": SECRET_KEY}),
            "adminPassword": obj({"existingSecret": SECRET_NAME, "key": SECRET_KEY}),
        }),
        "database": obj({
            "mode": s(enum=["embedded", "external"]),
            "url": s(pattern=r"^$|^postgres(ql)?://"),
            "existingSecret": SECRET_NAME,
            "existingSecretKey": SECRET_KEY,
            "port": PORT,
            "poolSize": i(minimum=1, maximum=1000),
        }),
        "redis": obj({
            "enabled": b(),
            "url": s(pattern=r"^$|^rediss?://"),
            "existingSecret": SECRET_NAME,
            "existingSecretKey": SECRET_KEY,
            "port": PORT,
            "keyPrefix": s(maxLength=64),
        }),
        "persistence": obj({
            "enabled": b(),
            "existingClaim": s(),
            "storageClass": s(),
            "accessModes": {"type": "array", "minItems": 1, "items": s(
                enum=["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"])},
            "size": QUANTITY,
            "annotations": free_map("PVC annotations"),
            "retentionPolicy": obj({
                "whenDeleted": s(enum=["Retain", "Delete"]),
                "whenScaled": s(enum=["Retain", "Delete"]),
            }),
        }),
        "service": obj({
            "type": s(enum=["ClusterIP", "NodePort", "LoadBalancer"]),
            "port": PORT,
            "nodePort": {"type": ["integer", "null"], "minimum": 30000, "maximum": 32767},
            "annotations": free_map("Service annotations"),
        }),
        "ingress": obj({
            "enabled": b(),
            "className": s(),
            "annotations": free_map("Ingress annotations"),
            "host": s(minLength=1),
            "path": s(pattern="^/"),
            "pathType": s(enum=["Prefix", "Exact", "ImplementationSpecific"]),
            "tls": obj({
                "enabled": b(),
                "secretName": SECRET_NAME,
                "clusterIssuer": s(),
                "issuer": s(),
            }),
        }),
        "autoscaling": obj({
            "enabled": b(),
            "minReplicas": i(minimum=1),
            "maxReplicas": i(minimum=1),
            "targetCPUUtilizationPercentage": i(minimum=1, maximum=100),
            "targetMemoryUtilizationPercentage": i(minimum=1, maximum=100),
        }),
        "podDisruptionBudget": obj({
            "enabled": b(),
            "minAvailable": {"anyOf": [i(minimum=0), s(pattern=r"^[0-9]+%$")]},
        }),
        "rollingUpdate": obj({
            "maxSurge": {"anyOf": [i(minimum=0), s(pattern=r"^[0-9]+%$")]},
            "maxUnavailable": {"anyOf": [i(minimum=0), s(pattern=r"^[0-9]+%$")]},
        }),
        "minReadySeconds": i(minimum=0),
        "serviceAccount": obj({
            "create": b(),
            "name": s(),
            "annotations": free_map("ServiceAccount annotations"),
        }),
        "networkPolicy": obj({
            "enabled": b(),
            "ingressControllerNamespace": s(minLength=1),
            "allowSameNamespace": b(),
            "extraIngressFrom": k8s_list("NetworkPolicyPeer list"),
            "dns": obj({
                "namespace": s(minLength=1),
                "podLabels": free_map("labels of the DNS pods"),
            }),
            "databaseTo": k8s_list("NetworkPolicyPeer list"),
            "redisTo": k8s_list("NetworkPolicyPeer list"),
            "extraEgress": k8s_list("NetworkPolicyEgressRule list"),
        }),
        "serviceMonitor": obj({
            "enabled": b(),
            "path": s(pattern="^/"),
            "interval": s(pattern=r"^[0-9]+(ms|s|m|h)$"),
            "scrapeTimeout": s(pattern=r"^[0-9]+(ms|s|m|h)$"),
            "labels": free_map("ServiceMonitor labels"),
        }),
        "resources": obj({"requests": RESOURCE_LIST, "limits": RESOURCE_LIST}),
        "podSecurityContext": {"type": "object", "description": "PodSecurityContext"},
        "securityContext": {"type": "object", "description": "SecurityContext of the container"},
        "probes": obj({"startup": probe, "readiness": probe, "liveness": probe}),
        "tests": obj({"enabled": b()}),
        "podAnnotations": free_map("pod annotations"),
        "podLabels": free_map("pod labels"),
        "priorityClassName": s(),
        "nodeSelector": free_map("nodeSelector"),
        "tolerations": k8s_list("Toleration list"),
        "affinity": {"type": "object", "description": "Affinity"},
        "topologySpreadConstraints": k8s_list("TopologySpreadConstraint list"),
    }),
}

out = json.dumps(schema, indent=2) + "\n"
path = Path(__file__).resolve().parents[2] / "chart/bankbox/values.schema.json"
if "--check" in sys.argv:
    if not path.exists() or path.read_text() != out:
        sys.exit(f"{path} is stale: run python3 tests/deploy/gen_schema.py")
    print(f"{path.name} is current")
else:
    path.write_text(out)
    print(f"wrote {path}")
