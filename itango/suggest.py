""""Did you mean ...?" for misspelt device, class, server and database names."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["close_matches", "did_you_mean"]


def close_matches(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6,
                  beginnings: bool = True) -> list[str]:
    """Names from ``choices`` that look like ``word``, compared case-insensitively (Tango names
    are), returned in their stored spelling, best first.

    Listing filters match at the start of a name, so a misspelt *beginning* (``ghst`` for
    ``Ghost/dead``) counts too: a choice scores the better of its whole name and its first
    ``len(word)`` characters (``beginnings=False``: whole names only, for a name typed in
    full)."""
    import difflib  # only when a name was misspelt

    by_lower: dict[str, str] = {}
    for choice in choices:
        by_lower.setdefault(choice.lower(), choice)
    key = word.lower()
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(key)
    scored = []
    for lower in by_lower:
        ratios = []
        for text in (lower, lower[:len(key)]) if beginnings else (lower,):
            matcher.set_seq1(text)
            ok = matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff
            ratios.append(matcher.ratio() if ok else 0.0)
        whole, start = ratios[0], ratios[-1]
        if max(whole, start) >= cutoff:
            scored.append((max(whole, start), whole, lower))
    # best first; among equals, the closer whole name, then name order
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [by_lower[lower] for _, _, lower in scored[:n]]


def did_you_mean(word: str, choices: Iterable[str], n: int = 3, beginnings: bool = True) -> str:
    """`` Did you mean 'a' or 'b'?`` (with a leading space), or "" when nothing is close."""
    found = close_matches(word, choices, n=n, beginnings=beginnings)
    if not found:
        return ""
    quoted = [repr(f) for f in found]
    if len(quoted) == 1:
        return f" Did you mean {quoted[0]}?"
    return f" Did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"
