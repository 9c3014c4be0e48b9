#!/usr/bin/env bash
# Run the full dieharder battery on weightinit's raw stream (seed 0, stream 0).
# Needs Debian's dieharder (apt-get install dieharder). Takes about 40
# minutes on one core here; the summary goes to stdout and replaces the
# recorded tools/dieharder-results.txt (commit it with the README figures).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 tools/raw_stream.py --seed "${SEED:-0}" --stream "${STREAM:-0}" \
  | dieharder -a -g 200 -k 2 -Y 1 | tee tools/dieharder-results.txt
