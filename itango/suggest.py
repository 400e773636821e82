""""Did you mean ...?" for misspelt device, class, server and database names."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["close_matches", "did_you_mean"]


def close_matches(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Names from ``choices`` that look like ``word``, compared case-insensitively (Tango names
    are), returned in their stored spelling, best first."""
    import difflib  # only when a name was misspelt

    by_lower: dict[str, str] = {}
    for choice in choices:
        by_lower.setdefault(choice.lower(), choice)
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[f] for f in found]


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """`` Did you mean 'a' or 'b'?`` (with a leading space), or "" when nothing is close."""
    found = close_matches(word, choices, n=n)
    if not found:
        return ""
    quoted = [repr(f) for f in found]
    if len(quoted) == 1:
        return f" Did you mean {quoted[0]}?"
    return f" Did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"
