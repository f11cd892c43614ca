"""The browser panel's safety rules alone (ms20.web.guard): where it listens, who may change
things, which pages may talk to it, how fast."""

from __future__ import annotations

import pytest

from ms20.web.guard import (
    Address,
    AddressError,
    RateLimit,
    check_passphrase,
    hash_passphrase,
    host_ok,
    origin_ok,
    parse_address,
)


def test_the_default_address_is_loopback_and_network_addresses_are_not():
    assert parse_address("127.0.0.1:8020") == Address("127.0.0.1", 8020)
    assert parse_address(":8020").loopback
    assert parse_address("[::1]:8020").loopback
    assert parse_address("localhost:9000").loopback
    assert not parse_address("0.0.0.0:8020").loopback
    assert not parse_address("192.168.1.20:8020").loopback
    for bad in ("8020", "host:port", "127.0.0.1:70000"):
        with pytest.raises(AddressError):
            parse_address(bad)


def test_the_passphrase_is_stored_as_a_salted_hash_that_only_it_matches():
    stored = hash_passphrase("correct horse", iterations=1000)
    assert "correct horse" not in stored
    assert stored != hash_passphrase("correct horse", iterations=1000)      # salted
    assert check_passphrase("correct horse", stored)
    assert not check_passphrase("correct hors", stored)
    assert not check_passphrase("correct horse", "correct horse")          # a plain text "hash" never matches


def test_on_loopback_only_loopback_host_names_are_answered():
    local = parse_address("127.0.0.1:8020")
    assert host_ok("127.0.0.1:8020", local) and host_ok("localhost:8020", local) and host_ok("[::1]:8020", local)
    assert not host_ok("attacker.example:8020", local)                     # DNS rebinding
    assert not host_ok(None, local)
    assert host_ok("ms20.local:8020", parse_address("0.0.0.0:8020"))


def test_a_websocket_from_another_site_is_refused():
    assert origin_ok("http://127.0.0.1:8020", "127.0.0.1:8020")
    assert not origin_ok("http://evil.example", "127.0.0.1:8020")
    assert not origin_ok("http://127.0.0.1:9999", "127.0.0.1:8020")
    assert not origin_ok("null", "127.0.0.1:8020")                           # a sandboxed or file: page
    assert origin_ok(None, "127.0.0.1:8020")                                 # a script, not a browser


def test_the_flood_limit_lets_a_burst_through_then_the_average_rate():
    limit = RateLimit(rate=60.0, burst=60.0)
    allowed = sum(limit.allow(k / 1000.0) for k in range(1000))              # 1000 messages in 1 s
    assert 60 + 55 <= allowed <= 60 + 61
    assert limit.refused == 1000 - allowed
