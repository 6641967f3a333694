"""Secret settings are masked to their last 4 characters, and masks sent back keep the stored secret."""

from __future__ import annotations

import pytest

from storewire.commerce.store_settings.masking import is_secret, mask, mask_values, restore_secrets
from storewire.errors import InvalidPayload


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("secret_key", True),
        ("webhook_secret", True),
        ("verification_token", True),
        ("admin_password", True),
        ("api_key", True),
        ("publishable_key", True),
        ("keyboard", False),
        ("store_name", False),
        ("key_count", False),
    ],
)
def test_which_fields_are_secret(name: str, secret: bool) -> None:
    assert is_secret(name) is secret


def test_masks_show_the_last_four_of_long_secrets_only() -> None:
    assert mask("sk_test_abcd1234") == "••••1234"
    assert mask("short") == "••••"
    values = {"secret_key": "sk_test_abcd1234", "name": "x", "nested": {"api_key": "k" * 10}, "items": [{}]}
    assert mask_values(values) == {
        "secret_key": "••••1234",
        "name": "x",
        "nested": {"api_key": "••••kkkk"},
        "items": [{}],
    }
    assert mask_values({"secret_key": None}) == {"secret_key": None}


def test_restore_keeps_stored_secrets_for_their_masks_and_refuses_other_masks() -> None:
    stored = {"secret_key": "sk_test_abcd1234", "nested": {"api_key": "kkkkkkkk9999"}}
    incoming = {"secret_key": "••••1234", "nested": {"api_key": "new-key-value"}, "currency": "EUR"}
    assert restore_secrets(incoming, stored) == {
        "secret_key": "sk_test_abcd1234",
        "nested": {"api_key": "new-key-value"},
        "currency": "EUR",
    }
    with pytest.raises(InvalidPayload):
        restore_secrets({"secret_key": "••••0000"}, stored)
    with pytest.raises(InvalidPayload):
        restore_secrets({"secret_key": "••••1234"}, None)  # nothing stored to keep
    with pytest.raises(InvalidPayload):
        restore_secrets({"items": [{"api_key": "••••9999"}]}, {"items": [{"api_key": "kkkkkkkk9999"}]})
