"""`python -m connector.fieldmap [PATH]`: write the field map's JSON Schema file."""

from __future__ import annotations

from connector.fieldmap.schema import main

raise SystemExit(main())
