"""The Telegram channel (python-telegram-bot): durable inbox, per-chat order, rendering."""
