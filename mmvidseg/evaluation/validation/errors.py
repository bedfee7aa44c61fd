# Copyright (c) mmvidseg contributors. All rights reserved.
"""The one exception of results-file validation and the collector that
either raises at the first problem (offline evaluation) or gathers them
(the submission checker).

Every message has the same shape::

    <file>: <where> (video / frame / entry): "<field>" <problem>. Fix: <fix>

so a user can find the broken item and knows what to change.
"""
from typing import List, Optional


class ResultsFormatError(ValueError):
    """A prediction / submission file the official tools would reject or
    silently mis-score.

    A ``ValueError``, so callers that caught the earlier ``ValueError`` of
    the readers keep working.
    """


class TooManyProblems(Exception):
    """Raised inside a collector when ``max_problems`` is reached."""


def message(file: str, where: str, field: str, problem: str,
            fix: str) -> str:
    """Format one problem: file, place, field, what is wrong, the fix."""
    parts = [str(file)]
    if where:
        parts.append(where)
    text = ': '.join(parts) + ': '
    text += f'"{field}" {problem}' if field else problem
    return text + (f'. Fix: {fix}' if fix else '')


class Problems:
    """Collects the problems of one results file or submission.

    Args:
        strict (bool): Raise :class:`ResultsFormatError` at the first
            problem (offline evaluation). Otherwise collect them (the
            submission checker) up to ``max_problems``.
        max_problems (int): Stop collecting after this many.
    """

    def __init__(self, strict: bool = True, max_problems: int = 50) -> None:
        self.strict = strict
        self.max_problems = max_problems
        self.errors: List[str] = []
        self.warnings: List[str] = []
        self.checked: dict = {}

    def error(self, file: str, where: str, field: str, problem: str,
              fix: str) -> None:
        """Record (or, if strict, raise) one problem."""
        text = message(file, where, field, problem, fix)
        if self.strict:
            raise ResultsFormatError(text)
        self.errors.append(text)
        if len(self.errors) >= self.max_problems:
            raise TooManyProblems(text)

    def warn(self, file: str, where: str, field: str, problem: str,
             fix: str = '') -> None:
        """Record something that is valid but probably unintended."""
        self.warnings.append(message(file, where, field, problem, fix))

    def count(self, what: str, number: int = 1) -> None:
        """Count checked items (videos, frames, masks) for the summary."""
        self.checked[what] = self.checked.get(what, 0) + number

    def raise_if_any(self) -> None:
        """Raise one :class:`ResultsFormatError` listing every problem."""
        if self.errors:
            more = '' if len(self.errors) < self.max_problems else \
                f'\n(stopped after {self.max_problems} problems)'
            raise ResultsFormatError('\n'.join(self.errors) + more)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line: checked counts and the number of problems."""
        counts = ', '.join(f'{n} {what}' for what, n in self.checked.items())
        state = 'OK' if self.ok else 'INVALID'
        return (f'{state}: checked {counts or "nothing"}; '
                f'{len(self.errors)} error(s), {len(self.warnings)} '
                'warning(s)')


def run_collecting(problems: Problems, fn, *args, **kwargs) -> Optional[
        object]:
    """Call a validator, stopping quietly when ``problems`` is full."""
    try:
        return fn(*args, problems=problems, **kwargs)
    except TooManyProblems:
        return None
