"""Accord's adapter side: Telegram, terminal chat, storage, staff console, CLI."""
