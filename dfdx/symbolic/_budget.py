"""The time budget (`dfdx._budget`), under its former name: it imports no SymPy, so that the
command can use it before SymPy is imported."""

from dfdx._budget import (BudgetExceeded, StepTimeout, can_enforce, run_with_budget,  # noqa: F401
                          seconds, shutdown, step_budget)
from dfdx._budget import __all__  # noqa: F401
