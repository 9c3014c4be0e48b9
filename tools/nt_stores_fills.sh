#!/bin/sh
# Streaming stores off vs on, in alternating fresh processes.
# Usage: tools/nt_stores_fills.sh SIZES THRESHOLD_BYTES ROUNDS   (PYTHON to choose the interpreter)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$3"); do
  WEIGHTINIT_NT_MIN_BYTES=0 "$py" "$here/nt_stores_fills.py" "$1" > "$out/plain_$r.json"
  WEIGHTINIT_NT_MIN_BYTES=$2 "$py" "$here/nt_stores_fills.py" "$1" > "$out/nt_$r.json"
done
"$py" - "$out" <<'PY'
import glob, json, statistics, sys
d = sys.argv[1]
plain = [json.load(open(f)) for f in sorted(glob.glob(d + "/plain_*.json"))]
nt = [json.load(open(f)) for f in sorted(glob.glob(d + "/nt_*.json"))]
for k in plain[0]:
    p = statistics.median(r[k] for r in plain)
    n = statistics.median(r[k] for r in nt)
    case, size, thr = k.split("/")
    print(f"{case:10s} {int(size):>10d} thr{thr}  plain {int(size) / p / 1e9:6.3f} G/s"
          f"  nt {int(size) / n / 1e9:6.3f} G/s  nt/plain {p / n:5.2f}x")
PY
