"""Webhooks go to public addresses only, unless the deployment allows private targets."""

from __future__ import annotations

import pytest

from billing.webhook_targets import is_public, literal_refusal, pinned, refusal


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "100.64.0.1",
        "::1",
        "fe80::1%eth0",
        "fd00::1",
        "::ffff:127.0.0.1",
    ],
)
def test_loopback_private_link_local_and_reserved_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public(address)


def test_a_host_with_one_private_address_among_public_ones_is_refused_naming_it() -> None:
    reason = refusal("hooks.example", ["93.184.216.34", "10.0.0.7"])
    assert reason is not None
    assert "10.0.0.7" in reason and "WEBHOOK_ALLOW_PRIVATE_TARGETS" in reason


def test_a_host_that_resolves_to_public_addresses_only_is_accepted() -> None:
    assert refusal("hooks.example", ["93.184.216.34"]) is None


def test_a_host_that_resolves_to_nothing_is_refused() -> None:
    assert refusal("nowhere.example", []) is not None


@pytest.mark.parametrize("host", ["localhost", "api.localhost", "127.0.0.1", "[::1]", "10.0.0.1"])
def test_registration_refuses_private_literals_and_localhost(host: str) -> None:
    assert literal_refusal(host) is not None


@pytest.mark.parametrize("host", ["hooks.example.com", "93.184.216.34"])
def test_registration_leaves_names_and_public_literals_to_the_delivery_check(host: str) -> None:
    assert literal_refusal(host) is None


@pytest.mark.parametrize(
    ("url", "address", "expected"),
    [
        ("https://hooks.example/in?a=1", "93.184.216.34", "https://93.184.216.34/in?a=1"),
        ("https://hooks.example:8443/in", "93.184.216.34", "https://93.184.216.34:8443/in"),
        ("https://u:p@hooks.example/in", "2606:4700::1111", "https://u:p@[2606:4700::1111]/in"),
        ("http://[fe80::1%25eth0]:81/in", "fe80::1%eth0", "http://[fe80::1%25eth0]:81/in"),
    ],
)
def test_a_pinned_delivery_connects_to_the_checked_address(
    url: str, address: str, expected: str
) -> None:
    assert pinned(url, address).url == expected


def test_a_pinned_delivery_keeps_the_endpoints_name_for_host_and_certificate() -> None:
    target = pinned("https://u:p@Hooks.Example:8443/in", "93.184.216.34")
    assert target.host_header == "Hooks.Example:8443"
    assert target.server_name == "hooks.example"
