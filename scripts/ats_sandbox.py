"""A private Apache Traffic Server on loopback, for kiln_ats.so's tests and
benchmark (issue 15).

Everything lives in one directory: a runroot.yaml pointing Traffic
Server's configuration, logs, runtime sockets and cache there (the binaries
and stock plugins stay Debian's), records.config on free ports, and the
remap.config the caller writes. traffic_manager starts traffic_server, so
that `traffic_ctl` (config reload, plugin messages, metrics) works.
"""
import os
import shutil
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def traffic_server_found():
    return all(shutil.which(tool) for tool in ("traffic_manager", "traffic_server", "traffic_ctl"))


class AtsSandbox:
    def __init__(self, root, threads=2, records=()):
        self.root = os.path.abspath(root)
        self.port = free_port()
        self.threads = threads
        self.records = list(records)
        self.manager = None
        self.server = None

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def prepare(self, remap_lines, plugin_lines=()):
        shutil.rmtree(self.root, ignore_errors=True)
        for sub in ("etc", "run", "log", "cache", "var"):
            os.makedirs(self.path(sub))
        # Debian's stock files, for the ones this sandbox does not write.
        for name in os.listdir("/etc/trafficserver"):
            source = os.path.join("/etc/trafficserver", name)
            if os.path.isdir(source):
                shutil.copytree(source, self.path("etc", name))
            elif name not in ("records.config", "remap.config", "plugin.config", "storage.config"):
                shutil.copy(source, self.path("etc", name))
        with open(self.path("runroot.yaml"), "w") as f:
            f.write("\n".join([
                "prefix: " + self.root, "exec_prefix: /usr", "bindir: /usr/bin", "sbindir: /usr/sbin",
                "sysconfdir: " + self.path("etc"), "datadir: " + self.path("cache"),
                "includedir: /usr/include", "libdir: /usr/lib/trafficserver",
                "libexecdir: /usr/lib/trafficserver/modules", "localstatedir: " + self.path("var"),
                "runtimedir: " + self.path("run"), "logdir: " + self.path("log"),
                "cachedir: " + self.path("cache"), ""]))
        records = [
            "CONFIG proxy.config.http.server_ports STRING %d" % self.port,
            # Run as whoever starts the test; never switch users.
            "CONFIG proxy.config.admin.user_id STRING #-1",
            "CONFIG proxy.config.http.cache.http INT 0",
            "CONFIG proxy.config.exec_thread.autoconfig INT 0",
            "CONFIG proxy.config.exec_thread.limit INT %d" % self.threads,
            "CONFIG proxy.config.task_threads INT 1",
            "CONFIG proxy.config.url_remap.remap_required INT 1",
            "CONFIG proxy.config.reverse_proxy.enabled INT 1",
            "CONFIG proxy.config.diags.debug.enabled INT 0",
            "CONFIG proxy.config.log.logging_enabled INT 0",
        ] + self.records
        with open(self.path("etc", "records.config"), "w") as f:
            f.write("\n".join(records) + "\n")
        with open(self.path("etc", "storage.config"), "w") as f:
            f.write("%s 64M\n" % self.path("cache"))
        with open(self.path("etc", "plugin.config"), "w") as f:
            f.write("\n".join(plugin_lines) + "\n")
        self.write_remap(remap_lines)

    def write_remap(self, lines):
        with open(self.path("etc", "remap.config"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, env=None, seconds=120, cpus=None):
        """cpus: a CPU list for taskset (the benchmark keeps the proxies off
        the load generator's core)."""
        pin = ["taskset", "-c", cpus] if cpus else []
        self.manager = subprocess.Popen(
            pin + ["traffic_manager", "--run-root=" + self.path("runroot.yaml")],
            stdout=open(self.path("log", "manager.out"), "w"), stderr=subprocess.STDOUT,
            env=dict(os.environ, **(env or {})), start_new_session=True)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.manager.poll() is not None:
                raise RuntimeError("traffic_manager exited with %s:\n%s" % (self.manager.returncode, self.diags()))
            if "fully initialized" in self.diags():
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        self.server = self.server_pid()
                        return
                except OSError:
                    pass
            time.sleep(0.25)
        raise RuntimeError("Traffic Server did not start in %d s:\n%s" % (seconds, self.diags()))

    def server_pid(self):
        """traffic_server's pid (the manager's child), or None."""
        # By parent only: traffic_server renames its main thread ([TS_MAIN]).
        out = subprocess.run(["pgrep", "-P", str(self.manager.pid)], capture_output=True, text=True).stdout.split()
        return int(out[0]) if out else None

    def ctl(self, *args):
        return subprocess.run(["traffic_ctl", "--run-root=" + self.path("runroot.yaml")] + list(args),
                              capture_output=True, text=True, timeout=60)

    def metric(self, name):
        out = self.ctl("metric", "get", name).stdout.split()
        return int(out[-1]) if len(out) == 2 else None

    def diags(self):
        try:
            with open(self.path("log", "diags.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.manager is None:
            return
        try:
            os.killpg(self.manager.pid, signal.SIGTERM)
            self.manager.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.manager.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # traffic_server may outlive its manager for a moment.
        if self.server is not None:
            try:
                os.kill(self.server, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.manager = None
