"""The /metrics page (server/prometheus_metrics.h) through the Prometheus
Python client's own parser: kiln_tests' PrometheusMetricsTest.
ExpositionForTheParser renders it from a real LocalExecutor that ran
5 ok, 2 trapped (status "trap"), 1 failed and 1 invalid-input executions on test.behave
and 2 not-run on test.idle; this reads it back with
prometheus_client.parser.text_string_to_metric_families and checks the
families, their types and the samples; and, where Debian's prometheus is
installed, lints it with `promtool check metrics`.

usage: prometheus_parse_test.py KILN_TESTS WORK_DIR
"""
import os
import shutil
import subprocess
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit("prometheus_client is missing: install Debian's python3-prometheus-client "
             "(scripts/debian-packages.txt); this runs " + sys.executable)

STAGES = ["lookup", "validate_input", "serialize", "acquire", "run", "read_output", "validate_output",
          "total", "overhead"]
LE = [1e-06, 2.5e-06, 5e-06, 1e-05, 2.5e-05, 5e-05, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
      0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf")]

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def main():
    kiln_tests, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    page_path = os.path.join(work, "metrics.txt")
    if os.path.exists(page_path):
        os.remove(page_path)
    env = dict(os.environ, KILN_METRICS_OUT=page_path)
    run = subprocess.run([kiln_tests, "--gtest_filter=PrometheusMetricsTest.ExpositionForTheParser"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if run.returncode != 0 or not os.path.exists(page_path):
        print(run.stdout)
        sys.exit("kiln_tests did not write the page")
    with open(page_path, encoding="utf-8") as f:
        text = f.read()

    # Prometheus' own linter too, where Debian's prometheus is installed.
    promtool = shutil.which("promtool")
    if promtool:
        lint = subprocess.run([promtool, "check", "metrics"], input=text, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        check(lint.returncode == 0, "promtool check metrics: " + lint.stdout)
    else:
        print("note: no promtool (Debian's prometheus): the page is not linted")

    families = {family.name: family for family in text_string_to_metric_families(text)}
    expected = {"kiln_execute_stage_seconds": "histogram", "kiln_executions": "counter",
                "kiln_errors": "counter", "kiln_pool_instances": "gauge",
                "kiln_in_flight_calls": "gauge", "kiln_queue_depth": "gauge",
                "kiln_scope_in_flight_calls": "gauge"}
    for name, kind in expected.items():
        check(name in families, "family %s missing (have %s)" % (name, sorted(families)))
        if name in families:
            check(families[name].type == kind, "%s is %s, not %s" % (name, families[name].type, kind))
            check(families[name].documentation, "%s has no HELP" % name)
    if failures:
        report()

    def samples(family, name):
        return [s for s in families[family].samples if s.name == name]

    # Histograms: per extension point and stage, buckets at every le,
    # cumulative, +Inf == _count == the executions.
    calls = {"test.behave": 9, "test.idle": 2}
    for ep, n in calls.items():
        for stage in STAGES:
            buckets = [s for s in samples("kiln_execute_stage_seconds", "kiln_execute_stage_seconds_bucket")
                       if s.labels["extension_point"] == ep and s.labels["stage"] == stage]
            les = [float(s.labels["le"]) for s in buckets]
            check(les == LE, "%s %s: le %s" % (ep, stage, les))
            values = [s.value for s in buckets]
            check(all(a <= b for a, b in zip(values, values[1:])), "%s %s: not cumulative %s" % (ep, stage, values))
            check(values and values[-1] == n, "%s %s: +Inf %s, not %d" % (ep, stage, values[-1:], n))
            count = [s.value for s in samples("kiln_execute_stage_seconds", "kiln_execute_stage_seconds_count")
                     if s.labels == {"extension_point": ep, "stage": stage}]
            check(count == [n], "%s %s: _count %s" % (ep, stage, count))
            total = [s.value for s in samples("kiln_execute_stage_seconds", "kiln_execute_stage_seconds_sum")
                     if s.labels == {"extension_point": ep, "stage": stage}]
            check(len(total) == 1 and 0 <= total[0] < 60, "%s %s: _sum %s" % (ep, stage, total))

    executions = {(s.labels["extension_point"], s.labels["status"]): s.value
                  for s in samples("kiln_executions", "kiln_executions_total")}
    for key, value in {("test.behave", "ok"): 5, ("test.behave", "trap"): 2,
                       ("test.behave", "extension_failed"): 1, ("test.behave", "invalid_input"): 1,
                       ("test.behave", "not_run"): 0, ("test.idle", "not_run"): 2}.items():
        check(executions.get(key) == value, "executions %s = %s, not %s" % (key, executions.get(key), value))
    check(sum(v for (ep, _), v in executions.items() if ep == "test.behave") == 9, "test.behave: not 9 executions")

    errors = {(s.labels["extension_point"], s.labels["kind"]): s.value
              for s in samples("kiln_errors", "kiln_errors_total")}
    check(errors.get(("test.behave", "trap")) == 2, "trap errors %s" % errors.get(("test.behave", "trap")))
    check(errors.get(("test.behave", "invalid_input")) == 1, "invalid_input errors")
    check(sum(v for (ep, _), v in errors.items() if ep == "test.behave") == 4, "test.behave: not 4 errors")
    check(sum(v for (ep, _), v in errors.items() if ep == "test.idle") == 0, "test.idle: errors")

    pools = samples("kiln_pool_instances", "kiln_pool_instances")
    behave = {s.labels.get("state"): s.value for s in pools
              if s.labels.get("extension_point") == "test.behave" and s.labels.get("extension") == "ext"
              and s.labels.get("version") == "1"}
    check(behave.get("leased") == 0 and behave.get("idle", 0) >= 1, "pool of test.behave: %s" % behave)
    named = [s.value for s in pools if s.labels.get("pool") == 'http "workers"']
    check(named == [4], "the named pool (escaped quotes read back): %s" % named)

    check([s.value for s in families["kiln_in_flight_calls"].samples] == [3], "in flight")
    check([s.value for s in families["kiln_queue_depth"].samples] == [7], "queue depth")
    scopes = [(s.labels, s.value) for s in families["kiln_scope_in_flight_calls"].samples]
    check(scopes == [({"scope": "shop-1"}, 2)], "scope in flight: %s" % scopes)
    report()


def report():
    if failures:
        for failure in failures:
            print("FAIL:", failure)
        sys.exit(1)
    print("the /metrics page parses: families, types and samples as expected")
    sys.exit(0)


if __name__ == "__main__":
    main()
