"""How the fuzz section tells a reader to reproduce each kind of runtime crash (no COM runtime needed)."""

from stress.fuzz import known_not_to_hold


def _crash(target, status, seed, reproduction=None, reproduces=None):
    c = {
        "target": target,
        "exit_status": status,
        "kind": "crash",
        "batch": {"target": target, "seed": seed, "cases": 9},
    }
    if reproduction is not None:
        c["reproduction"], c["reproduces"] = reproduction, reproduces
    return c


def test_a_case_that_crashes_alone_is_given_as_the_reproduction():
    known = known_not_to_hold(
        [
            _crash("objref", "0xC0000005", 1, "bench/results/fuzz-crashes/objref-3.json", False),
            _crash("objref", "0xC0000005", 2, "bench/results/fuzz-crashes/objref-4.json", True),
            _crash("objref", "0xC0000005", 3),
        ]
    )
    assert len(known) == 1 and "3 of the cases" in known[0]["what"]
    assert (
        known[0]["reproduction"]
        == "tools/winpy stress/hostile_input.py --replay bench/results/fuzz-crashes/objref-4.json"
    )


def test_without_such_a_case_the_first_saved_case_is_given_and_said_so():
    known = known_not_to_hold(
        [
            _crash("tracer", "0x00000003", 15, "bench/results/fuzz-crashes/tracer-1.json", False),
            _crash("tracer", "0x00000003", 16, "bench/results/fuzz-crashes/tracer-2.json", False),
            _crash("objref", "0x00000003", 7),
        ]
    )
    assert [k["what"].split(" input")[0] for k in known] == [
        "the runtime crashes on hostile tracer",
        "the runtime crashes on hostile objref",
    ]
    assert known[0]["reproduction"].endswith("--replay bench/results/fuzz-crashes/tracer-1.json")
    assert "not every replay crashes" in known[0]["what"]
    # nothing saved for a kind: the batch of its first crash
    assert known[1]["reproduction"] == "tools/winpy stress/hostile_input.py --target objref --seed 7 --cases 9"
    assert "not every replay" not in known[1]["what"]
