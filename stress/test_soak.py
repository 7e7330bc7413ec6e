"""The soak's growth rule (COM-free): measured from the sample after the first 10% of the traffic to the last."""

from stress.soak import GROWTH_BYTES, growth, within_bounds


def _s(ws, handles=10, threads=3):
    return {"working_set": ws, "private_bytes": ws, "handles": handles, "threads": threads}


def test_growth_starts_after_the_first_ten_percent_so_warm_up_does_not_count():
    samples = [_s(100), _s(5_000_000)] + [_s(5_000_000 + i) for i in range(18)]  # warm-up in the first 10%
    g = growth(samples)
    assert g["working_set"] == 17 and within_bounds(g) == []


def test_growth_beyond_a_bound_is_named():
    samples = [_s(0)] * 10 + [_s(GROWTH_BYTES + 1, handles=50)]
    over = within_bounds(growth(samples))
    assert any(o.startswith("working_set grew") for o in over) and any(o.startswith("handles grew 40") for o in over)
