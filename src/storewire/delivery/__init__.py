"""Delivery: the outbox publisher, the relay (the one sequencer), the event log and the brokers."""
