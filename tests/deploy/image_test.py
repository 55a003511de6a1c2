#!/usr/bin/env python3
"""Image test: the built image, run as Kubernetes would run it.

In a fresh network namespace (only its own 127.0.0.1; port 8080 and a DNS
server on port 53 are ours alone), with podman --network host:

  * the container runs --read-only (no tmpfs either), as 65532:65532, all capabilities dropped,
    no new privileges, with a host directory owned by 65532 as /data;
  * /ready answers; the admin logs in; two users register, the admin deposits,
    a user transfers to the other;
  * name resolution works in the static binary: `bankbox healthcheck` reaches
    the server through /etc/hosts (localhost) and through DNS
    (bankbox.default.svc.cluster.local, answered by a small DNS server here, as
    PostgreSQL and Redis will be reached in a cluster);
  * nothing was written outside /data (podman diff);
  * `podman stop -t 30` (SIGTERM) ends it with exit code 0 well within the grace
    period;
  * a new container on the same volume still has the users and the balances.

Usage (as root): image_test.py --image localhost/bankbox:test
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import http.client

from tinydns import dns_server

PODMAN = ["podman", "--runtime", "runc", "--storage-driver", "vfs"]
PORT = 8080
PASSED, FAILED = [], []


def check(ok, what, detail=""):
    (PASSED if ok else FAILED).append(what)
    print(f"  {'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""), flush=True)
    return ok


class Abort(Exception):
    pass


def require(ok, what, detail=""):
    if not check(ok, what, detail):
        raise Abort(what)


def podman(*args, check_rc=True, timeout=120):
    r = subprocess.run(PODMAN + list(args), capture_output=True, text=True, timeout=timeout)
    if check_rc and r.returncode != 0:
        raise Abort(f"podman {' '.join(args)}: {r.stderr.strip()}")
    return r


# ----------------------------------------------------------------- HTTP --

def call(method, path, body=None, token=None, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if token:
            headers["authorization"] = f"Bearer {token}"
        conn.request(method, path, body=data, headers=headers)
        res = conn.getresponse()
        raw = res.read()
        try:
            return res.status, json.loads(raw) if raw else None
        except ValueError:
            return res.status, raw.decode(errors="replace")
    finally:
        conn.close()


def wait_ready(name, budget=30):
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < budget:
        try:
            status, _ = call("GET", "/ready", timeout=1)
            if status == 200:
                return time.monotonic() - t0
            last = status
        except OSError as e:
            last = e
        state = podman("inspect", name, "--format", "{{.State.Status}}", check_rc=False).stdout.strip()
        if state not in ("running", "created", "configured"):
            raise Abort(f"container {name} is {state}: {podman('logs', name, check_rc=False).stderr[-2000:]}")
        time.sleep(0.2)
    raise Abort(f"/ready did not answer 200 within {budget}s (last: {last})")


def run_container(image, name, volume, admin_password):
    podman("run", "-d", "--name", name,
           "--network", "host", "--dns", "127.0.0.1",
           # --read-only-tmpfs=false: no writable /tmp, /var/tmp or /run either,
           # as with readOnlyRootFilesystem in the chart (which mounts no /tmp).
           "--read-only", "--read-only-tmpfs=false", "--user", "65532:65532",
           "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
           "-v", f"{volume}:/data",
           "-e", "ENVIRONMENT=production",
           "-e", f"BANKBOX_ADMIN_PASSWORD={admin_password}",
           "-e", "BANKBOX_OPEN_REGISTRATION=true",
           "-e", "LOG_LEVEL=info",
           image)


def stop_container(name, grace=30):
    t0 = time.monotonic()
    podman("stop", "-t", str(grace), name, timeout=grace + 30)
    took = time.monotonic() - t0
    info = json.loads(podman("inspect", name).stdout)[0]["State"]
    return info.get("ExitCode"), took, info.get("OOMKilled")


def balances(token):
    status, body = call("GET", "/api/accounts", token=token)
    require(status == 200, "GET /api/accounts", f"{status} {body}")
    items = body["items"] if isinstance(body, dict) and "items" in body else body
    return {a["number"]: a["balance"] for a in items}


def login(username, password):
    status, body = call("POST", "/api/auth/login", {"username": username, "password": password})
    require(status == 200 and body.get("token"), f"{username} logs in", f"{status} {body}")
    return body["token"]


def scenario(image):
    stop = threading.Event()
    dns = threading.Thread(target=dns_server, args=(["svc.cluster.local", "bankbox.test"], stop), daemon=True)
    dns.start()
    work = tempfile.mkdtemp(prefix="bankbox-image-")
    volume = os.path.join(work, "data")
    os.mkdir(volume, 0o700)
    os.chown(volume, 65532, 65532)
    admin_pw = "admin-" + os.urandom(6).hex()
    names = [f"bankbox-imagetest-{os.getpid()}-1", f"bankbox-imagetest-{os.getpid()}-2"]
    try:
        info = json.loads(podman("image", "inspect", image).stdout)[0]
        cfg = info.get("Config", {})
        size = info.get("Size", 0)
        print(f"image {image}: {size / 1e6:.1f} MB")
        check(size < 20e6, f"image size {size / 1e6:.1f} MB < 20 MB")
        check(cfg.get("User") == "65532:65532", "image USER 65532:65532", str(cfg.get("User")))
        check(cfg.get("Entrypoint") == ["/bankbox"], "ENTRYPOINT [\"/bankbox\"]", str(cfg.get("Entrypoint")))
        check("8080/tcp" in (cfg.get("ExposedPorts") or {}), "EXPOSE 8080")
        check("/data" in (cfg.get("Volumes") or {}), "VOLUME /data")
        check("ENVIRONMENT=production" in (cfg.get("Env") or []), "ENV ENVIRONMENT=production")
        labels = cfg.get("Labels") or {}
        want = ("title", "description", "version", "revision", "licenses")
        check(all(labels.get(f"org.opencontainers.image.{k}") for k in want),
              "OCI labels " + ", ".join(want), str(labels))

        print("first start:")
        run_container(image, names[0], volume, admin_pw)
        took = wait_ready(names[0])
        check(True, f"/ready answers 200 ({took:.1f}s after start)")

        admin = login("admin", admin_pw)
        users = {}
        for u in ("alice", "bob"):
            status, body = call("POST", "/api/auth/register",
                                {"username": u, "password": f"{u}-password-1", "email": f"{u}@example.com"})
            require(status == 201 and body["accounts"], f"register {u} -> 201 with an account", f"{status} {body}")
            users[u] = body["accounts"][0]
        status, body = call("POST", "/api/admin/deposits", {"account": users["alice"]["number"], "amount": 1000},
                            token=admin)
        require(status == 201, "admin deposits 1000 to alice", f"{status} {body}")
        alice = login("alice", "alice-password-1")
        status, body = call("POST", "/api/transactions",
                            {"from_account": users["alice"]["id"], "to_account": users["bob"]["number"], "amount": 100},
                            token=alice)
        require(status == 201, "alice transfers 100 to bob", f"{status} {body}")
        b = balances(alice)
        check(b.get(users["alice"]["number"]) == 900, "alice's balance is 900", str(b))

        # Name resolution inside the static binary: files (/etc/hosts from
        # podman) and DNS (our server, as cluster DNS would answer).
        for url in (None, "http://localhost:8080/ready", "http://bankbox.default.svc.cluster.local:8080/ready"):
            args = ["exec", names[0], "/bankbox", "healthcheck"] + ([url] if url else [])
            r = podman(*args, check_rc=False)
            check(r.returncode == 0, f"bankbox healthcheck {url or '(default URL)'} exits 0",
                  (r.stdout + r.stderr).strip())
        r = podman("exec", names[0], "/bankbox", "healthcheck", "http://no-such-name.invalid:8080/ready", check_rc=False)
        check(r.returncode != 0, "bankbox healthcheck of an unknown name exits non-zero")

        diff = [l for l in podman("diff", names[0]).stdout.split("\n") if l.strip()]
        # podman's own mounts show up; anything else was written by bankbox.
        unexpected = [l for l in diff if l.split()[-1] not in ("/etc", "/etc/hosts", "/etc/resolv.conf",
                                                                "/etc/hostname", "/etc/passwd", "/etc/group",
                                                                "/run", "/run/.containerenv",
                                                                "/dev", "/proc", "/sys", "/data")]
        check(not unexpected, "nothing written outside /data (podman diff)", str(unexpected))
        files = [os.path.join(dp, f) for dp, _, fs in os.walk(volume) for f in fs]
        check(bool(files) and all(os.stat(f).st_uid == 65532 for f in files),
              "the store is on the volume, owned by 65532", str(files))

        code, took, oom = stop_container(names[0])
        check(code == 0 and took < 25, f"SIGTERM (podman stop -t 30): exit 0 in {took:.1f}s",
              f"exit={code} oom={oom} took={took:.1f}s")
        logs = podman("logs", names[0]).stderr.splitlines()
        check(logs and all(l.startswith("{") for l in logs), f"logs are JSON lines on stderr ({len(logs)})",
              "\n".join(l for l in logs if not l.startswith("{"))[:500])
        check(any("shutting down" in l for l in logs), "the log says it drained")

        print("second start, same volume:")
        run_container(image, names[1], volume, "a-different-password")
        took = wait_ready(names[1])
        check(True, f"/ready answers 200 ({took:.1f}s after start)")
        login("admin", admin_pw)  # the first start's admin, not re-created
        alice = login("alice", "alice-password-1")
        bob = login("bob", "bob-password-1")
        check(balances(alice).get(users["alice"]["number"]) == 900, "alice still has 900")
        check(balances(bob).get(users["bob"]["number"]) == 100, "bob still has 100")
        status, _ = call("POST", "/api/auth/register",
                         {"username": "alice", "password": "alice-password-2", "email": "alice2@example.com"})
        check(status == 409, "alice cannot register again (the user is kept)", f"got {status}")
        code, took, _ = stop_container(names[1])
        check(code == 0, f"second stop: exit 0 in {took:.1f}s", f"exit={code}")
    except Abort as e:
        check(False, "scenario stopped", str(e))
        for n in names:
            r = podman("logs", n, check_rc=False)
            if r.returncode == 0:
                print(f"--- logs of {n} (last 20 lines) ---")
                print("\n".join(r.stderr.splitlines()[-20:]))
    finally:
        for n in names:
            podman("rm", "-f", "-t", "0", n, check_rc=False)
        stop.set()
        dns.join(timeout=2)
        subprocess.run(["rm", "-rf", work])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.inside:
        # Our own network namespace: port 8080 and 53 are free, and nothing
        # leaves this machine's loopback.
        fd, counts = tempfile.mkstemp(prefix="bankbox-image-counts-")
        os.close(fd)
        r = subprocess.run(["unshare", "--net", "--fork", sys.executable, os.path.abspath(__file__),
                            "--inside", *sys.argv[1:]], env={**os.environ, "IMAGE_TEST_COUNTS": counts})
        try:
            c = json.load(open(counts))
        except (OSError, ValueError):
            c = {"passed": 0, "failed": 1}
        os.unlink(counts)
        print(f"image test: {c['passed']} passed, {c['failed']} failed")
        sys.exit(0 if r.returncode == 0 and c["failed"] == 0 else 1)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    scenario(args.image)
    with open(os.environ["IMAGE_TEST_COUNTS"], "w") as fh:
        json.dump({"passed": len(PASSED), "failed": len(FAILED)}, fh)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
