"""Repositories: keyword-only async functions over a `Conn`; the caller owns the transaction."""
