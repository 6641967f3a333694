"""Brokers carry sequenced events from the relay to every node's gateway."""
