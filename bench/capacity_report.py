"""The capacity benchmark's figures: one value per run for each (section, row, column),
shown as median (min–max) in a table per section, or as JSON."""

import statistics
from collections import defaultdict
from typing import Any


class Results:
    def __init__(self) -> None:
        self._values: defaultdict[str, defaultdict[str, defaultdict[str, list[float]]]] = (
            defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        )

    def add(self, section: str, row: str, column: str, value: float) -> None:
        self._values[section][row][column].append(value)

    def sections(self) -> dict[str, dict[str, dict[str, list[float]]]]:
        return {s: {r: dict(c) for r, c in rows.items()} for s, rows in self._values.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            section: {
                row: {
                    col: {
                        "median": statistics.median(v),
                        "min": min(v),
                        "max": max(v),
                        "runs": v,
                    }
                    for col, v in cols.items()
                }
                for row, cols in rows.items()
            }
            for section, rows in self.sections().items()
        }

    def markdown(self) -> str:
        """A table per section: its rows, and the columns any row has, in first-seen order."""
        out = []
        for section, rows in self.sections().items():
            columns = list(dict.fromkeys(c for cols in rows.values() for c in cols))
            out += [f"\n{section}\n", "| | " + " | ".join(columns) + " |"]
            out.append("|---" * (len(columns) + 1) + "|")
            for row, cols in rows.items():
                cells = [_cell(cols[c]) if c in cols else "" for c in columns]
                out.append(f"| {row} | " + " | ".join(cells) + " |")
        return "\n".join(out)


def _cell(values: list[float]) -> str:
    median, low, high = statistics.median(values), min(values), max(values)
    digits = 1 if high < 100 else 0
    if len(values) == 1 or low == high:
        return f"{median:,.{digits}f}"
    return f"{median:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"
