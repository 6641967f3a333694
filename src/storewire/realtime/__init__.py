"""The pure core: envelopes, the event catalog, rooms and the join policy. No I/O here."""
