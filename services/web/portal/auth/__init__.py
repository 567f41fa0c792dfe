"""Accounts: registration, login and logout, and the access decorators."""
