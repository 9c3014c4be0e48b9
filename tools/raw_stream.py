"""Write the raw Philox stream of weightinit (uint32 words, little-endian)
to stdout, forever or for --words words: input for dieharder / PractRand.

    python tools/raw_stream.py --seed 0 | dieharder -a -g 200
"""
import argparse
import sys

import weightinit as wi


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stream", default="0")
    parser.add_argument("--words", type=int, default=0, help="0 means until the reader stops")
    args = parser.parse_args()
    stream = int(args.stream) if args.stream.isdigit() else args.stream
    g = wi.Generator(args.seed, stream)
    chunk = 1 << 22
    written = 0
    out = sys.stdout.buffer
    try:
        while args.words == 0 or written < args.words:
            n = chunk if args.words == 0 else min(chunk, args.words - written)
            out.write(g.random_raw(n).astype("<u4", copy=False).tobytes())
            written += n
    except BrokenPipeError:   # dieharder closed the pipe: done
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
