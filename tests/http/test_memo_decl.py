"""Start-up errors of file-scope cache and lock declarations
(tests/servers/bad_memo_decl.c, one program per declaration): a bad option
stops the program before main with exit status 1 — not a signal, no core
dump — and one line naming the cache or lock (its .name, else the variable),
the bad value and what is accepted."""
import os
import subprocess

import pytest

from conftest import binary_path

EXPECTED = ('expected a duration such as "10 minutes", "PT5M", "1h30m" or "90" (seconds), '
            'a time of day "12:00Z", a date-time "2030-01-31T12:00:00+02:00", a date, '
            'a unix timestamp, "never", "always", "inf", or "$.pointer"')

CASES = {
    "expiration": "ponty: cache 'x': bad expiration '5 mins': " + EXPECTED,
    "named": "ponty: cache 'users': bad negative_expiration 'tomorrow': " + EXPECTED,
    "ttl": "ponty: cache 'sessions': bad ttl_ms -1000: expected milliseconds > 0, or 0 for never",
    "noloader": "ponty: cache 'empty': give exactly one of .load and .load_ptr",
    "lock": "ponty: lock 'accounts': bad maxwait_ms -5: expected milliseconds > 0, 0 or "
            "PT_MEMO_NOWAIT (fail at once when held), or PT_MEMO_FOREVER",
}


def run(case):
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    return subprocess.run([binary_path("pt_bad_memo_decl_" + case)], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=30)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_declaration_exits_1_naming_it(case):
    p = run(case)
    stderr = p.stderr.decode("utf-8", "replace")
    # a negative return code would be a signal (the old abort() was -6)
    assert p.returncode == 1, (p.returncode, stderr)
    assert stderr.splitlines() == [CASES[case]], stderr
    assert p.stdout == b"", "main ran"


def test_sound_declaration_runs_main():
    p = run("ok")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"ok\n"
    assert p.stderr == b""
