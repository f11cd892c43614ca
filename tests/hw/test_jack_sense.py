"""Jack detection as pure functions: patterns in, nets out, decisions over a window."""

from __future__ import annotations

from ms20.control.jack_sense import ContactDebouncer, Observation, decide_nets, lone, pairs


def B(*positions: int) -> int:
    return sum(1 << p for p in positions)


EMPTY = B(0, 1, 2, 3, 4, 5, 6, 7)   # empty jacks read low whatever is driven (their lug is down)


def probe(present: int, nets: list[int], grounded: int = 0) -> dict[int, int]:
    """What the matrix reads: driving p pulls p's net low; empty jacks and grounded nets are low."""
    out = {}
    for p in range(8):
        if present >> p & 1:
            net = next((n for n in nets if n >> p & 1), 1 << p)
            out[p] = net | grounded | (EMPTY & ~present)
    return out


def test_one_cable_is_one_net():
    present = B(1, 5)
    obs = decide_nets(present, probe(present, [B(1, 5)]))
    assert obs.fault is None and obs.nets == {B(1, 5)}


def test_a_multiple_is_one_net_without_ghosts():
    # 1 feeds 3 and 5 (stacked); 2 and 6 are a separate cable.
    present = B(1, 2, 3, 5, 6)
    obs = decide_nets(present, probe(present, [B(1, 3, 5), B(2, 6)]))
    assert obs.nets == {B(1, 3, 5), B(2, 6)}
    assert pairs(obs.nets, "ABCDEFGH") == [("B", "D"), ("B", "F"), ("C", "G")]


def test_a_plug_with_a_dangling_cable_joins_nothing_but_is_reported_alone():
    present = B(1, 4, 5)
    obs = decide_nets(present, probe(present, [B(1, 5)]))
    assert obs.fault is None and obs.nets == {B(1, 5), B(4)}
    assert pairs(obs.nets, "ABCDEFGH") == [("B", "F")]
    assert lone(obs.nets, "ABCDEFGH") == ["E"]


def test_a_tip_grazing_the_grounded_sleeve_spoils_the_scan():
    present = B(1, 5, 6)
    obs = decide_nets(present, probe(present, [B(1, 5)], grounded=B(6)))
    assert obs.fault is not None


def test_a_contact_that_changed_between_probe_steps_spoils_the_scan():
    present = B(1, 5)
    readings = {1: B(1, 5), 5: B(5)}            # 1 saw 5, then 5 saw only itself
    assert decide_nets(present, readings).fault is not None


def test_a_change_is_accepted_only_after_it_held_for_the_window():
    deb = ContactDebouncer(settle_s=0.010, accepted=frozenset())
    new = Observation(B(1, 5), frozenset({B(1, 5)}))
    assert deb.observe(0.000, new) is None and deb.pending
    assert deb.observe(0.005, new) is None
    assert deb.observe(0.010, new) == {B(1, 5)}
    assert not deb.pending


def test_a_bounce_restarts_the_window_and_a_return_to_the_old_state_accepts_nothing():
    deb = ContactDebouncer(settle_s=0.010, accepted=frozenset())
    new = Observation(B(1, 5), frozenset({B(1, 5)}))
    old = Observation(0, frozenset())
    bad = Observation(B(1, 5), frozenset(), fault="moving")
    for t, obs in ((0.000, new), (0.005, bad), (0.008, new), (0.012, old), (0.016, new), (0.022, old),
                   (0.030, old), (0.040, old)):
        assert deb.observe(t, obs) is None
    assert deb.accepted == frozenset() and not deb.pending
