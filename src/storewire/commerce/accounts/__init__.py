"""Accounts: users, password hashes, tokens and the principal behind a request or a socket."""

from __future__ import annotations

from storewire.commerce.accounts import routes
from storewire.commerce.accounts.service import AccountService
from storewire.commerce.accounts.tables import UserRow
from storewire.commerce.module import Module

__all__ = ["MODULE"]

MODULE = Module(
    name="accounts",
    router=routes.router,
    tables=(UserRow,),
    service=AccountService.build,
)
