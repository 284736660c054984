"""Self-checking exercises for the notebooks.

How an exercise works (student's view)
--------------------------------------
An *exercise cell* (cell tag ``exercise``) defines a function ``my_...``; the teacher copy holds the
solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the student copy (made by
``python -m snnlab.exercises.student notebooks/ -o student/``) has
``raise NotImplementedError("EXERCISE: fill in this cell")`` there instead.  The next cell
(tag ``check``) calls a check, e.g. ``nb01.check_leak(my_leak)``, which prints

* ``✓ correct: ...`` (green) when the function agrees with snnlab on every test case (sometimes
  followed by what the answer means: a check may explain its exercise *after* it was solved),
* ``… not done yet: fill in the cell marked EXERCISE`` while the function still raises
  ``NotImplementedError``,
* ``✗ ...`` (red) with a *diagnosis* otherwise: which typical mistake the answer looks like
  ("your membrane never decays: did you multiply by exp(-dt/tau_mp)?"), or which test case
  failed and what it was testing, plus a hint,
* ``✗ ...: your function did not return within N s: is there a loop that never ends?`` when one
  case takes longer than the check's time limit (see *Time limit* below).

Answers are compared by *value*, not by type (:func:`same`): a list or a tuple where snnlab returns
an ndarray, numpy scalars, 0/1 where snnlab returns a bool all count as the same answer.  In the
messages an array of more than a few entries is shown by its shape and first entries (:func:`fmt`).

Writing a check (teacher's / author's view)
-------------------------------------------
A :class:`Check` is built from

* ``reference``: the right answer, computed by snnlab itself (never numbers typed in);
* ``cases``: a list of :class:`Case` (arguments + a few words on *what the case tests*),
  chosen so that the typical mistakes give different results from the right answer and
  from each other;
* ``mistakes``: a list of :class:`Mistake` -- either a *model* of a wrong answer (a function with
  the student's signature that makes exactly that mistake; diagnosed when the student's results
  equal the model's on every case) or a *detector* (``detect(got, case, ref) -> bool``; diagnosed
  when it is true on every case, *even if* the answer is within the tolerance of ``compare``: for
  mistakes that are close to the right answer, such as a forward difference where a central one is
  asked for);
* ``hint``: shown with every wrong answer;
* ``explain``: text (or ``explain(student) -> text``) shown after ✓ -- what the exercise was about,
  for facts the notebook must not print before the student has tried;
* ``forbid`` / ``forbid_message``: functions the answer must not use ("module.name", e.g.
  ``"numpy.linalg.solve"``); while the student's function runs they are replaced by stubs that
  stop it, and the check shows ``forbid_message``;
* ``time_limit``: seconds per case (default :data:`TIME_LIMIT`).

Calling the check with the student's function runs all cases and returns a
:class:`CheckResult` (truthy when passed); it prints its message at once, and displays
nothing more in a notebook.  ``compare`` decides "same answer" (default: :func:`same`,
numbers to 1e-9 relative, by value).

Time limit
----------
The student's function runs in a daemon thread (:func:`call_with_time_limit`), joined with the time
limit -- no ``signal.alarm``, which works only in the main thread and would fight other users of
SIGALRM (pytest-timeout): a thread works in a Jupyter kernel wherever the check is called from.  A function still running after the
limit gets an asynchronous :class:`TimeLimitExceeded` (``PyThreadState_SetAsyncExc``), which stops a
pure-Python loop at its next bytecode.  Code that is stuck inside one long C call (numpy) or that
swallows every exception (a bare ``except:``) cannot be stopped from outside: that thread keeps
running, using a CPU core, until the kernel restarts, and the message says so.

Add a notebook's checks in ``snnlab/exercises/nbNN.py`` (see ``nb01.py`` for the pattern),
and for one-off yes/no checks use :func:`check` (``check(name, passed, message_if_wrong,
hint)``).  In notebooks 01-07 every exercise function is called ``my_<what>`` and its check
``nbNN.check_<what>``.
"""
from __future__ import annotations

import contextlib
import contextvars
import ctypes
import math
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Case", "Check", "CheckResult", "Mistake", "TIME_LIMIT", "TimeLimitExceeded",
           "call_with_time_limit", "check", "fmt", "same", "timeout_message"]

_GREEN, _RED, _YELLOW, _BOLD, _END = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m"

NOT_DONE = "not done yet: fill in the cell marked EXERCISE"

#: seconds a student's function may take on one case of a check
TIME_LIMIT = 5.0


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


# ------------------------------------------------------------------ comparing answers by value
def _contains_none(x) -> bool:
    if x is None:
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_none(v) for v in x)
    return False


def _numeric(x):
    """``x`` as a float array (bools as 0/1), or None if it is not numbers in a regular shape."""
    if isinstance(x, (str, bytes, dict, set, frozenset)) or _contains_none(x):
        return None
    if isinstance(x, np.ndarray) and (x.dtype.names or x.dtype.kind in "OUSV"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")         # complex -> float etc.: not the same answer anyway
            if np.iscomplexobj(x):
                return None
            arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    return arr


def _is_seq(x) -> bool:
    return isinstance(x, (list, tuple)) or (isinstance(x, np.ndarray) and x.ndim > 0)


def same(a, b, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """Same answer, by value: numbers/arrays to ``rtol``/``atol`` (inf == inf, nan == nan) in the same
    shape, whatever holds them -- a list, a tuple or an ndarray; Python or numpy numbers; a bool or
    0/1.  Sequences whose items are not all numbers (ragged, structured) are compared item by item,
    dicts key by key, anything else with ``==``."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(same(a[k], b[k], rtol, atol) for k in a))
    x, y = _numeric(a), _numeric(b)
    if x is not None and y is not None:
        return x.shape == y.shape and bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True))
    if _is_seq(a) and _is_seq(b) and not (isinstance(a, np.ndarray) and a.dtype.names) \
            and not (isinstance(b, np.ndarray) and b.dtype.names):
        return len(a) == len(b) and all(same(u, v, rtol, atol) for u, v in zip(a, b))
    try:
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return bool(np.array_equal(a, b))
        return bool(a == b)
    except Exception:  # noqa: BLE001 - objects that cannot be compared are not the same answer
        return False


#: arrays with more entries than this are shown in messages by their shape and first entries
BRIEF_SIZE = 6


def fmt(x, limit: int = 8) -> str:
    """Short human-readable value: long lists abbreviated after ``limit`` items, an array with more than
    :data:`BRIEF_SIZE` entries shown by its shape and first entries (``array of shape (2, 3, 3)
    [0.1, -0.2, 0.3, 0.05, ...]``), a smaller one on one line, an event array by its length."""
    if isinstance(x, (tuple, list)):
        items = [fmt(v, limit) for v in x[:limit]] + ([f"... ({len(x)} items)"] if len(x) > limit else [])
        inner = ", ".join(items)
        return f"({inner})" if isinstance(x, tuple) else f"[{inner}]"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, np.ndarray):
        if x.dtype.names:
            return f"<{x.size} events>"
        if x.size > BRIEF_SIZE:
            first = ", ".join(fmt(v, limit) for v in x.ravel()[:4])
            return f"array of shape {x.shape} [{first}, ...]"
        text = np.array2string(x, precision=4, separator=", ", threshold=limit)
        return " ".join(text.split())               # one line, also for a small 2-D array
    if isinstance(x, (float, np.floating)):
        return "inf" if math.isinf(x) and x > 0 else ("-inf" if math.isinf(x) else f"{float(x):.6g}")
    if isinstance(x, np.integer):
        return str(int(x))
    return repr(x)


# ------------------------------------------------------------------ running a student's function
class TimeLimitExceeded(BaseException):
    """Raised (asynchronously) in a student's function that ran past the check's time limit.

    A BaseException, so that a student's ``try: ... except Exception:`` does not swallow it."""


class _ForbiddenCall(BaseException):
    """A student's function called a function the exercise forbids (a BaseException, see above)."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


@dataclass
class _Outcome:
    value: object = None
    error: BaseException | None = None
    timed_out: bool = False
    stopped: bool = False          # (timed out) the thread was stopped; False: it is still running
    seconds: float = 0.0


def _stop_thread(thread: threading.Thread, grace: float = 1.0) -> bool:
    """Ask ``thread`` to raise TimeLimitExceeded; True if it has ended within ``grace`` seconds."""
    if thread.ident is None or not thread.is_alive():
        return True
    try:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                                   ctypes.py_object(TimeLimitExceeded))
    except Exception:  # noqa: BLE001 - not CPython: nothing we can do
        return False
    thread.join(grace)
    return not thread.is_alive()


def call_with_time_limit(fn: Callable, args=(), kwargs=None, seconds: float = TIME_LIMIT) -> _Outcome:
    """Call ``fn(*args, **kwargs)`` in a daemon thread and wait at most ``seconds`` for it.

    Returns an outcome with ``value`` or ``error`` (any exception the function raised), or
    ``timed_out=True``; then the thread has been asked to stop (``stopped`` says whether it did --
    if not, it keeps running until the process, i.e. the Jupyter kernel, ends).  The thread runs in
    a copy of the caller's context (numpy's ``errstate`` included).  Ctrl-C / the kernel's interrupt
    while waiting stops the thread too, and is raised again."""
    kwargs = kwargs or {}
    out = _Outcome()
    ctx = contextvars.copy_context()

    def target():
        try:
            out.value = ctx.run(fn, *args, **kwargs)
        except BaseException as err:  # noqa: BLE001 - handed to the caller
            out.error = err

    thread = threading.Thread(target=target, name="snnlab-exercise-check", daemon=True)
    t0 = time.perf_counter()
    thread.start()
    try:
        thread.join(seconds)
    except BaseException:           # KeyboardInterrupt while waiting: stop the function as well
        _stop_thread(thread)
        raise
    out.seconds = time.perf_counter() - t0
    if thread.is_alive():
        out.timed_out = True
        out.stopped = _stop_thread(thread)
        out.value, out.error = None, None
    return out


def timeout_message(name: str, seconds: float, stopped: bool, case: str = "") -> str:
    """The ✗ message for a function that did not return within ``seconds`` (``stopped``: the
    :func:`call_with_time_limit` outcome's; ``case``: what the case tests and its arguments). Shared by
    :class:`Check` and the property checks written by hand (nb09's crop)."""
    msg = (f"✗ {name}: your function did not return within {seconds:g} s: is there a loop that "
           f"never ends? (TimeLimitExceeded)" + (f"\n  on the case that tests {case}" if case else ""))
    if stopped:
        msg += ("\n  the check stopped your function (an endless loop, or a far too slow one); look at "
                "the condition of each while loop: does every pass bring it closer to False?")
    else:
        msg += ("\n  your function is STILL RUNNING in the background: the check could not stop it (it is "
                "inside a long numpy call, or catches every exception). That endless loop keeps a CPU "
                "core busy until you restart the kernel (Kernel > Restart Kernel), then run the "
                "cells from the top again.")
    return msg


def _resolve(dotted: str):
    """('numpy.linalg', 'solve') for 'numpy.linalg.solve' -- the module imported only if it is already
    loaded (a student who never imported scipy cannot call scipy.linalg.solve)."""
    mod_name, _, attr = dotted.rpartition(".")
    mod = sys.modules.get(mod_name)
    if mod is None:
        return None
    return mod, attr


@contextlib.contextmanager
def _forbidding(names, student):
    """Replace each function ``names`` (dotted) by a stub raising _ForbiddenCall: in its module, in
    the student's globals where it was imported by name (``from numpy.linalg import solve``) and in
    the function's closure; everything is put back on exit."""
    patched = []                     # (holder, key, original): a module, a globals dict or a closure cell
    originals = {}

    def stub_for(dotted):
        def stub(*a, **k):
            raise _ForbiddenCall(dotted)
        return stub
    try:
        for dotted in names:
            where = _resolve(dotted)
            if where is None or not hasattr(where[0], where[1]):
                continue
            mod, attr = where
            orig = getattr(mod, attr)
            originals[id(orig)] = dotted
            patched.append((mod, attr, orig))
            setattr(mod, attr, stub_for(dotted))
        if originals:
            g = getattr(student, "__globals__", None)
            if isinstance(g, dict):
                for key, val in list(g.items()):
                    if id(val) in originals and callable(val):
                        patched.append((g, key, val))
                        g[key] = stub_for(originals[id(val)])
            for cell in getattr(student, "__closure__", None) or ():
                try:
                    val = cell.cell_contents
                except ValueError:                       # an empty cell
                    continue
                if id(val) in originals and callable(val):
                    patched.append((cell, None, val))
                    cell.cell_contents = stub_for(originals[id(val)])
        yield
    finally:
        for holder, key, orig in reversed(patched):
            if isinstance(holder, dict):
                holder[key] = orig
            elif key is None:
                holder.cell_contents = orig
            else:
                setattr(holder, key, orig)


# ------------------------------------------------------------------ checks
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
    """A typical wrong answer and the ``message`` that explains it: either a ``model`` that makes
    exactly this mistake (same signature as the student's function), or a ``detect(got, case, ref)``
    predicate, true when the student's value ``got`` on ``case`` shows the mistake (checked before
    the answer is accepted, so it may flag answers that are close to the right one)."""
    message: str
    model: Callable | None = None
    detect: Callable | None = None


_FAILED = object()


class Check:
    """Run a student's function on ``cases``, compare with ``reference``, diagnose mistakes.

    Args:
        name: what the student wrote, e.g. "my_leak(v, dt, tau_mp)".
        reference: the right answer (a function of the same arguments built on snnlab).
        cases: list of :class:`Case`.
        mistakes: list of :class:`Mistake`.
        hint: shown with every wrong answer.
        arg_names: names of the positional arguments (for messages).
        compare: ``compare(student_value, reference_value) -> bool``; default :func:`same`.
        reference_name: how to call the reference in the ✓ message.
        explain: text, or ``explain(student) -> text``, added to the ✓ message.
        forbid: dotted names of functions the answer must not call; ``forbid_message`` says why.
        time_limit: seconds per case (default :data:`TIME_LIMIT`).
        reveal: show snnlab's value next to a wrong one (False for a multiple-choice question, where
            it would be the answer).
    """

    def __init__(self, name: str, reference: Callable, cases: list[Case], mistakes=(),
                 hint: str | None = None, arg_names=None, compare: Callable = same,
                 reference_name: str | None = None, explain=None, forbid=(), forbid_message: str = "",
                 time_limit: float = TIME_LIMIT, reveal: bool = True):
        self.name, self.reference, self.cases = name, reference, list(cases)
        self.mistakes, self.hint, self.arg_names = list(mistakes), hint, arg_names
        self.compare = compare
        self.reference_name = reference_name or getattr(reference, "__qualname__", "the reference")
        self.explain, self.forbid, self.forbid_message = explain, tuple(forbid), forbid_message
        self.time_limit = float(time_limit)
        self.reveal = reveal

    def _outputs(self, fn):
        return [self._outputs_one(fn, i) for i in range(len(self.cases))]

    def _outputs_one(self, fn, i):
        try:
            with np.errstate(all="ignore"):
                return self.cases[i].call(fn)
        except Exception:  # noqa: BLE001 - a mistake model may fail where the student's fails too
            return _FAILED

    def _eq(self, a, b) -> bool:
        if a is _FAILED or b is _FAILED:
            return a is b
        try:
            return bool(self.compare(a, b))
        except Exception:  # noqa: BLE001 - a value the compare cannot handle is not the answer
            return False

    def __call__(self, student: Callable, quiet: bool = False, time_limit: float | None = None) -> CheckResult:
        res = self.run(student, time_limit=time_limit)
        return res if quiet else res.show()

    def _fail(self, msg: str) -> CheckResult:
        if self.hint:
            msg += f"\n  hint: {self.hint}"
        return CheckResult(self.name, False, msg)

    def run(self, student: Callable, time_limit: float | None = None) -> CheckResult:
        """Like calling the check, without printing."""
        if not callable(student):
            return CheckResult(self.name, False, f"✗ {self.name}: expected a function, got "
                                                 f"{type(student).__name__}. Pass the function itself "
                                                 "(no parentheses).")
        limit = float(time_limit if time_limit is not None else self.time_limit)
        ref = [c.call(self.reference) for c in self.cases]   # first: warms up anything the answer may share
        got = []
        with _forbidding(self.forbid, student):
            for c in self.cases:
                o = call_with_time_limit(student, c.args, c.kwargs, limit)
                if o.timed_out:
                    return self._fail(self._timeout_message(c, limit, o.stopped))
                err = o.error
                if isinstance(err, NotImplementedError):
                    return CheckResult(self.name, None, f"… {self.name}: {NOT_DONE} (replace the "
                                       "`raise NotImplementedError` line by your code, run that cell, "
                                       "then this one again)")
                if isinstance(err, _ForbiddenCall):
                    return self._fail(f"✗ {self.name}: {self.forbid_message or 'do not use ' + err.name} "
                                      f"(your function called {err.name})")
                if err is not None:
                    return self._fail(f"✗ {self.name} raised {type(err).__name__}: {err}\n"
                                      f"  on the case that tests {c.what}: {c.describe(self.arg_names)}")
                got.append(o.value)
        # 0. mistakes recognised by a detector: even when the answer is within the tolerance
        for m in self.mistakes:
            if m.detect is not None and all(self._detects(m, g, c, r) for g, c, r in zip(got, self.cases, ref)):
                bad = list(range(len(self.cases)))
                return CheckResult(self.name, False, self._wrong(m.message, bad, got, ref))
        bad = [i for i, (g, r) in enumerate(zip(got, ref)) if not self._eq(g, r)]
        if not bad:
            whats = "; ".join(dict.fromkeys(c.what for c in self.cases))
            n = len(self.cases)
            msg = (f"✓ correct: {self.name} agrees with {self.reference_name} on "
                   + (f"all {n} cases" if n > 1 else "its one case") + f" ({whats})")
            try:
                extra = self.explain(student) if callable(self.explain) else self.explain
            except Exception:  # noqa: BLE001 - an explanation never turns a right answer into an error
                extra = ""
            if extra:
                msg += "\n" + "\n".join("  " + line for line in str(extra).splitlines())
            return CheckResult(self.name, True, msg)
        models = [m for m in self.mistakes if m.model is not None]
        # 1. does the answer equal one typical mistake on every case?
        for m in models:
            mo = self._outputs(m.model)
            if all(self._eq(g, o) for g, o in zip(got, mo)):
                return CheckResult(self.name, False, self._wrong(m.message, bad, got, ref))
        # 2. otherwise: what do the failing cases test, and which mistakes fit them?
        notes = []
        for i in bad:
            fits = [m.message for m in models if self._eq(got[i], self._outputs_one(m.model, i))]
            if fits:
                notes.append(fits[0])
        msg = (f"your answer is wrong on {len(bad)} of {len(self.cases)} cases: those testing "
               + "; ".join(dict.fromkeys(self.cases[i].what for i in bad)) + ".")
        shape = self._shape_note(bad, got, ref)
        if shape:
            msg += "\n  " + shape
        if notes:
            msg += "\n  on some of them your answer looks like this mistake: " + \
                   " / ".join(dict.fromkeys(notes))
        return CheckResult(self.name, False, self._wrong(msg, bad, got, ref))

    @staticmethod
    def _detects(m, g, c, r) -> bool:
        try:
            with np.errstate(all="ignore"):
                return bool(m.detect(g, c, r))
        except Exception:  # noqa: BLE001 - a detector that cannot read the answer does not fire
            return False

    def _timeout_message(self, c, limit, stopped) -> str:
        return timeout_message(self.name, limit, stopped, f"{c.what}: {c.describe(self.arg_names)}")

    def _shape_note(self, bad, got, ref) -> str:
        """'the numbers are right, the shape is not' -- when every failing value has the reference's
        numbers in another arrangement."""
        try:
            pairs = [(_numeric(got[i]), _numeric(ref[i])) for i in bad]
            if all(x is not None and y is not None and x.shape != y.shape and x.size == y.size
                   and np.allclose(x.ravel(), y.ravel(), equal_nan=True) for x, y in pairs):
                x, y = pairs[0]
                return (f"your numbers are right, but their shape is {x.shape} where snnlab's is {y.shape} "
                        "(a missing or extra [ ], keepdims, reshape?).")
        except Exception:  # noqa: BLE001
            pass
        return ""

    def _wrong(self, message, bad, got, ref) -> str:
        lines = [f"✗ {self.name}: {message}"]
        for i in bad[:3]:
            c = self.cases[i]
            shown = f", snnlab gives {fmt(ref[i])}" if getattr(self, "reveal", True) else ""
            lines.append(f"  case ({c.what}): {c.describe(self.arg_names)}\n"
                         f"      you returned {fmt(got[i])}{shown}")
        if len(bad) > 3:
            lines.append(f"  ... and {len(bad) - 3} more failing case(s)")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def show_source(obj) -> None:
    """Print the source of a snnlab function (to read the reference after solving)."""
    import inspect
    print(inspect.getsource(obj))

