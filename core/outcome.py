"""What an after-load step of the daily run returns (the contract between flows/ and the steps).

A step is a function ``step(settings) -> str | StepOutcome``:

* it returns a one-line summary (``str``) when it did all its work;
* it returns ``StepOutcome(summary, problems)`` when it did its main work but part of it failed
  (an alert channel that could not be reached, say): the run records the step as failed with
  the summary (which should mention the problems) and goes on;
* it raises when it could not do its work; the run records the exception as the step's failure
  and goes on with the next step.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepOutcome:
    summary: str
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        return self.summary
