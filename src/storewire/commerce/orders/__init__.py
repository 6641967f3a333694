"""Orders: placing them with atomic stock reservation, and their status flow."""
