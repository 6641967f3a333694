"""The built-in commerce domain: one subpackage per module (tables, service, events, routes)."""
