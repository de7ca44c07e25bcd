"""`python -m bot.rasa_entry ARGS…`: Rasa's own command line (`rasa ARGS…`) without
Rasa's crash reports.

Rasa 3.6's `rasa` command starts Sentry with a key shipped inside the package whenever
Rasa's telemetry is on (`rasa.telemetry.initialize_error_reporting`; on by default unless
`RASA_TELEMETRY_ENABLED=false` or the user's global Rasa config): an uncaught error in the Rasa server or the action server — whose messages may quote
a user's text — would be sent to Rasa's Sentry project. Accord starts its Rasa processes
through this module instead, so no error report leaves the machine (docs/privacy.md).
"""

from __future__ import annotations

import sys
from typing import List, Optional


def no_error_reporting() -> None:
    """Stands in for `rasa.telemetry.initialize_error_reporting`."""


def main(argv: Optional[List[str]] = None) -> None:
    """Runs `rasa` with `argv` (default: this process's arguments)."""
    import rasa.telemetry
    from rasa.__main__ import main as rasa_main

    rasa.telemetry.initialize_error_reporting = no_error_reporting
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
