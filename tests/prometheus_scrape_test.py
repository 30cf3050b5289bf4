"""A real Prometheus scrapes `kiln serve`'s GET /metrics (issue 13).

Starts `kiln serve` on a fresh registry on loopback, then Debian's
`prometheus` with a private data directory and a configuration that
scrapes it every second, and asks Prometheus' HTTP API that the target is
up and that kiln's metrics (any kiln_* series) were stored. Without a `prometheus` binary it
says so and exits 77 (ctest: skipped).

usage: prometheus_scrape_test.py KILN WORK_DIR
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

SKIP = 77


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, token=None, timeout=2):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read().decode()


def wait_for(what, probe, seconds):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except Exception as error:  # not up yet
            last = error
        time.sleep(0.25)
    sys.exit("timed out waiting for %s (last: %s)" % (what, last))


def main():
    kiln, work = sys.argv[1], sys.argv[2]
    prometheus = shutil.which("prometheus")
    if not prometheus:
        print("SKIP: no prometheus binary (Debian's `prometheus`): the real scrape is not tested")
        sys.exit(SKIP)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    kiln_port, prom_port = free_port(), free_port()
    admin, execute = "admin-token-for-the-scrape-test", "exec-token-for-the-scrape-test"
    env = dict(os.environ, KILN_ADMIN_TOKEN=admin, KILN_EXEC_TOKEN=execute)
    children = []
    try:
        server = subprocess.Popen([kiln, "serve", "--registry", os.path.join(work, "registry.db"),
                                   "--listen", "127.0.0.1:%d" % kiln_port], env=env,
                                  stdout=open(os.path.join(work, "serve.log"), "w"), stderr=subprocess.STDOUT)
        children.append(server)
        base = "http://127.0.0.1:%d" % kiln_port
        wait_for("kiln serve", lambda: get(base + "/healthz")[0] == 200, 30)
        status, page = get(base + "/metrics", admin)
        if status != 200 or "\nkiln_" not in "\n" + page:
            sys.exit("GET /metrics answered %d:\n%s" % (status, page[:2000]))

        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: kiln\n    metrics_path: /metrics\n"
                    "    authorization:\n      credentials: %s\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % (admin, kiln_port))
        prom = subprocess.Popen([prometheus, "--config.file=" + config,
                                 "--storage.tsdb.path=" + os.path.join(work, "data"),
                                 "--web.listen-address=127.0.0.1:%d" % prom_port],
                                stdout=open(os.path.join(work, "prometheus.log"), "w"), stderr=subprocess.STDOUT)
        children.append(prom)
        api = "http://127.0.0.1:%d/api/v1/" % prom_port

        def target_up():
            targets = json.loads(get(api + "targets")[1])["data"]["activeTargets"]
            if targets and targets[0]["health"] == "up":
                return targets[0]
            if targets and targets[0].get("lastError"):
                print("target:", targets[0]["health"], targets[0]["lastError"])
            return None

        target = wait_for("Prometheus to scrape kiln", target_up, 60)
        print("target up:", target["scrapeUrl"])

        def stored():
            query = urllib.parse.urlencode({"query": '{job="kiln",__name__=~"kiln_.+"}'})
            result = json.loads(get(api + "query?" + query)[1])["data"]["result"]
            return result or None

        result = wait_for("a kiln_* series in Prometheus", stored, 30)
        names = sorted({r["metric"]["__name__"] for r in result})
        print("stored %d kiln series: %s" % (len(result), ", ".join(names)))
        print("a real Prometheus scraped kiln serve's /metrics")
    finally:
        for child in reversed(children):
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def show_logs(work):
    for name in ("serve.log", "prometheus.log"):
        path = os.path.join(work, name)
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                print("---- %s (last lines)\n%s" % (name, "".join(f.readlines()[-20:])))


if __name__ == "__main__":
    try:
        main()
    except SystemExit as stop:
        if stop.code not in (None, 0, SKIP):
            print(stop.code)
            show_logs(sys.argv[2])
            raise SystemExit(1)
        raise
