"""The one exception tree of dfdx (standard library only, imported by every layer).

Each class subclasses `DfdxError` and the builtin exception it refines, so
``except ValueError`` keeps working for people who do not know dfdx.
"""

__all__ = [
    "DfdxError",
    "UnsupportedOperation",
    "TracerConversionError",
    "NonScalarOutputError",
    "TapeError",
    "ParseError",
    "DomainError",
    "BudgetExceeded",
    "NonDifferentiableError",
]


class DfdxError(Exception):
    """Base class of every error dfdx raises on purpose."""


class UnsupportedOperation(DfdxError, NotImplementedError):
    """A function was applied to a traced value and dfdx has no derivative rule for it."""


class TracerConversionError(DfdxError, TypeError):
    """A traced value was turned into a plain number or array, which would drop its derivative."""


class NonScalarOutputError(DfdxError, ValueError):
    """`grad` (or a tape gradient) was asked of a function whose output is not a scalar."""


class TapeError(DfdxError, RuntimeError):
    """A GradientTape was used in a way that cannot give a correct answer (e.g. reused)."""


class ParseError(DfdxError, ValueError):
    """Text given to the safe expression parser is not allowed mathematics.

    Attributes:
        text: the text that was parsed.
        position: 0-based character offset of the offending token, or None.
    """

    def __init__(self, message, text=None, position=None):
        self.text = text
        self.position = position
        if text is not None and position is not None and len(text) <= 200:
            message = f"{message}\n  {text}\n  {' ' * position}^"
        super().__init__(message)


class DomainError(DfdxError, ValueError):
    """A point lies outside the domain of the function (no neighbourhood to work in)."""


class BudgetExceeded(DfdxError, TimeoutError):
    """The exact (SymPy) route ran past its time budget and was stopped.

    Attributes:
        seconds: the budget that was exceeded.
    """

    def __init__(self, message, seconds=None):
        super().__init__(message)
        self.seconds = seconds


class NonDifferentiableError(DfdxError, ValueError):
    """The derivative asked for does not exist at this point.

    For example the eigenvectors of a repeated eigenvalue: any rotation within
    its eigenspace is as good as NumPy's, so a loss that depends on which one
    was chosen has no derivative there.

    Example:
        >>> import numpy as np, dfdx
        >>> try:
        ...     dfdx.grad(lambda a: np.linalg.eigh(a).eigenvectors[1, 0])(np.eye(2))
        ... except dfdx.NonDifferentiableError as e:
        ...     print(str(e)[:72])
        numpy.linalg.eigh: the derivative does not exist here: the eigenvalues 1
    """
