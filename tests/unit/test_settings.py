"""Settings that depend on each other."""

from __future__ import annotations

import pytest

from storewire.settings import Settings


@pytest.mark.parametrize(
    ("env", "guests"),
    [
        ({}, False),
        ({"STOREWIRE_DEMO": "true"}, True),  # a demo's storefronts are for visitors too
        ({"STOREWIRE_DEMO": "true", "STOREWIRE_ALLOW_GUESTS": "false"}, False),  # unless told no
        ({"STOREWIRE_ALLOW_GUESTS": "true"}, True),
    ],
)
def test_a_demo_welcomes_guests_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], guests: bool
) -> None:
    for name in ("STOREWIRE_DEMO", "STOREWIRE_ALLOW_GUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings().allow_guests is guests
    assert Settings(demo=True).allow_guests is (env.get("STOREWIRE_ALLOW_GUESTS") != "false")
