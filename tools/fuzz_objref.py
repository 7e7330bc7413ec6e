#!/usr/bin/env python3
"""Long fuzz run of the OBJREF codec (ole32_bindings.objref), pure Python, no COM needed.

Each case is one of: a random well-formed structure (checks decode(encode(x)) == x and the byte round trip),
a mutated encoding of one (bit flips, extreme u16/u32 values, cuts, inserts, deletes), or random bytes
(optionally behind a valid header). For every byte string, decode/decode_interface_pointer/decode_any must
either return a structure that re-encodes to exactly those bytes or raise ObjrefError with an offset inside
the input; every decoded structure must explain/to_json/render without error. Anything else is a failure.

    PYTHONPATH=src python3 tools/fuzz_objref.py --cases 200000 --seed 1

Prints one summary line (cases, time, outcome counts) and exits 1 if any case failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import struct
import sys
import time
import traceback

if __name__ == "__main__":  # run as a script from a checkout; imported (stress/hostile_input), it takes the caller's
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from ole32_bindings.guid import Guid
from ole32_bindings.objref import (
    EMPTY_DUALSTRINGARRAY,
    DataElement,
    DualStringArray,
    InterfacePointer,
    Objref,
    ObjrefCustom,
    ObjrefError,
    ObjrefExtended,
    ObjrefHandler,
    ObjrefStandard,
    SecurityBinding,
    StdObjref,
    StringBinding,
    decode,
    decode_any,
    decode_interface_pointer,
    encode,
    explain,
    render_text,
    to_json,
)

_ALPHABET = "abcXYZ019.-_/\\[]:$ é中\U0001f600\ud800"  # includes a lone surrogate and an astral char


class Gen:
    """Random well-formed OBJREF structures."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def guid(self) -> Guid:
        if self.r.random() < 0.2:
            return Guid(f"{{{self.r.choice([0, 0x10C, 0x17, 0x33A, 0x327]):08X}-0000-0000-C000-000000000046}}")
        return Guid.from_bytes_le(self.r.randbytes(16))

    def uint(self, bits: int) -> int:
        r = self.r.random()
        if r < 0.2:
            return 0
        if r < 0.3:
            return (1 << bits) - 1
        return self.r.getrandbits(bits)

    def text(self) -> str:
        n = self.r.choice([0, 0, 1, 3, 8, 20])
        # no lone low surrogates in the alphabet, so a lone high one can never merge into a pair on decode
        return "".join(self.r.choice(_ALPHABET) for _ in range(n))

    def std(self) -> StdObjref:
        return StdObjref(self.uint(32), self.uint(32), self.uint(64), self.uint(64), self.guid())

    def dsa(self) -> DualStringArray:
        kind = self.r.random()
        if kind < 0.25:
            return EMPTY_DUALSTRINGARRAY
        sbs = tuple(StringBinding(self.r.randint(1, 0xFFFF), self.text()) for _ in range(self.r.randint(0, 3)))
        secs = tuple(
            SecurityBinding(self.r.randint(1, 0xFFFF), self.r.choice([0xFFFF, self.uint(16)]), self.text())
            for _ in range(self.r.randint(0, 3))
        )
        canon = DualStringArray(sbs, secs)
        if kind < 0.45:  # padding words after nullterm2
            pad = self.r.randbytes(2 * self.r.randint(1, 3))
            return DualStringArray(sbs, secs, canon.wire_security_offset, canon.entries + pad)
        return canon

    def element(self) -> DataElement:
        if self.r.random() < 0.7:
            return DataElement.build(self.guid(), self.r.randbytes(self.r.randint(0, 40)))
        return DataElement(self.guid(), self.uint(32), self.r.randbytes(self.r.randint(0, 40)))

    def tail(self) -> bytes:
        return self.r.randbytes(self.r.choice([0, 0, 0, 1, 5]))

    def objref(self) -> Objref:
        form = self.r.randrange(4)
        if form == 0:
            return ObjrefStandard(self.guid(), self.std(), self.dsa(), self.tail())
        if form == 1:
            return ObjrefHandler(self.guid(), self.std(), self.guid(), self.dsa(), self.tail())
        if form == 2:
            data = self.r.randbytes(self.r.randint(0, 64))
            size = self.r.choice([None, self.uint(32), len(data) + self.r.randint(1, 500)])
            return ObjrefCustom(self.guid(), self.guid(), data, self.uint(32) if self.r.random() < 0.2 else 0, size)
        return ObjrefExtended(self.guid(), self.std(), self.element(), self.dsa(), self.tail())

    def anything(self) -> Objref | InterfacePointer:
        if self.r.random() < 0.2:
            return InterfacePointer(self.objref(), self.tail())
        return self.objref()

    def mutate(self, data: bytes) -> bytes:
        b = bytearray(data)
        for _ in range(self.r.randint(1, 4)):
            op = self.r.randrange(6)
            pos = self.r.randrange(len(b)) if b else 0
            if op == 0 and b:
                b[pos] ^= 1 << self.r.randrange(8)
            elif op == 1:
                b[pos : pos + 2] = struct.pack("<H", self.r.choice([0, 1, 2, 3, 0x7FFF, 0xFFFF]))
            elif op == 2:
                b[pos : pos + 4] = struct.pack("<I", self.r.choice([0, 1, 8, 0x7FFFFFFF, 0xFFFFFFFF]))
            elif op == 3:
                del b[pos:]
            elif op == 4:
                b[pos:pos] = self.r.randbytes(self.r.randint(1, 4))
            else:
                del b[pos : pos + self.r.randint(1, 4)]
        return bytes(b)

    def junk(self) -> bytes:
        head = b""
        if self.r.random() < 0.6:
            head = b"MEOW" + struct.pack("<I", self.r.choice([1, 2, 4, 8]))
        return head + self.r.randbytes(self.r.randint(0, 160))


class Failure(Exception):
    pass


def _describe(obj: Objref | InterfacePointer) -> None:
    explain(obj)
    render_text(obj)
    json.dumps(to_json(obj))


def check_bytes(data: bytes, counts: dict[str, int]) -> None:
    for fn in (decode, decode_interface_pointer, decode_any):
        try:
            obj = fn(data)
        except ObjrefError as exc:
            if not (0 <= exc.offset <= len(data)) or not exc.field or exc.field not in str(exc):
                raise Failure(f"{fn.__name__}: bad ObjrefError {exc!r} offset={exc.offset}") from exc
            counts["error"] += 1
            continue
        if encode(obj) != data:
            raise Failure(f"{fn.__name__}: encode(decode(b)) != b")
        if fn(data) != obj:
            raise Failure(f"{fn.__name__}: decode not deterministic")
        _describe(obj)
        counts["decoded"] += 1


def run_case(gen: Gen, counts: dict[str, int]) -> bytes:
    kind = gen.r.random()
    if kind < 0.3:
        obj = gen.anything()
        data = encode(obj)
        back = decode_any(data) if isinstance(obj, InterfacePointer) else decode(data)
        if back != obj:
            raise Failure(f"decode(encode(x)) != x for {obj!r}")
        if encode(back) != data:
            raise Failure("encode(decode(encode(x))) != encode(x)")
        _describe(back)
        counts["round_trip"] += 1
        return data
    if kind < 0.8:
        data = gen.mutate(encode(gen.anything()))
    else:
        data = gen.junk()
    check_bytes(data, counts)
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=200_000, help="number of cases (default 200000)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    ap.add_argument("--max-failures", type=int, default=5, help="stop after this many failures")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    gen = Gen(random.Random(seed))
    counts = {"round_trip": 0, "decoded": 0, "error": 0}
    failures = 0
    slowest = 0.0
    t0 = time.perf_counter()
    for i in range(args.cases):
        c0 = time.perf_counter()
        data = b""
        try:
            data = run_case(gen, counts)
        except Exception as exc:
            failures += 1
            print(f"FAIL case {i} (seed {seed}): {exc!r}\n  input: {data.hex()}", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            if failures >= args.max_failures:
                break
        slowest = max(slowest, time.perf_counter() - c0)
    elapsed = time.perf_counter() - t0
    done = i + 1 if args.cases else 0
    print(
        f"fuzz_objref: {done} cases in {elapsed:.1f} s (seed {seed}): {counts['round_trip']} structure round trips, "
        f"{counts['decoded']} decodes re-encoded exactly, {counts['error']} ObjrefError, {failures} failures; "
        f"slowest case {slowest * 1000:.1f} ms"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
