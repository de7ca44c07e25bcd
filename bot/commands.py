"""The user commands of every channel (Telegram, terminal) and the Rasa payloads they send."""

from __future__ import annotations

from typing import Dict, Optional

COMMANDS: Dict[str, str] = {
    "start": "/greet",
    "help": "/help",
    "language": "/change_language",
    "complaint": "/file_complaint",
    "status": "/check_complaint_status",
    "cancel": "/cancel",
    "restart": "/restart",
    "delete_my_data": "/delete_my_data",
}


def payload_of(text: str) -> Optional[str]:
    """The Rasa payload of a command such as `/complaint` (or `/complaint@bot`)."""
    if not text.startswith("/"):
        return None
    name = text[1:].split()[0].split("@")[0].lower() if len(text) > 1 else ""
    return COMMANDS.get(name)
