"""Self-checking exercises for the notebooks.

How an exercise works (student's view)
--------------------------------------
An *exercise cell* (cell tag ``exercise``) defines a function; the teacher copy holds the
solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the student copy (made by
``python -m snnlab.exercises.student notebooks/ -o student/``) has
``raise NotImplementedError("EXERCISE: fill in this cell")`` there instead.  The next cell
(tag ``check``) calls a check, e.g. ``nb01.check_leak(my_leak)``, which prints

* ``✓ correct: ...`` (green) when the function agrees with snnlab on every test case,
* ``… not done yet: fill in the cell marked EXERCISE`` while the function still raises
  ``NotImplementedError``,
* ``✗ ...`` (red) with a *diagnosis* otherwise: which typical mistake the answer looks like
  ("your membrane never decays: did you multiply by exp(-dt/tau_mp)?"), or which test case
  failed and what it was testing, plus a hint.

Writing a check (teacher's / author's view)
-------------------------------------------
A :class:`Check` is built from

* ``reference``: the right answer, computed by snnlab itself (never numbers typed in);
* ``cases``: a list of :class:`Case` (arguments + a few words on *what the case tests*),
  chosen so that the typical mistakes give different results from the right answer and
  from each other;
* ``mistakes``: a list of :class:`Mistake` -- a *model* of a wrong answer (a function with
  the student's signature that makes exactly that mistake) and the message to show when
  the student's results equal the model's on every case;
* ``hint``: shown with every wrong answer.

Calling the check with the student's function runs all cases and returns a
:class:`CheckResult` (truthy when passed); it prints its message at once, and displays
nothing more in a notebook.  ``compare`` decides "same answer" (default: :func:`same`,
numbers to 1e-9 relative, tuples/lists element-wise, bools exactly).

Add a notebook's checks in ``snnlab/exercises/nbNN.py`` (see ``nb01.py`` for the pattern),
and for one-off yes/no checks use :func:`check` (``check(name, passed, message_if_wrong,
hint)``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Case", "Check", "CheckResult", "Mistake", "check", "same"]

_GREEN, _RED, _YELLOW, _BOLD, _END = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m"

NOT_DONE = "not done yet: fill in the cell marked EXERCISE"


@dataclass
class CheckResult:
    """Outcome of a check: ``passed`` (True/False, None = not attempted yet) and the message."""
    name: str
    passed: bool | None
    message: str

    def __bool__(self) -> bool:
        return bool(self.passed)

    @property
    def not_done(self) -> bool:
        return self.passed is None

    def __str__(self) -> str:
        return self.message

    def _ipython_display_(self):      # already printed when the check ran: show nothing more
        pass

    def show(self) -> "CheckResult":
        colour = _GREEN if self.passed else (_YELLOW if self.passed is None else _RED)
        first, _, rest = self.message.partition("\n")
        print(f"{_BOLD}{colour}{first}{_END}" + (f"\n{rest}" if rest else ""))
        return self


def check(name: str, passed: bool, message_if_wrong: str, hint: str | None = None,
          message_if_right: str = "") -> CheckResult:
    """A one-off check: prints ✓ or ✗ with the explanation (and hint) and returns the result."""
    if passed:
        msg = f"✓ correct: {name}" + (f" -- {message_if_right}" if message_if_right else "")
    else:
        msg = f"✗ {name}: {message_if_wrong}" + (f"\n  hint: {hint}" if hint else "")
    return CheckResult(name, bool(passed), msg).show()


def not_done(name: str) -> CheckResult:
    return CheckResult(name, None, f"… {name}: {NOT_DONE} (replace the `raise NotImplementedError` "
                                     "line by your code, run that cell, then this one again)").show()


def same(a, b, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """Same answer: numbers/arrays to ``rtol``/``atol`` (inf == inf, nan == nan), sequences
    element-wise, bools exactly; a bool never equals a float."""
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        if not (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))) or len(a) != len(b):
            return False
        return all(same(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, (bool, np.bool_)) != isinstance(b, (bool, np.bool_)):
        return False
    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return a == b
    if x.shape != y.shape:
        return False
    return bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True))


def fmt(x) -> str:
    """Short human-readable value."""
    if isinstance(x, (tuple, list)):
        inner = ", ".join(fmt(v) for v in x)
        return f"({inner})" if isinstance(x, tuple) else f"[{inner}]"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, np.ndarray):
        if x.dtype.names:
            return f"<{x.size} events>"
        return np.array2string(x, precision=4, separator=", ", threshold=8)
    if isinstance(x, (float, np.floating)):
        return "inf" if math.isinf(x) and x > 0 else ("-inf" if math.isinf(x) else f"{float(x):.6g}")
    return repr(x)


@dataclass
class Case:
    """One test case: positional ``args`` for the function and ``what`` it tests (in words)."""
    args: tuple
    what: str
    kwargs: dict = field(default_factory=dict)

    def call(self, fn):
        return fn(*self.args, **self.kwargs)

    def describe(self, names=None) -> str:
        parts = [f"{n}={fmt(a)}" for n, a in zip(names, self.args)] if names else [fmt(a) for a in self.args]
        parts += [f"{k}={fmt(v)}" for k, v in self.kwargs.items()]
        return ", ".join(parts)


@dataclass
class Mistake:
    """A typical wrong answer: ``model`` makes exactly this mistake; ``message`` explains it."""
    message: str
    model: Callable


_FAILED = object()


class Check:
    """Run a student's function on ``cases``, compare with ``reference``, diagnose mistakes.

    Args:
        name: what the student wrote, e.g. "leak(v, dt, tau_mp)".
        reference: the right answer (a function of the same arguments built on snnlab).
        cases: list of :class:`Case`.
        mistakes: list of :class:`Mistake`.
        hint: shown with every wrong answer.
        arg_names: names of the positional arguments (for messages).
        compare: ``compare(student_value, reference_value) -> bool``; default :func:`same`.
        reference_name: how to call the reference in the ✓ message.
    """

    def __init__(self, name: str, reference: Callable, cases: list[Case], mistakes=(),
                 hint: str | None = None, arg_names=None, compare: Callable = same,
                 reference_name: str | None = None):
        self.name, self.reference, self.cases = name, reference, list(cases)
        self.mistakes, self.hint, self.arg_names = list(mistakes), hint, arg_names
        self.compare = compare
        self.reference_name = reference_name or getattr(reference, "__qualname__", "the reference")

    def _outputs(self, fn):
        out = []
        for c in self.cases:
            try:
                out.append(c.call(fn))
            except Exception:      # a mistake model may fail where the student's fails too
                out.append(_FAILED)
        return out

    def _eq(self, a, b) -> bool:
        if a is _FAILED or b is _FAILED:
            return a is b
        return self.compare(a, b)

    def __call__(self, student: Callable, quiet: bool = False) -> CheckResult:
        res = self.run(student)
        return res if quiet else res.show()

    def run(self, student: Callable) -> CheckResult:
        """Like calling the check, without printing."""
        if not callable(student):
            return CheckResult(self.name, False, f"✗ {self.name}: expected a function, got "
                                                 f"{type(student).__name__}. Pass the function itself "
                                                 "(no parentheses).")
        got = []
        for c in self.cases:
            try:
                got.append(c.call(student))
            except NotImplementedError:
                return CheckResult(self.name, None, f"… {self.name}: {NOT_DONE} (replace the "
                                   "`raise NotImplementedError` line by your code, run that cell, "
                                   "then this one again)")
            except Exception as err:  # noqa: BLE001 - the student's code may raise anything
                msg = (f"✗ {self.name} raised {type(err).__name__}: {err}\n"
                       f"  on the case that tests {c.what}: {c.describe(self.arg_names)}")
                if self.hint:
                    msg += f"\n  hint: {self.hint}"
                return CheckResult(self.name, False, msg)
        ref = [c.call(self.reference) for c in self.cases]
        bad = [i for i, (g, r) in enumerate(zip(got, ref)) if not self._eq(g, r)]
        if not bad:
            whats = "; ".join(dict.fromkeys(c.what for c in self.cases))
            return CheckResult(self.name, True, f"✓ correct: {self.name} agrees with "
                               f"{self.reference_name} on all {len(self.cases)} cases ({whats})")
        # 1. does the answer equal one typical mistake on every case?
        for m in self.mistakes:
            mo = self._outputs(m.model)
            if all(self._eq(g, o) for g, o in zip(got, mo)):
                return CheckResult(self.name, False, self._wrong(m.message, bad, got, ref))
        # 2. otherwise: what do the failing cases test, and which mistakes fit them?
        notes = []
        for i in bad:
            fits = [m.message for m in self.mistakes if self._eq(got[i], self._outputs_one(m.model, i))]
            if fits:
                notes.append(fits[0])
        msg = (f"your answer is wrong on {len(bad)} of {len(self.cases)} cases: those testing "
               + "; ".join(dict.fromkeys(self.cases[i].what for i in bad)) + ".")
        if notes:
            msg += "\n  on some of them your answer looks like this mistake: " + \
                   " / ".join(dict.fromkeys(notes))
        return CheckResult(self.name, False, self._wrong(msg, bad, got, ref))

    def _outputs_one(self, fn, i):
        try:
            return self.cases[i].call(fn)
        except Exception:  # noqa: BLE001
            return _FAILED

    def _wrong(self, message, bad, got, ref) -> str:
        lines = [f"✗ {self.name}: {message}"]
        for i in bad[:3]:
            c = self.cases[i]
            lines.append(f"  case ({c.what}): {c.describe(self.arg_names)}\n"
                         f"      you returned {fmt(got[i])}, snnlab gives {fmt(ref[i])}")
        if len(bad) > 3:
            lines.append(f"  ... and {len(bad) - 3} more failing case(s)")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def show_source(obj) -> None:
    """Print the source of a snnlab function (to read the reference after solving)."""
    import inspect
    print(inspect.getsource(obj))

