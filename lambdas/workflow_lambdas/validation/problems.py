"""What is wrong with an input: ``Problem`` (one line of ``InvalidInput``) and the ``Problems`` accumulator."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from workflow_lambdas.contract.errors import InvalidInput

MAX_REPORTED = 60  # problems listed in one InvalidInput message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: ``field: what is wrong; how to fix``.

    ``named``: the message itself starts by naming the field, as ``train.jsonl (TrainingDataFileName)
    line 3: ...`` for a local file standing in for a dataset (the CLI); the line then has no ``field:`` prefix.
    """

    field: str
    message: str
    fix: str
    named: bool = False

    def __str__(self) -> str:
        head = "" if self.named else f"{self.field}: "
        return f"{head}{self.message}; {self.fix}"

    def at(self, field: str) -> Problem:
        """The same problem, reported for another field."""
        return dataclasses.replace(self, field=field)


class DatasetProblems(ValueError):
    """A dataset could not be used; ``problems`` says why."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Problems collected in one pass, in the order they were found (also used for warnings)."""

    def __init__(self, problems: Iterable[Problem] = ()) -> None:
        self._items = list(problems)

    def add(self, field: str, message: str, fix: str) -> None:
        self._items.append(Problem(field, message, fix))

    def append(self, problem: Problem) -> None:
        self._items.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self._items.extend(problems)

    def relabel(self, change: Callable[[Problem], Problem]) -> None:
        """Replace every problem by ``change(problem)``."""
        self._items = [change(p) for p in self._items]

    def fields(self) -> set[str]:
        return {p.field for p in self._items}

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def raise_if_any(self) -> None:
        """``InvalidInput`` listing the problems (``format_problems``), when there is one."""
        if self._items:
            raise InvalidInput(format_problems(self._items))


def format_problems(problems: list[Problem]) -> str:
    """One line per problem; the lines of one field together, fields in the order they were first found."""
    first: dict[str, int] = {}
    for index, problem in enumerate(problems):
        first.setdefault(problem.field, index)
    ordered = sorted(problems, key=lambda p: first[p.field])
    lines = list(dict.fromkeys(str(p) for p in ordered))
    if len(lines) > MAX_REPORTED:
        lines = [*lines[:MAX_REPORTED], f"Input: {len(lines) - MAX_REPORTED} more problems not shown; fix these first"]
    return "\n".join(lines)
