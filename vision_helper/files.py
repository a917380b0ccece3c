"""Files the user keeps (a sheet, a plan, a report, an export) are written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from vision_helper.errors import UserError


def write_atomically(out: Path, data: bytes, what: str, *, mode: int = 0o600,
                     error: type[UserError] = UserError) -> None:
    """Written under a temporary name beside `out`, then renamed: never half a file under the final name.
    mode: 0o600 (mkstemp's) for what is hers alone, 0o644 for a document to share."""
    out = Path(out)
    if out.is_dir():
        raise error(f"{out}: is a directory; give a file name for the {what}")
    if not out.parent.exists():
        raise error(f"{out.parent}: folder does not exist; create it or choose another place for the {what}")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise error(f"{out}: the {what} could not be written ({exc.strerror}); choose another place") from None
