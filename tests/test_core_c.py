"""The C core's own tests (csrc/tests), run from pytest so README's test command covers them."""
import os
import subprocess


CSRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "csrc")


def test_c_core_check():
    result = subprocess.run(["make", "-C", CSRC, "check"], capture_output=True, text=True)
    summaries = [line for line in result.stdout.splitlines() if line.endswith(" failed")]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert summaries, result.stdout[-2000:]
    for line in summaries:
        passed, failed = (int(part.split()[0]) for part in line.split(":")[-1].split(","))
        assert passed > 0 and failed == 0, line
