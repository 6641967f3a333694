"""Secret settings: stored in full, shown only as their last 4 characters.

A field is secret when its name contains ``secret``, ``token`` or ``password``, or ends in ``_key``
(DESIGN §5), at any depth of a category's values. Events and REST responses carry ``mask(value)``:
``"••••"`` followed by the value's last 4 characters (just ``"••••"`` for values shorter than 8, so
that a short secret is never shown mostly whole).

Round trip: a form that loads the masked values and PUTs them back unchanged must not overwrite the
stored secret with its mask. So a secret field whose incoming value starts with ``MASK`` means "keep
what is stored" when it equals the mask of the stored value; any other value starting with ``MASK`` is
refused (``invalid_payload``): it is a stale mask (the secret changed meanwhile) or a typing slip, and
storing it as the secret would silently break the integration that uses it.
"""

from __future__ import annotations

from typing import Any

from storewire.errors import InvalidPayload

__all__ = ["MASK", "is_secret", "mask", "mask_values", "restore_secrets"]

MASK = "••••"
_SHOWN = 4
_MIN_TO_SHOW = 8


def is_secret(name: str) -> bool:
    """Whether a field of this name holds a secret."""
    lowered = name.lower()
    return any(word in lowered for word in ("secret", "token", "password")) or lowered.endswith("_key")


def mask(value: str) -> str:
    """``"••••abcd"``: the last 4 characters of a secret (none of a short one)."""
    return MASK + value[-_SHOWN:] if len(value) >= _MIN_TO_SHOW else MASK


def mask_values(values: Any) -> Any:
    """A copy of JSON ``values`` with every secret string masked (dicts and lists walked)."""
    if isinstance(values, dict):
        return {
            key: mask(value) if is_secret(key) and isinstance(value, str) else mask_values(value)
            for key, value in values.items()
        }
    if isinstance(values, list):
        return [mask_values(item) for item in values]
    return values


def restore_secrets(incoming: Any, stored: Any, path: str = "") -> Any:
    """``incoming`` with each masked secret replaced by the stored secret it stands for.

    Raises ``InvalidPayload`` for a masked value that does not match the stored secret at that place.
    """
    if isinstance(incoming, dict):
        before = stored if isinstance(stored, dict) else {}
        restored: dict[str, Any] = {}
        for key, value in incoming.items():
            where = f"{path}.{key}" if path else key
            if is_secret(key) and isinstance(value, str) and value.startswith(MASK):
                kept = before.get(key)
                if not isinstance(kept, str) or mask(kept) != value:
                    raise InvalidPayload(
                        f"{where}: a masked value must be sent back unchanged; send the full new secret "
                        "to change it",
                        code="invalid_payload",
                    )
                restored[key] = kept
            else:
                restored[key] = restore_secrets(value, before.get(key), where)
        return restored
    if isinstance(incoming, list):
        # Items of a list have no stable identity to match a stored secret by: masks are refused there.
        return [restore_secrets(item, None, f"{path}[{index}]") for index, item in enumerate(incoming)]
    return incoming
