"""Accounts: users, password hashes, tokens and the principal behind a request or a socket."""
