"""How every CLI step ends on bad input: one line `upgrading <step>: error: <message>` on
stderr and exit code 1 (the writers are atomic, so nothing partial is left behind)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from upgrading.core.errors import InputError


def fail(step: str, exc: BaseException) -> int:
    """Report `exc` for `step`; the exit code of a failed step."""
    what = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
    print(f"upgrading {step}: error: {what}", file=sys.stderr, flush=True)
    return 1


def run(step: str, func: Callable[[], int | None],
        errors: tuple[type[BaseException], ...] = (InputError,)) -> int:
    """Call `func`; an exception of `errors` is reported by `fail`. The exit code: 0, or
    what `func` returns."""
    try:
        code = func()
    except errors as exc:
        return fail(step, exc)
    return int(code or 0)
