"""Reading a JSON file the user named on the command line, with a one-line error naming the flag and the fix."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def load_json_file(path: str | Path, what: str, error: type[Exception] = ValueError, *, stdin: bool = False) -> Any:
    """The parsed content of ``path`` (``-`` reads stdin when ``stdin``); otherwise ``error`` naming ``what``."""
    try:
        text = sys.stdin.read() if stdin and str(path) == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what}: file {path} does not exist; check the path") from None
    except IsADirectoryError:
        raise error(f"{what}: {path} is a directory; give the JSON file") from None
    except UnicodeDecodeError:
        raise error(f"{what}: {path} is not UTF-8 text; save it as UTF-8 JSON") from None
    except OSError as exc:
        raise error(f"{what}: {path} cannot be read ({exc.strerror}); check the path") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(
            f"{what}: {path} is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg}); fix the file"
        ) from None
