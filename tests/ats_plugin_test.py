"""kiln_ats.so in a real Traffic Server (issue 15).

Starts Debian's Traffic Server in a private runroot on loopback in front of
a small origin (this script's own HTTP server, which answers with the
request headers it received as JSON) and checks with real HTTP requests,
one remap rule per filter (tests/guests/proxy_*.c):
  - the seed's filter adds x-kiln-agent to the request the origin sees;
  - the deny list answers 403 itself, other paths go through;
  - the response rewrite changes the headers the client gets;
  - a filter that traps (unreachable, a read outside its memory, a loop
    past its deadline) fails its request with 500 and a log line saying
    why, and the next request succeeds; one trapping on the response
    headers fails that response with 500;
  - the shared-data counter counts across requests;
  - the lifecycle filter's properties, request body redaction (the origin
    gets it), response body line, log at close, and ticks; bodies over
    the rule's limit (413 for a request, dropped for a response);
  - `traffic_ctl plugin msg kiln reload` swaps a changed module in while a
    request in flight finishes on the old one;
  - `traffic_ctl config reload` of a changed remap.config adds a rule;
    a rule naming a missing module is refused with its name in the log,
    and the loaded rules carry on;
  - the plugin's statistics count requests, failures and VMs;
  - Traffic Server never restarted (no crash).
Without Traffic Server it says so and exits 77 (ctest: skipped).

usage: ats_plugin_test.py KILN_ATS_SO KILN GUEST_DIR WORK_DIR
"""
import http.client
import http.server
import json
import os
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import ats_sandbox  # noqa: E402

SKIP = 77


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(2)
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        if self.path.startswith("/big"):
            body = b"x" * 4096
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Powered-By", "python")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        received = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"body": received.decode(errors="replace"),
                           "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def version_string(self):
        return "origin"

    def log_message(self, *args):
        pass


class Test:
    def __init__(self, plugin, kiln, guests, work):
        self.plugin, self.kiln, self.guests, self.work = plugin, kiln, guests, os.path.abspath(work)
        self.failures = []

    def check(self, what, condition, detail=""):
        print(("ok   " if condition else "FAIL ") + what + ("" if condition else ": " + str(detail)))
        if not condition:
            self.failures.append(what)

    def rule(self, host, module, *params):
        return ("map http://%s/ http://127.0.0.1:%d/ @plugin=%s @pparam=--module=%s @pparam=--kiln=%s "
                "@pparam=--cache-dir=%s %s" % (host, self.origin_port, self.plugin, module, self.kiln,
                                                os.path.join(self.work, "kiln-cache"),
                                                " ".join("@pparam=" + p for p in params))).strip()

    def get(self, host, path="/", headers=None, method="GET", body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.ats.port, timeout=30)
        connection.request(method, path, body=body, headers=dict({"Host": host}, **(headers or {})))
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def seen_by_origin(self, host, path="/", headers=None):
        status, _, body = self.get(host, path, headers)
        return status, (json.loads(body) if status == 200 else {})

    def run(self):
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
        self.origin_port = origin.server_address[1]
        threading.Thread(target=origin.serve_forever, daemon=True).start()

        deny = os.path.join(self.work, "deny.txt")
        with open(deny, "w") as f:
            f.write("/admin\n/private\n")
        swappable = os.path.join(self.work, "swappable.wasm")
        shutil.copy(os.path.join(self.guests, "proxy_response_rewrite.wasm"), swappable)
        guest = lambda name: os.path.join(self.guests, name + ".wasm")  # noqa: E731
        self.rules = [
            self.rule("add.test", guest("proxy_add_header"), "--log-level=info"),
            self.rule("deny.test", guest("proxy_deny_list"), "--config=" + deny),
            self.rule("rewrite.test", guest("proxy_response_rewrite")),
            self.rule("trap.test", guest("proxy_trap")),
            self.rule("count.test", guest("proxy_shared_counter")),
            self.rule("swap.test", swappable, "--name=swappable"),
            self.rule("life.test", guest("proxy_lifecycle"), "--log-level=info"),
            self.rule("rtrap.test", guest("proxy_response_trap")),
            self.rule("small.test", guest("proxy_lifecycle"), "--max-body-kb=1", "--name=small"),
        ]
        self.ats = ats_sandbox.AtsSandbox(os.path.join(self.work, "ats"))
        self.ats.prepare(self.rules)
        try:
            self.ats.start()
            self.first_pid = self.ats.server_pid()
            self.filters()
            self.reloads()
            self.ticks()
            self.statistics()
            self.check("traffic_server never restarted", self.first_pid and self.ats.server_pid() == self.first_pid,
                       "pid %s, then %s" % (self.first_pid, self.ats.server_pid()))
        finally:
            self.ats.stop()
            origin.shutdown()
        if self.failures:
            print("\n--- diags.log ---\n" + self.ats.diags()[-6000:])
            sys.exit("%d check(s) failed" % len(self.failures))

    def filters(self):
        status, seen = self.seen_by_origin("add.test", headers={"User-Agent": "ats-test/1"})
        self.check("the seed's filter adds x-kiln-agent", status == 200 and seen.get("x-kiln-agent") == "ats-test/1",
                   (status, seen))
        self.check("its log line reaches diags.log", "request from ats-test/1" in self.ats.diags())

        status, _, body = self.get("deny.test", "/admin/users")
        self.check("the deny list answers 403 itself", status == 403 and "denied by kiln" in body, (status, body))
        status, seen = self.seen_by_origin("deny.test", "/public")
        self.check("other paths go through the deny list", status == 200 and seen.get("host"), (status, seen))

        status, headers, _ = self.get("rewrite.test")
        self.check("the response rewrite replaces Server", headers.get("server") == "kiln", headers)
        self.check("and removes X-Powered-By", "x-powered-by" not in headers, headers)
        self.check("and adds X-Frame-Options", headers.get("x-frame-options") == "DENY", headers)

        for crash in ("unreachable", "memory", "loop"):
            status, _, _ = self.get("trap.test", headers={"X-Crash": crash})
            self.check("a filter failing (%s) fails its request with 500" % crash, status == 500, status)
            status, seen = self.seen_by_origin("trap.test")
            self.check("and the next request succeeds", status == 200 and seen.get("x-survived") == "yes",
                       (status, seen))
        status, _, _ = self.get("rtrap.test")
        self.check("a filter trapping on the response fails it with 500", status == 500, status)
        self.check("with a line in the log", "proxy_response_trap: failing the response with 500" in self.ats.diags())
        diags = self.ats.diags()
        for why in ("unreachable executed", "out of bounds", "deadline"):
            line = [l for l in diags.splitlines() if "proxy_trap: failing the request with 500" in l and why in l]
            self.check("the error log says why (%s)" % why, line, diags[-800:])

        counts = [self.seen_by_origin("count.test")[1].get("x-request-count") for _ in range(3)]
        self.check("the shared-data counter counts", counts == ["1", "2", "3"], counts)

        status, _, body = self.get("life.test")
        seen = json.loads(body.split("\n<!-- kiln -->")[0]) if status == 200 else {}
        self.check("properties reach the request (plugin name, method)",
                   seen.get("x-plugin") == "proxy_lifecycle" and seen.get("x-method") == "GET", seen)
        self.check("the response body callback appends its line", body.endswith("\n<!-- kiln -->"), body[-60:])
        status, _, body = self.get("life.test", method="POST", body=b"a secret b",
                                   headers={"Content-Type": "text/plain"})
        echoed = json.loads(body.split("\n<!-- kiln -->")[0]).get("body") if status == 200 else None
        self.check("the request body callback redacts what the origin gets", echoed == "a [redacted] b",
                   (status, body[:200]))
        status, _, _ = self.get("small.test", method="POST", body=b"y" * 2048, headers={"Content-Type": "text/plain"})
        self.check("a request body over --max-body-kb is answered 413", status == 413, status)
        status, _, body = self.get("small.test", "/big")
        self.check("a response body over it is dropped, not passed unfiltered", status == 200 and "x" not in body,
                   (status, body[:80]))
        self.check("and the log says so", "small: response: the body is over 1024 bytes" in self.ats.diags())
        self.check("proxy_on_log runs when the transaction closes",
                   any("proxy_lifecycle: stream" in l and l.endswith("ended") for l in self.ats.diags().splitlines()),
                   self.ats.diags()[-400:])

    def reloads(self):
        # A request in flight on the old module (the origin takes 2 s) ...
        in_flight = {}
        thread = threading.Thread(target=lambda: in_flight.update(result=self.get("swap.test", "/slow")))
        thread.start()
        time.sleep(0.5)
        # ... while the module file changes and the plugin is told to reload.
        shutil.copy(os.path.join(self.guests, "proxy_add_header.wasm"), os.path.join(self.work, "swappable.wasm"))
        answer = self.ats.ctl("plugin", "msg", "kiln", "reload")
        self.check("traffic_ctl plugin msg kiln reload is accepted", answer.returncode == 0, answer.stderr)
        deadline = time.monotonic() + 60
        seen = {}
        while time.monotonic() < deadline:
            status, seen = self.seen_by_origin("swap.test", headers={"User-Agent": "after-reload"})
            if seen.get("x-kiln-agent") == "after-reload":
                break
            time.sleep(0.5)
        self.check("the reloaded module runs new requests", seen.get("x-kiln-agent") == "after-reload", seen)
        thread.join()
        status, headers, _ = in_flight["result"]
        self.check("the request in flight finished on the old module", status == 200 and
                   headers.get("server") == "kiln", (status, headers))

        # remap.config changed: a new rule appears, the others stay.
        self.ats.write_remap(self.rules + [self.rule("new.test", os.path.join(self.guests, "proxy_add_header.wasm"))])
        self.ats.ctl("config", "reload")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, seen = self.seen_by_origin("new.test", headers={"User-Agent": "new-rule"})
            if seen.get("x-kiln-agent") == "new-rule":
                break
            time.sleep(0.5)
        self.check("a rule added by config reload runs its filter", seen.get("x-kiln-agent") == "new-rule",
                   (status, seen))

        # A rule naming a missing module: refused, saying which; the loaded rules carry on.
        missing = os.path.join(self.work, "no-such-filter.wasm")
        self.ats.write_remap(self.rules + [self.rule("broken.test", missing)])
        time.sleep(1.1)  # a new mtime for the reload to notice
        self.ats.ctl("config", "reload")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and missing not in self.ats.diags():
            time.sleep(0.25)
        self.check("a rule naming a missing module is refused, naming it", missing in self.ats.diags())
        status, seen = self.seen_by_origin("add.test", headers={"User-Agent": "still-here"})
        self.check("the loaded rules carry on", seen.get("x-kiln-agent") == "still-here", (status, seen))

    def ticks(self):
        # The lifecycle filter asks for a tick a second when a VM starts (the
        # reloads above made new ones): start them, wait, look.
        self.get("life.test")
        time.sleep(2.5)
        status, _, body = self.get("life.test")
        seen = json.loads(body.split("\n<!-- kiln -->")[0]) if status == 200 else {}
        self.check("proxy_on_tick runs every second", status == 200 and int(seen.get("x-ticks", "0")) >= 2, seen)

    def statistics(self):
        # Traffic Server folds its threads' counts into the metrics every
        # few seconds: wait for them.
        wanted = lambda m: (m["requests"] or 0) >= 19 and m["failures"] == 4 and (m["vms"] or 0) >= 1  # noqa: E731
        deadline = time.monotonic() + 30
        while True:
            m = {name: self.ats.metric("plugin.kiln." + name) for name in ("requests", "failures", "vms", "vm_memory_bytes")}
            if wanted(m) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.check("plugin.kiln.requests counts requests", (m["requests"] or 0) >= 19, m)
        self.check("plugin.kiln.failures counts the four failures", m["failures"] == 4, m)
        self.check("plugin.kiln.vms counts live VMs", (m["vms"] or 0) >= 1, m)
        self.check("plugin.kiln.vm_memory_bytes is their linear memory",
                   (m["vm_memory_bytes"] or 0) >= (m["vms"] or 1) * 65536, m)


def main():
    plugin, kiln, guests, work = sys.argv[1:5]
    if not ats_sandbox.traffic_server_found():
        print("SKIP: no Traffic Server (Debian's trafficserver): the plugin is not tested")
        sys.exit(SKIP)
    Test(os.path.abspath(plugin), os.path.abspath(kiln), os.path.abspath(guests), work).run()


if __name__ == "__main__":
    main()
