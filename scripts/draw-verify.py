#!/usr/bin/env python3
"""Recompute a Tika lucky draw from its published entry list and seed.

Needs only Python 3's standard library, so anyone can check a draw without Tika:

    python3 draw-verify.py --entries entries.txt --seed "SEED" --winners K [--sha256 HEX]

The recipe (the same as `tika draw verify` and tika_domain::draw):

1. The entry list is the card numbers (beneficiary reference ids), sorted, distinct, one a
   line, each line ending in a newline.  H = lowercase hex SHA-256 of the file's bytes.
2. For i = 0, 1, ... while fewer than K winners and entries remain: h = SHA-256 of the UTF-8
   text H + ":" + seed + ":" + str(i); j = the first 8 bytes of h as a big-endian unsigned
   integer, modulo the number of entries remaining; the winner is the j-th remaining entry
   (from 0, in list order), which is then removed.

It prints the entry count, the hash (and whether it matches --sha256) and the winners in the
order drawn.  Exit status 1 when the file is not a canonical list or the hash differs.
"""

import argparse
import hashlib
import sys


def parse_entries(data):
    """The entries of a canonical list (bytes), or raise ValueError saying what is wrong."""
    if not data:
        return []
    text = data.decode("utf-8")
    if not text.endswith("\n"):
        raise ValueError("the entry list must end with a newline")
    entries = []
    for number, line in enumerate(text[:-1].split("\n"), start=1):
        if not line or any(c.isspace() for c in line):
            raise ValueError("line %d: an entry must be one id without spaces" % number)
        if entries and entries[-1].encode("utf-8") >= line.encode("utf-8"):
            raise ValueError("line %d: the entries must be sorted and distinct" % number)
        entries.append(line)
    return entries


def winners(entries, entries_sha256, seed, k):
    """The winners in the order drawn (at most k)."""
    pool = list(entries)
    out = []
    i = 0
    while len(out) < k and pool:
        h = hashlib.sha256(("%s:%s:%d" % (entries_sha256, seed, i)).encode("utf-8")).digest()
        j = int.from_bytes(h[:8], "big") % len(pool)
        out.append(pool.pop(j))
        i += 1
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description="Recompute a Tika lucky draw.")
    p.add_argument("--entries", required=True, help="the published entry list (entries.txt)")
    p.add_argument("--seed", required=True, help="the public seed, exactly as published")
    p.add_argument("--winners", required=True, type=int, help="how many winners the draw has")
    p.add_argument("--sha256", help="the hash the draw published, to compare with")
    args = p.parse_args(argv)
    with open(args.entries, "rb") as f:
        data = f.read()
    try:
        entries = parse_entries(data)
    except ValueError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    digest = hashlib.sha256(data).hexdigest()
    print("entries: %d" % len(entries))
    print("sha256: %s" % digest)
    if args.sha256 is not None:
        if args.sha256.strip().lower() != digest:
            print("error: the entry list's hash differs from the published one", file=sys.stderr)
            return 1
        print("sha256 matches the published hash")
    print("winners:")
    for n, w in enumerate(winners(entries, digest, args.seed, max(args.winners, 0)), start=1):
        print("%d. %s" % (n, w))
    return 0


if __name__ == "__main__":
    sys.exit(main())
