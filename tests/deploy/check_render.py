#!/usr/bin/env python3
"""What each values profile must render to: the issue's requirements, checked
on `helm template` output.

Usage: check_render.py PROFILE RENDER.yaml
PROFILE: default, minikube, external, ingress-tls, hardened, or one of the
variants run.sh renders with --set (external-urls, external-single,
no-persistence, servicemonitor, no-prestop).
"""
import base64
import sys

import yaml

PASSED, FAILED = [], []


def check(ok, what, detail=""):
    (PASSED if ok else FAILED).append(what)
    if not ok:
        print(f"  FAIL {what}: {detail}")


def main():
    profile, path = sys.argv[1], sys.argv[2]
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)

    def one(kind, name=None):
        items = [d for d in by_kind.get(kind, []) if name is None or d["metadata"]["name"] == name]
        return items[0] if len(items) == 1 else None

    hooks = [d for d in docs if (d["metadata"].get("annotations") or {}).get("helm.sh/hook") == "test"]
    main_docs = [d for d in docs if d not in hooks]
    external = profile.startswith("external")
    wl = one("Deployment") if external else one("StatefulSet")
    check(wl is not None, "one workload of the right kind", str(list(by_kind)))
    if wl is None:
        return report(profile)
    check(one("StatefulSet" if external else "Deployment") is None, "no workload of the other kind")
    pod = wl["spec"]["template"]["spec"]
    c = pod["containers"][0]
    env = {e["name"]: e for e in c.get("env", [])}
    sel = wl["spec"]["selector"]["matchLabels"]

    # Every object is labelled; the Service selects exactly the server pods.
    for d in main_docs:
        labels = d["metadata"].get("labels") or {}
        check(labels.get("app.kubernetes.io/instance") and labels.get("helm.sh/chart"),
              f"{d['kind']}/{d['metadata']['name']} has the standard labels")
    svc = one("Service", "bankbox")
    check(svc is not None and svc["spec"]["selector"] == sel, "Service selects the workload's pods")
    check(all(wl["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in sel.items()),
          "pod labels match the selector")

    # Pod hardening and lifecycle.
    sc, psc = c["securityContext"], pod["securityContext"]
    check(psc.get("runAsNonRoot") and psc.get("runAsUser") == 65532 and psc.get("fsGroup") == 65532,
          "pod runs as 65532 with fsGroup 65532", str(psc))
    check(sc.get("readOnlyRootFilesystem") and sc.get("allowPrivilegeEscalation") is False
          and sc["capabilities"]["drop"] == ["ALL"] and sc["seccompProfile"]["type"] == "RuntimeDefault",
          "container hardened", str(sc))
    check(pod.get("automountServiceAccountToken") is False, "no token automount in the pod")
    sa = one("ServiceAccount")
    check(sa is not None and sa.get("automountServiceAccountToken") is False, "ServiceAccount without token automount")
    check(pod.get("enableServiceLinks") is False, "enableServiceLinks false")
    res = c["resources"]
    check(res["requests"]["cpu"] == "200m" and res["limits"]["cpu"] == "500m"
          and res["requests"]["memory"] == "256Mi" and res["limits"]["memory"] == "512Mi",
          "resources 200m/500m CPU, 256Mi/512Mi memory", str(res))
    check(c["startupProbe"]["httpGet"]["path"] == "/ping" and c["readinessProbe"]["httpGet"]["path"] == "/ready"
          and c["livenessProbe"]["httpGet"]["path"] == "/ping", "probes /ping, /ready, /ping")
    sleep = ((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep", {}).get("seconds", 0)
    drain = int(env["BANKBOX_SHUTDOWN_TIMEOUT"]["value"])
    check(pod["terminationGracePeriodSeconds"] == sleep + drain + 5,
          "terminationGracePeriodSeconds = preStop sleep + BANKBOX_SHUTDOWN_TIMEOUT + 5",
          f"{pod['terminationGracePeriodSeconds']} vs {sleep}+{drain}+5")
    if profile == "no-prestop":
        check("lifecycle" not in c, "preStopSleepSeconds=0: no preStop hook")
    else:
        check(sleep > 0 and "exec" not in c["lifecycle"]["preStop"], "native preStop sleep (no shell in the image)")
    check(env["ENVIRONMENT"]["value"] == "production", "ENVIRONMENT=production")

    # Secrets: JWT and admin password from a Secret, generated and kept.
    auth = one("Secret", "bankbox-auth")
    check(auth is not None, "chart-made auth Secret")
    if auth:
        data = {k: base64.b64decode(v).decode() for k, v in auth["data"].items()}
        check(len(data.get("jwt-secret", "")) >= 32, "generated JWT secret >= 32 characters")
        check(8 <= len(data.get("admin-password", "")) <= 128, "generated admin password of 8-128 characters")
        check(auth["metadata"]["annotations"].get("helm.sh/resource-policy") == "keep",
              "auth Secret kept on uninstall")
    for name, key in (("JWT_SECRET", "jwt-secret"), ("BANKBOX_ADMIN_PASSWORD", "admin-password")):
        ref = env[name]["valueFrom"]["secretKeyRef"]
        check(ref == {"name": "bankbox-auth", "key": key}, f"{name} from Secret bankbox-auth/{key}", str(ref))

    if external:
        check("DATABASE_URL" in env and "valueFrom" in env["DATABASE_URL"], "DATABASE_URL from a Secret")
        strat = wl["spec"]["strategy"]
        check(strat["type"] == "RollingUpdate" and strat["rollingUpdate"]["maxUnavailable"] == 0
              and strat["rollingUpdate"]["maxSurge"] == 1, "rolling update with maxUnavailable 0")
        check(not wl["spec"].get("volumeClaimTemplates") and "emptyDir" in pod["volumes"][0],
              "no PVC in external mode")
        check("podAntiAffinity" in (pod.get("affinity") or {}), "pods spread over nodes (anti-affinity)")
    else:
        check(wl["spec"]["replicas"] == 1, "one replica")
        check(one("Service", "bankbox-headless") is not None
              and wl["spec"]["serviceName"] == "bankbox-headless", "headless governing Service")
        check(one("HorizontalPodAutoscaler") is None and one("PodDisruptionBudget") is None,
              "no HPA or PDB with the embedded store")
        if profile == "no-persistence":
            check(not wl["spec"].get("volumeClaimTemplates")
                  and pod["volumes"][0]["name"] == "data" and "emptyDir" in pod["volumes"][0],
                  "persistence.enabled=false: /data on an emptyDir")
        else:
            vct = wl["spec"]["volumeClaimTemplates"]
            check(len(vct) == 1 and vct[0]["metadata"]["name"] == "data", "volumeClaimTemplate data")
            check(wl["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"},
                  "PVC retained when the StatefulSet is deleted or scaled")
            check(not pod.get("volumes"), "no pod volumes besides the claim")
        check(c["volumeMounts"] == [{"name": "data", "mountPath": "/data"}], "data mounted at /data")

    # The helm test hook.
    tpod = [d for d in hooks if d["kind"] == "Pod"]
    check(len(tpod) == 1, "one helm test Pod")
    if tpod:
        t = tpod[0]
        tc = t["spec"]["containers"][0]
        port = svc["spec"]["ports"][0]["port"]
        check(tc["args"][0] == "healthcheck" and tc["args"][-1] == f"http://bankbox:{port}/ready",
              "helm test runs `bankbox healthcheck http://bankbox:PORT/ready`", str(tc["args"]))
        check(tc["image"] == c["image"], "helm test uses the app image")
        check(t["metadata"]["labels"].get("app.kubernetes.io/component") == "test"
              and not all(t["metadata"]["labels"].get(k) == v for k, v in sel.items()),
              "the Service does not select the test pod")
        check(t["spec"].get("automountServiceAccountToken") is False and tc["securityContext"]["readOnlyRootFilesystem"],
              "test pod hardened too")

    # Profile-specific expectations.
    if profile == "minikube":
        check(svc["spec"]["type"] == "NodePort" and svc["spec"]["ports"][0].get("nodePort") == 30080,
              "NodePort 30080")
        check(c["imagePullPolicy"] == "Never", "pullPolicy Never for the image built into minikube")
    if profile == "external":
        hpa = one("HorizontalPodAutoscaler")
        check(hpa is not None, "HPA")
        if hpa:
            metrics = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["spec"]["metrics"]}
            check(hpa["spec"]["minReplicas"] == 2 and hpa["spec"]["maxReplicas"] == 10
                  and metrics == {"cpu": 70, "memory": 80}, "HPA 2-10, CPU 70%, memory 80%", str(hpa["spec"]))
            check(hpa["spec"]["scaleTargetRef"]["name"] == wl["metadata"]["name"], "HPA targets the Deployment")
        check("replicas" not in wl["spec"], "no replicas field when the HPA owns the count")
        pdb = one("PodDisruptionBudget")
        check(pdb is not None and pdb["spec"]["minAvailable"] == 1 and pdb["spec"]["selector"]["matchLabels"] == sel,
              "PDB minAvailable 1 over the pods")
        for name, key in (("DATABASE_URL", "DATABASE_URL"), ("REDIS_URL", "REDIS_URL")):
            ref = env.get(name, {}).get("valueFrom", {}).get("secretKeyRef")
            check(ref == {"name": "bankbox-urls", "key": key}, f"{name} from existing Secret bankbox-urls", str(ref))
        check(one("Secret", "bankbox-urls") is None, "existingSecret: the chart makes no URL Secret")
    if external:
        check(env.get("BANKBOX_DATABASE_POOL_SIZE", {}).get("value") == "8", "database pool size 8 per pod")
    if profile == "external-urls":
        check(env.get("BANKBOX_REDIS_PREFIX", {}).get("value") == "bank-a:", "Redis key prefix from values")
        np = one("NetworkPolicy", "bankbox")
        ports = sorted(p["port"] for r in (np or {}).get("spec", {}).get("egress", []) for p in r["ports"])
        check(ports == [53, 53, 5432, 6379], "egress to DNS, PostgreSQL and Redis only", str(ports))
        urls = one("Secret", "bankbox-urls")
        check(urls is not None and set(urls["stringData"]) == {"DATABASE_URL", "REDIS_URL"},
              "chart-made Secret with DATABASE_URL and REDIS_URL")
        check("checksum/urls" in (wl["spec"]["template"]["metadata"].get("annotations") or {}),
              "pods roll when a URL changes")
    if profile == "external-single":
        check(wl["spec"]["replicas"] == 1 and "REDIS_URL" not in env, "one replica without Redis is allowed")
        check(one("PodDisruptionBudget") is None and one("HorizontalPodAutoscaler") is None,
              "no PDB (it would block drains) and no HPA for one replica")
    if profile in ("ingress-tls", "hardened"):
        ing = one("Ingress")
        check(ing is not None, "Ingress")
        if ing:
            ann = ing["metadata"].get("annotations") or {}
            host = "banking.local" if profile == "ingress-tls" else "banking.example.com"
            check(ing["spec"]["rules"][0]["host"] == host, f"Ingress host {host}")
            check(ing["spec"].get("ingressClassName") == "nginx", "IngressClass nginx")
            check(ing["spec"]["tls"][0]["hosts"] == [host] and ing["spec"]["tls"][0]["secretName"] == "bankbox-tls",
                  "TLS for the host in bankbox-tls")
            issuer = "cert-manager.io/cluster-issuer" if profile == "ingress-tls" else "cert-manager.io/issuer"
            check(issuer in ann, f"cert-manager annotation {issuer}", str(ann))
            backend = ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
            check(backend == {"name": "bankbox", "port": {"name": "http"}}, "Ingress backend is the Service")
    if profile == "hardened":
        np = one("NetworkPolicy", "bankbox")
        check(np is not None, "NetworkPolicy")
        if np:
            check(np["spec"]["podSelector"]["matchLabels"] == sel, "NetworkPolicy selects the server pods")
            check(np["spec"]["policyTypes"] == ["Ingress", "Egress"], "NetworkPolicy restricts ingress and egress")
            peers = np["spec"]["ingress"][0]["from"]
            check(any((p.get("namespaceSelector") or {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                      == "ingress-nginx" for p in peers), "ingress from the ingress controller's namespace")
            check(all(p.get("podSelector") != {} for p in peers), "allowSameNamespace=false: no namespace-wide peer")
            egress_ports = sorted(p["port"] for r in np["spec"]["egress"] for p in r["ports"])
            check(egress_ports == [53, 53], "egress only to DNS (embedded mode)", str(egress_ports))
        check(any(d["kind"] == "NetworkPolicy" for d in hooks), "the test pod gets its own NetworkPolicy")
    if profile == "servicemonitor":
        sm = one("ServiceMonitor")
        check(sm is not None and sm["spec"]["endpoints"][0]["port"] == "http", "ServiceMonitor on port http")
    return report(profile)


def report(profile):
    print(f"render {profile}: {len(PASSED)} passed, {len(FAILED)} failed")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
