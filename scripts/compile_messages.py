"""Compile the kit's message catalogues (src/talkbook/locale/*/LC_MESSAGES/*.po -> .mo).

Run after editing a .po file; tests/kit/test_i18n.py fails while a .mo is out of date.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parent.parent / "src" / "talkbook" / "locale"


def compiled(po: Path) -> bytes:
    with po.open("rb") as fh:
        catalog = read_po(fh)
    # fixed dates: the .mo changes only when a translation does
    catalog.creation_date = catalog.revision_date = datetime(2000, 1, 1, tzinfo=UTC)
    out = BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def main() -> int:
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        po.with_suffix(".mo").write_bytes(compiled(po))
        print(po.with_suffix(".mo").relative_to(LOCALE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
