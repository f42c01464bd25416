"""Run one command and record its wall time and peak resident memory.

    measure.py --json RUN.json [--label KEY=VALUE ...] -- COMMAND [ARGS ...]

Peak memory is ru_maxrss of the waited-for child (os.wait4), which covers the
command and any descendants it waited for; on Linux it is in KiB. The command's
own output passes through; measure.py exits with the command's exit status.
Needs only the Python standard library (Linux).
"""

import argparse
import json
import os
import subprocess
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", required=True, help="file for the measurement")
    parser.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    start = time.perf_counter()
    proc = subprocess.Popen(command)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)

    result = dict(
        command=command,
        exit_code=proc.returncode,
        seconds=round(seconds, 3),
        peak_mb=round(usage.ru_maxrss / 1024, 1),
        user_seconds=round(usage.ru_utime, 3),
        system_seconds=round(usage.ru_stime, 3),
    )
    for item in args.label:
        key, _, value = item.partition("=")
        result[key] = value
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(f"[measure] {os.path.basename(command[0])}: exit {proc.returncode}, "
          f"{seconds:.2f} s, peak {result['peak_mb']:.0f} MB", file=sys.stderr)
    sys.exit(proc.returncode if proc.returncode >= 0 else 128 - proc.returncode)


if __name__ == "__main__":
    main()
