"""Why a delivery is turned away, said in the terms of its source, for people and machines.

Both sources report problems the same way: a `code` for machines, a `message` for
people, and where it is, in the words of whoever must fix it. A workbook's problem
names its sheet and cell (`Beneficiaries!D5: 'abc' is not a number`); a project-report
page's names the page file, the item and the JSON path
(`page-0001.json!items[1] (RMT-000007) outcomes[0].persons: ...`); a problem with a
whole fetch names its origin, and a quality gate's names the table it checked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ingest.terminal import printable

SHOWN = 10  # problems quoted in one reason; the count of the others follows


@dataclass(frozen=True)
class Problem:
    """One reason a delivery cannot be accepted, and where it is."""

    code: str
    message: str
    value: object = None
    sheet: str | None = None  # workbook: sheet name as the file has it
    cell: str | None = None  # workbook: cell address, e.g. D5
    page: str | None = None  # project reports: the page file
    item: int | None = None  # project reports: index of the item in the page
    item_id: str | None = None  # project reports: the intervention id of that item
    path: str | None = None  # project reports: the field's JSON path inside the item
    origin: str | None = None  # a whole fetch: the API's URL or the export folder
    table: str | None = None  # a quality gate: the table whose rows it checked

    @property
    def where(self) -> str | None:
        """The location as the source's people write it."""
        if self.sheet:
            return f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        if self.page:
            inside = [f"items[{self.item}]" + (f" ({self.item_id})" if self.item_id else "")
                      ] if self.item is not None else []
            inside += [self.path] if self.path else []
            return f"{self.page}!{' '.join(inside)}" if inside else self.page
        return self.origin or self.table

    def __str__(self) -> str:
        """The problem in one line, what a sender wrote (a sheet's, a page file's name)
        escaped where a terminal would act on it."""
        return f"{printable(self.where)}: {self.message}" if self.where else self.message

    def to_json(self) -> dict:
        """The problem as kept in the state: its code, message, value and location fields."""
        where = {k: v for k, v in asdict(self).items()
                 if v is not None and k not in ("code", "message", "value")}
        value = self.value
        return {"code": self.code, "message": self.message, **where,
                "value": value if isinstance(value, int | float | str | None) else str(value)}


def describe(problems: list[Problem]) -> str:
    """The first problems in one line, and how many more there are."""
    shown = "; ".join(str(p) for p in problems[:SHOWN])
    more = len(problems) - SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


class Rejected(Exception):
    """A delivery that breaks its source's contract; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def message(self) -> str:
        return describe(self.problems)
