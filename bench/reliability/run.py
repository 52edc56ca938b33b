"""Measures the figures of docs/reliability.md and rewrites its table (the
lines between the FIGURES markers). Run by bench/reliability/run.sh.

  framing cases   tests/http/test_framing.py, collected and run
  framing/nginx   tests/http/test_framing_nginx.py: cases, alike, intended differences
  idle memory     RSS per idle keep-alive connection over 10,000 (ponty and nginx)
  soak            SOAK_SECS of mixed traffic: RSS and fds after warm-up
  overload        4x the admitted connections at once: 503s, slowest answer, recovery
  fuzzing         executions and reports from the last `make fuzz` logs (build-fuzz/)
"""
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))
os.environ.setdefault("PT_BUILD_DIR", os.path.join(ROOT, os.environ.get("BENCH_BUILD_DIR", "build")))
os.environ.setdefault("PT_SOURCE_DIR", ROOT)

from conftest import Server, free_port  # noqa: E402
from idle_memory import measure, raise_fd_limit  # noqa: E402
from soak import growth_after_warmup, overload, soak  # noqa: E402

SOAK_SECS = int(os.environ.get("SOAK_SECS", "600"))
N_IDLE = 10000
rows = []


def row(what, figure):
    print("%-55s %s" % (what, figure), flush=True)
    rows.append((what, figure))


def framing():
    r = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        os.path.join(ROOT, "tests/http/test_framing.py")],
                       capture_output=True, text=True, env=os.environ)
    m = re.search(r"(\d+) passed", r.stdout)
    f = re.search(r"(\d+) failed", r.stdout)
    row("HTTP framing cases (tests/http/test_framing.py)",
        "%s passed, %s failed" % (m.group(1) if m else 0, f.group(1) if f else 0))


def framing_nginx():
    import test_framing_nginx as t
    r = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        os.path.join(ROOT, "tests/http/test_framing_nginx.py")],
                       capture_output=True, text=True, env=os.environ)
    # pytest's exit status, not its summary: an error in a fixture (nginx
    # did not start) or no test collected is no pass.
    verdict = ("failed (pytest exit %d)" % r.returncode if r.returncode else
               "skipped" if re.search(r"\d+ skipped", r.stdout) else "passed")
    row("HTTP framing side by side with nginx 1.22 (tests/http/test_framing_nginx.py)",
        "%d cases: %d alike, %d intended differences; %s" % (
            len(t.CASES), len(t.CASES) - len(t.INTENDED), len(t.INTENDED), verdict))


def nginx_idle():
    prefix = tempfile.mkdtemp(prefix="pt-nginx-")
    port = free_port()
    os.makedirs(os.path.join(prefix, "logs"))
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""worker_processes 1; daemon off; pid %s/nginx.pid; error_log %s/logs/error.log;
events { worker_connections 20000; }
http { access_log off; keepalive_timeout 120; keepalive_requests 100000;
  client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s; scgi_temp_path %s;
  server { listen 127.0.0.1:%d; location / { return 200 "hello"; } } }
""" % ((prefix,) * 7 + (port,)))
    p = subprocess.Popen(["/usr/sbin/nginx", "-p", prefix, "-c", conf], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        kids = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()
        return measure(port, [p.pid] + [int(k) for k in kids], N_IDLE, path="/")
    finally:
        p.terminate()
        p.wait()


def main():
    raise_fd_limit(N_IDLE + 2000)
    framing()
    framing_nginx()

    s = Server("pt_test_server", workers=2)
    try:
        ours = measure(s.port, [s.proc.pid], N_IDLE)
    finally:
        s.stop()
        s.close_files()
    try:
        theirs = nginx_idle()
        row("RSS per idle keep-alive connection (10,000)", "%.0f B (nginx 1 worker: %.0f B)" % (ours, theirs))
    except OSError:
        row("RSS per idle keep-alive connection (10,000)", "%.0f B" % ours)

    s = Server("pt_test_server", workers=2)
    try:
        samples, counts, errors = soak(s.port, s.proc.pid, SOAK_SECS, clients=8, every=5.0)
        rss, fds = growth_after_warmup(samples)
        row("soak: %d s mixed traffic, requests" % SOAK_SECS, "%d (%s)" % (
            sum(counts.values()), ", ".join("%s %d" % kv for kv in counts.items())))
        row("soak: unexpected answers or errors", str(len(errors)))
        row("soak: RSS start / after warm-up / end (KiB)", "%d / %d / %d" % (
            samples[0][1], samples[max(1, int(len(samples) * 0.3))][1], samples[-1][1]))
        row("soak: growth after warm-up", "RSS %+d KiB, fds %+d" % (rss, fds))
    finally:
        s.stop()
        s.close_files()

    s = Server("pt_test_server", workers=2, env={"PT_MAX_CONNS": 64})
    try:
        by_status, slowest, recovered = overload(s.port, 512)
        row("overload: 512 connections at once, 2 x 64 admitted",
            "%s; slowest answer %.2f s; recovered: %s" % (
                ", ".join("%s: %d" % (k, v) for k, v in sorted(by_status.items(), key=str)),
                slowest, "yes" if recovered else "NO"))
    finally:
        s.stop()
        s.close_files()

    fuzz_dir = os.path.join(ROOT, "build-fuzz")
    for t in ("fuzz_http", "fuzz_json", "fuzz_expiry", "fuzz_key"):
        log = os.path.join(fuzz_dir, "fuzz-%s.log" % t)
        if not os.path.exists(log):
            row("fuzz: %s" % t, "not run (make fuzz)")
            continue
        text = open(log, errors="replace").read()
        execs = re.findall(r"stat::number_of_executed_units: *(\d+)", text)
        secs = re.findall(r"Done \d+ runs in (\d+) second", text)
        bad = "ERROR" in text or "runtime error" in text
        row("fuzz: %s (ASan + UBSan)" % t, "%s executions in %s s, %s" % (
            execs[-1] if execs else "?", secs[-1] if secs else "?", "REPORT" if bad else "no report"))

    doc = os.path.join(ROOT, "docs", "reliability.md")
    text = open(doc).read()
    table = ["| what | figure |", "|---|---|"] + ["| %s | %s |" % r for r in rows]
    stamp = "Measured %s on this machine (%d CPUs)." % (time.strftime("%Y-%m-%d"), os.cpu_count())
    new = re.sub(r"(<!-- FIGURES -->\n).*?(<!-- /FIGURES -->)",
                 lambda m: m.group(1) + stamp + "\n\n" + "\n".join(table) + "\n" + m.group(2), text,
                 flags=re.S)
    open(doc, "w").write(new)
    print("docs/reliability.md updated")


if __name__ == "__main__":
    main()
