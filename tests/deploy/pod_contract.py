#!/usr/bin/env python3
"""Pod contract: does the chart's pod spec, applied to the real image, give a
working bankbox?

Reads the rendered workload (StatefulSet or Deployment) of a `helm template`
output and the image's config and files, then runs the real binary the way
the kubelet would:

  * argv = image ENTRYPOINT + container args (Kubernetes' command/args rules),
  * env = image ENV overridden by the container env, secretKeyRef values taken
    from the Secrets of the same render, plus what the kubelet adds
    (HOSTNAME, KUBERNETES_SERVICE_*); nothing from this shell leaks in,
  * the image's files as the root filesystem, read-only (readOnlyRootFilesystem),
    cwd = the image's WORKDIR, /dev with the usual devices, a private /proc,
  * every volumeMount a fresh writable directory (a PVC: root-owned with the
    fsGroup group, as the kubelet leaves it; an emptyDir: 0777): the only
    writable places,
  * runAsUser / runAsGroup / fsGroup from the securityContext, no new privileges,
  * in fresh network, mount and PID namespaces: the port is the pod's own and
    all traffic stays on this namespace's 127.0.0.1.

With DATABASE_URL / REDIS_URL in the env (external mode), a throwaway
PostgreSQL and Redis run in the same namespace on the URLs' ports, and a tiny
DNS server answers *.svc.cluster.local with 127.0.0.1: the binary reaches them
by the service names in the URLs, through resolv.conf's search list, as in a
cluster.

Then every probe path answers as its probe expects (startup within
failureThreshold x periodSeconds, readiness, liveness), the secrets are the
ones the binary uses (the admin logs in with the password from the Secret),
the data lands where the mode says (the volume, or PostgreSQL), and SIGTERM
ends it with exit 0 within the grace period the pod gives it.

Usage (as root):
  pod_contract.py --manifest render.yaml --image-config cfg.json --rootfs DIR [--kind StatefulSet]
"""
import argparse
import base64
import ctypes
import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import yaml

from tinydns import dns_server

PASSED = []
FAILED = []


def check(ok, what, detail=""):
    (PASSED if ok else FAILED).append(what)
    print(f"  {'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""), flush=True)
    return ok


def die(msg):
    print(f"pod_contract: {msg}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------- the plan --

def load_plan(manifest, image_config, kind):
    docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
    secrets = {}
    for d in docs:
        if d.get("kind") == "Secret":
            vals = {k: base64.b64decode(v).decode() for k, v in (d.get("data") or {}).items()}
            vals.update(d.get("stringData") or {})
            secrets[d["metadata"]["name"]] = vals
    workloads = [d for d in docs if d.get("kind") == kind]
    if len(workloads) != 1:
        die(f"expected one {kind} in {manifest}, found {len(workloads)}")
    wl = workloads[0]
    pod = wl["spec"]["template"]["spec"]
    containers = pod["containers"]
    c = next((x for x in containers if x["name"] == "bankbox"), containers[0])
    cfg = json.load(open(image_config))

    # argv: Kubernetes' rules against the image's ENTRYPOINT/CMD.
    entrypoint, cmd = cfg.get("Entrypoint") or [], cfg.get("Cmd") or []
    if "command" in c:
        argv = list(c["command"]) + list(c.get("args", []))
    else:
        argv = list(entrypoint) + list(c["args"] if "args" in c else cmd)

    # env: image ENV, then the container's, then what the kubelet adds.
    env = dict(e.split("=", 1) for e in cfg.get("Env") or [])
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = str(e["value"])
        elif "secretKeyRef" in (e.get("valueFrom") or {}):
            ref = e["valueFrom"]["secretKeyRef"]
            if ref["name"] not in secrets:
                die(f"env {e['name']}: Secret {ref['name']} is not in the render (existingSecret?)")
            if ref["key"] not in secrets[ref["name"]]:
                die(f"env {e['name']}: Secret {ref['name']} has no key {ref['key']}")
            env[e["name"]] = secrets[ref["name"]][ref["key"]]
        else:
            die(f"env {e['name']}: unsupported source {e.get('valueFrom')}")
    if c.get("envFrom"):
        die("envFrom is not supported by this test")
    name = wl["metadata"]["name"]
    env.setdefault("HOSTNAME", f"{name}-0" if kind == "StatefulSet" else f"{name}-7c9d8f6b5-x2x4z")
    env.setdefault("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    env.setdefault("KUBERNETES_SERVICE_PORT", "443")
    if pod.get("enableServiceLinks", True):
        # The kubelet would add <SERVICE>_PORT=tcp://... for every Service.
        env[f"{name.upper().replace('-', '_')}_PORT"] = "tcp://10.96.0.10:80"

    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    probes = {}
    for kind_ in ("startupProbe", "readinessProbe", "livenessProbe"):
        p = c.get(kind_)
        if not p:
            continue
        if "httpGet" not in p:
            die(f"{kind_} is not an httpGet probe")
        port = p["httpGet"]["port"]
        probes[kind_] = {
            "path": p["httpGet"].get("path", "/"),
            "port": ports[port] if isinstance(port, str) else port,
            "scheme": p["httpGet"].get("scheme", "HTTP"),
            "period": p.get("periodSeconds", 10),
            "timeout": p.get("timeoutSeconds", 1),
            "failures": p.get("failureThreshold", 3),
        }

    psc, csc = pod.get("securityContext") or {}, c.get("securityContext") or {}
    sc = {**psc, **csc}
    image_user = (cfg.get("User") or "0").split(":")
    uid = sc.get("runAsUser", int(image_user[0]) if image_user[0].isdigit() else None)
    gid = sc.get("runAsGroup", int(image_user[1]) if len(image_user) > 1 and image_user[1].isdigit() else 0)

    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for t in wl["spec"].get("volumeClaimTemplates", []):
        volumes[t["metadata"]["name"]] = {"name": t["metadata"]["name"], "persistentVolumeClaim": {"template": True}}
    mounts = []
    for m in c.get("volumeMounts", []):
        v = volumes.get(m["name"])
        if v is None:
            die(f"volumeMount {m['name']} has no volume")
        vtype = "emptyDir" if "emptyDir" in v else "persistentVolumeClaim" if "persistentVolumeClaim" in v else None
        if vtype is None:
            die(f"volume {m['name']}: type not handled by this test")
        mounts.append({"path": m["mountPath"], "type": vtype, "readOnly": m.get("readOnly", False)})

    prestop = ((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep", {}).get("seconds", 0)
    return {
        "name": name,
        "argv": argv,
        "env": env,
        "workdir": c.get("workingDir") or cfg.get("WorkingDir") or "/",
        "ports": ports,
        "probes": probes,
        "uid": uid,
        "gid": gid,
        "fsGroup": psc.get("fsGroup"),
        "sc": sc,
        "mounts": mounts,
        "grace": pod.get("terminationGracePeriodSeconds", 30),
        "preStopSleep": prestop,
        "automountToken": pod.get("automountServiceAccountToken", True),
        "serviceLinks": pod.get("enableServiceLinks", True),
    }


def static_checks(plan):
    print("spec:")
    env, sc = plan["env"], plan["sc"]
    listen = env.get("BANKBOX_LISTEN", "0.0.0.0:8080")
    lport = int(listen.rsplit(":", 1)[1])
    check(plan["ports"].get("http") == lport, f"containerPort http == BANKBOX_LISTEN port ({lport})",
          f"ports={plan['ports']}")
    for k, p in plan["probes"].items():
        check(p["port"] == lport, f"{k} targets the listening port", f"{p['port']} != {lport}")
        check(p["scheme"] == "HTTP", f"{k} scheme HTTP")
    check(set(plan["probes"]) == {"startupProbe", "readinessProbe", "livenessProbe"}, "startup, readiness and liveness probes")
    check(plan["probes"].get("startupProbe", {}).get("path") == "/ping", "startupProbe is /ping")
    check(plan["probes"].get("readinessProbe", {}).get("path") == "/ready", "readinessProbe is /ready")
    check(plan["probes"].get("livenessProbe", {}).get("path") == "/ping", "livenessProbe is /ping (never touches storage)")
    check(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
    check(sc.get("runAsNonRoot") is True and plan["uid"] not in (None, 0), f"runs as non-root UID {plan['uid']}")
    check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation false")
    check((sc.get("capabilities") or {}).get("drop") == ["ALL"], "all capabilities dropped")
    check((sc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", "seccomp RuntimeDefault")
    check(plan["automountToken"] is False, "no service account token mounted")
    check(plan["serviceLinks"] is False, "enableServiceLinks false (no BANKBOX_* service variables)")
    drain = int(env.get("BANKBOX_SHUTDOWN_TIMEOUT", "20"))
    need = plan["preStopSleep"] + drain
    check(plan["grace"] > need, f"terminationGracePeriodSeconds {plan['grace']} > preStop sleep {plan['preStopSleep']} + drain {drain}")
    check(plan["preStopSleep"] > 0, "native preStop sleep")
    data_dir = env.get("BANKBOX_DATA_DIR")
    check(any(m["path"] == data_dir and not m["readOnly"] for m in plan["mounts"]),
          f"data dir {data_dir} is a writable volume", f"mounts={plan['mounts']}")
    check(plan["argv"][:2] == ["/bankbox", "serve"], "argv is /bankbox serve", str(plan["argv"]))


# ------------------------------------------------------------ the sandbox --

def sh(*cmd):
    subprocess.run(cmd, check=True)


def prepare_root(plan, rootfs, work):
    """Inside the new mount namespace: a read-only root from the image."""
    sh("mount", "--make-rprivate", "/")
    root = os.path.join(work, "root")
    os.makedirs(root)
    sh("mount", "-t", "tmpfs", "-o", "size=256m,mode=0755", "tmpfs", root)
    sh("cp", "-a", f"{rootfs}/.", root)
    for d in ("proc", "dev", "etc"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    sh("mount", "-t", "proc", "proc", os.path.join(root, "proc"))
    for dev in ("null", "zero", "full", "random", "urandom", "tty"):
        target = os.path.join(root, "dev", dev)
        open(target, "a").close()
        sh("mount", "--bind", f"/dev/{dev}", target)
    # What the container runtime writes into every container.
    for f, text in (("hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
                    ("hostname", plan["env"]["HOSTNAME"] + "\n"),
                    ("resolv.conf", "nameserver 127.0.0.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n")):
        path = os.path.join(root, "etc", f)
        if os.path.exists(path) and not os.path.isfile(path):
            continue
        with open(path, "w") as fh:
            fh.write(text)
    # The volumes: fresh directories, the only writable places.
    for i, m in enumerate(plan["mounts"]):
        src = os.path.join(work, f"volume{i}")
        os.makedirs(src)
        if m["type"] == "emptyDir":
            os.chmod(src, 0o777)
        else:
            # A fresh PVC after the kubelet applied fsGroup: root-owned,
            # group fsGroup, group-writable, setgid.
            os.chown(src, 0, plan["fsGroup"] if plan["fsGroup"] is not None else 0)
            os.chmod(src, 0o2775 if plan["fsGroup"] is not None else 0o755)
        target = root + m["path"]
        os.makedirs(target, exist_ok=True)
        sh("mount", "--bind", src, target)
        if m["readOnly"]:
            sh("mount", "-o", "remount,bind,ro", target)
        m["host"] = src
    if plan["sc"].get("readOnlyRootFilesystem"):
        sh("mount", "-o", "remount,ro", root)
    return root


# ------------------------------------------------ external-mode services --

def start_services(plan, work):
    """PostgreSQL and Redis for DATABASE_URL and REDIS_URL, in this namespace.
    Returns (processes, psql command) ."""
    procs, psql = [], None
    db = plan["env"].get("DATABASE_URL")
    if db:
        u = urllib.parse.urlsplit(db)
        port, user, password, name = u.port or 5432, u.username, u.password or "", u.path.lstrip("/")
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: [int(x) for x in p.split("/")[4].split(".") if x.isdigit()])
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        pg_bin = os.path.dirname(bins[-1])
        pg = tempfile.mkdtemp(prefix="pg-", dir=work)
        shutil.chown(pg, "postgres", "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
        subprocess.run(as_pg + [f"{pg_bin}/initdb", "-D", f"{pg}/data", "-U", "postgres", "--auth=trust"],
                       check=True, capture_output=True)
        procs.append(subprocess.Popen(
            as_pg + [f"{pg_bin}/postgres", "-D", f"{pg}/data", "-c", "listen_addresses=127.0.0.1",
                     "-p", str(port), "-k", pg, "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=open(f"{pg}/log", "wb")))
        psql = [f"{pg_bin}/psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-tAq",
                "-v", "ON_ERROR_STOP=1"]
        for _ in range(100):
            if subprocess.run([f"{pg_bin}/pg_isready", "-h", "127.0.0.1", "-p", str(port)],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        subprocess.run(psql + ["-c", f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password}'",
                               "-c", f"CREATE DATABASE \"{name}\" OWNER \"{user}\""],
                       check=True, capture_output=True)
        psql = psql + ["-d", name]
        print(f"services: PostgreSQL {os.path.basename(os.path.dirname(pg_bin))} for {u.hostname}:{port}/{name}")
    cache = plan["env"].get("REDIS_URL")
    if cache:
        u = urllib.parse.urlsplit(cache)
        port = u.port or 6379
        if not shutil.which("redis-server"):
            raise RuntimeError("Redis is not installed (apt-get install redis-server)")
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() == b"PONG":
                break
            time.sleep(0.1)
        print(f"services: Redis for {u.hostname}:{port}")
    return procs, psql



def start(plan, root, log):
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid, fsgroup = plan["uid"], plan["gid"], plan["fsGroup"]

    def become():
        os.chroot(root)
        os.chdir(plan["workdir"])
        os.setgroups([fsgroup] if fsgroup is not None else [])
        os.setgid(gid)
        os.setuid(uid)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")

    return subprocess.Popen(plan["argv"], env=plan["env"], preexec_fn=become,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def get(port, path, method="GET", body=None, headers=None, timeout=3):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"content-type": "application/json"} if data else {}
        hdrs.update(headers or {})
        conn.request(method, path, body=data, headers=hdrs)
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


def probe_ok(port, path, timeout):
    """The kubelet's httpGet rule: 200 <= status < 400."""
    try:
        status, _ = get(port, path, timeout=timeout)
        return 200 <= status < 400, status
    except OSError as e:
        return False, str(e)


def run_inside(plan, rootfs):
    sh("ip", "link", "set", "lo", "up")
    work = os.environ["POD_CONTRACT_WORK"]  # removed by the outer process
    root = prepare_root(plan, rootfs, work)
    print("sandbox:")
    # The root is really read-only, for the user the pod runs as.
    probe = subprocess.run(["chroot", f"--userspec={plan['uid']}:{plan['gid']}", root, "/bankbox", "--version"],
                           capture_output=True, text=True)
    check(probe.returncode == 0, "the image's /bankbox runs in the sandbox", probe.stderr.strip())
    try:
        os.mkdir(os.path.join(root, "writable-test"))
        check(False, "root filesystem is read-only")
    except OSError:
        check(True, "root filesystem is read-only")

    external = "DATABASE_URL" in plan["env"]
    stop_dns = threading.Event()
    threading.Thread(target=dns_server, args=(["svc.cluster.local"], stop_dns), daemon=True).start()
    services, psql = start_services(plan, work)

    log_path = os.path.join(work, "bankbox.log")
    log = open(log_path, "wb")
    port = plan["ports"]["http"]
    started = time.monotonic()
    proc = start(plan, root, log)
    print(f"run: {' '.join(plan['argv'])} as {plan['uid']}:{plan['gid']} (groups {plan['fsGroup']}), "
          f"cwd {plan['workdir']}, {len(plan['env'])} env vars, port {port}")
    try:
        sp = plan["probes"]["startupProbe"]
        budget = sp["period"] * sp["failures"]
        ok, last = False, None
        while time.monotonic() - started < budget and proc.poll() is None:
            ok, last = probe_ok(sp["port"], sp["path"], sp["timeout"])
            if ok:
                break
            time.sleep(min(sp["period"], 0.2))
        took = time.monotonic() - started
        check(ok, f"startupProbe GET {sp['path']} passes within {budget}s (took {took:.1f}s)", f"last={last}, exit={proc.poll()}")
        if not ok:
            return
        # Readiness may fail for a while (bankbox answers /ready 503 until its
        # store is open); the kubelet keeps probing and the pod is not Ready
        # meanwhile. Liveness must pass all along, or the pod would be killed.
        rp, lp = plan["probes"]["readinessProbe"], plan["probes"]["livenessProbe"]
        t0 = time.monotonic()
        ready, status, live_failures = False, None, 0
        while time.monotonic() - t0 < budget and proc.poll() is None:
            ready, status = probe_ok(rp["port"], rp["path"], rp["timeout"])
            if ready:
                break
            if not probe_ok(lp["port"], lp["path"], lp["timeout"])[0]:
                live_failures += 1
            time.sleep(0.2)
        check(ready and status == 200,
              f"readinessProbe GET {rp['path']} -> 200 within {budget}s (took {time.monotonic() - t0:.1f}s)",
              f"last {status}")
        check(live_failures < lp["failures"], f"livenessProbe GET {lp['path']} kept passing while not ready",
              f"{live_failures} failures")
        ok, status = probe_ok(lp["port"], lp["path"], lp["timeout"])
        check(ok and status == 200, f"livenessProbe GET {lp['path']} -> 200", f"got {status}")
        for path in ("/health", "/livez", "/readyz", "/healthz"):
            status, body = get(port, path)
            check(status == 200, f"GET {path} -> 200", f"got {status} {body[:200]!r}")
        status, body = get(port, "/health")
        check(json.loads(body).get("status") == "up", "/health reports store and cache up", body[:300])

        # The secrets reach the binary: the admin made on this first start
        # has the password from the Secret.
        pw = plan["env"].get("BANKBOX_ADMIN_PASSWORD")
        if pw:
            status, body = get(port, "/api/auth/login", "POST", {"username": "admin", "password": pw})
            check(status == 200 and "token" in json.loads(body), "admin logs in with the password from the Secret",
                  f"{status} {body[:200]!r}")
        if plan["env"].get("BANKBOX_OPEN_REGISTRATION") == "false":
            status, _ = get(port, "/api/auth/register", "POST",
                            {"username": "mallory", "password": "long-enough-1", "email": "m@example.com"})
            check(status == 403, "registration is closed as the values say", f"got {status}")

        data_dir = plan["env"]["BANKBOX_DATA_DIR"]
        vol = next(m for m in plan["mounts"] if m["path"] == data_dir)
        files = [os.path.join(dp, f) for dp, _, fs in os.walk(vol["host"]) for f in fs]
        if external:
            # The users are in PostgreSQL, reached by its service name.
            r = subprocess.run(psql + ["-c", "SELECT username FROM users ORDER BY username"],
                               capture_output=True, text=True)
            check(r.returncode == 0 and "admin" in r.stdout.split(),
                  "the admin user is in PostgreSQL (reached by service name through DNS)", r.stdout + r.stderr)
            check(not files, f"nothing written to {data_dir} in external mode", str(files))
        if "REDIS_URL" in plan["env"]:
            # The admin's session is in Redis, under the configured prefix.
            prefix = plan["env"].get("BANKBOX_REDIS_PREFIX", "bankbox:")
            port_ = urllib.parse.urlsplit(plan["env"]["REDIS_URL"]).port or 6379
            r = subprocess.run(["redis-cli", "-p", str(port_), "--scan", "--pattern", f"{prefix}*"],
                               capture_output=True, text=True)
            check(r.returncode == 0 and r.stdout.strip(),
                  f"sessions are in Redis under {prefix!r} (reached by service name)", r.stdout + r.stderr)
        else:
            check(bool(files) and all(os.stat(f).st_uid == plan["uid"] for f in files),
                  f"the store is in {data_dir}, owned by UID {plan['uid']}", str(files))

        # The kubelet: preStop sleep (Services stop sending traffic meanwhile),
        # then SIGTERM, then SIGKILL at the end of the grace period.
        drain_budget = plan["grace"] - plan["preStopSleep"]
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=drain_budget)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - t0
        check(code == 0, f"SIGTERM: exit 0 within the {drain_budget}s left of the grace period (took {took:.1f}s)",
              f"exit={code}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for p in services:
            p.terminate()
            p.wait(timeout=10)
        stop_dns.set()
        log.close()
        lines = open(log_path, "rb").read().decode(errors="replace").splitlines()
        bad = [l for l in lines if l.strip() and not l.lstrip().startswith("{")]
        # LOG_LEVEL=warn (hardened) may leave nothing to show: no lines is fine.
        check(not bad, f"every log line is JSON ({len(lines)} lines at LOG_LEVEL={plan['env'].get('LOG_LEVEL')})",
              "\n" + "\n".join(bad[:5]))
        if FAILED:
            print("--- bankbox log (last 30 lines) ---")
            print("\n".join(lines[-30:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--image-config", required=True, help="the image's OCI config (Entrypoint, Cmd, Env, WorkingDir, User)")
    ap.add_argument("--rootfs", required=True, help="the image's files")
    ap.add_argument("--kind", default="StatefulSet")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    plan = load_plan(args.manifest, args.image_config, args.kind)
    if not args.inside:
        static_checks(plan)
        if FAILED:
            print(f"pod contract: {len(PASSED)} passed, {len(FAILED)} failed")
            sys.exit(1)
        # Re-run in fresh network, mount and PID namespaces; the child is PID 1
        # there, so nothing it starts can outlive it.
        work = tempfile.mkdtemp(prefix="bankbox-contract-")
        os.chmod(work, 0o755)  # PostgreSQL runs as its own user below it
        counts_file = os.path.join(work, "counts.json")
        try:
            r = subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc",
                                sys.executable, os.path.abspath(__file__), "--inside", *sys.argv[1:]],
                               env={**os.environ, "POD_CONTRACT_COUNTS": counts_file, "POD_CONTRACT_WORK": work})
            try:
                counts = json.load(open(counts_file))
            except (OSError, ValueError):
                counts = {"passed": 0, "failed": 1}
        finally:
            shutil.rmtree(work, ignore_errors=True)
        passed, failed = len(PASSED) + counts["passed"], len(FAILED) + counts["failed"]
        print(f"pod contract: {passed} passed, {failed} failed")
        sys.exit(0 if r.returncode == 0 and failed == 0 else 1)
    try:
        run_inside(plan, args.rootfs)
    except Exception as e:  # a crash is a failure, with its reason
        check(False, "sandbox run", repr(e))
    out = os.environ.get("POD_CONTRACT_COUNTS")
    if out:
        with open(out, "w") as fh:
            json.dump({"passed": len(PASSED), "failed": len(FAILED)}, fh)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
