"""Located problems found while loading an inventory.

Loaders collect every problem instead of stopping at the first, so a user fixes a file
in one pass; each problem says where (file, line/row/feature), which field, and what was
expected.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Issue:
    file: str
    where: str  # "line 12", "row 5", "feature 3"; empty when the whole file is concerned
    field: str  # "devices[3].mgmt_ip"; empty when no single field is at fault
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        loc = located(self.file, self.where)
        what = f"{self.field}: " if self.field else ""
        return f"{loc}: {self.severity}: {what}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class InventoryError(Exception):
    """Raised by callers that need a valid inventory; carries every issue found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.severity is Severity.ERROR]
        head = "\n".join(str(i) for i in errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s) in the inventory:\n{head}{more}")


def located(file: str, where: str) -> str:
    """`file:12` for "line 12", as the configuration's errors and compilers write a line
    (editors and grep -n jump to it); rows and features keep their word (`file:row 5`)."""
    line = where.removeprefix("line ")
    return ":".join(p for p in (file, line if line.isdigit() else where) if p)
