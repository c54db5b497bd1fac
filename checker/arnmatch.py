"""IAM wildcard matching of actions and resource ARNs.

IAM matches ``Resource`` entries against the ARN of the request: ``*`` is any run of characters and
``?`` is one character, case-sensitively, each of the six colon-separated ARN components on its own
(the last one, the resource, may itself hold colons). Actions match the same way but ignore case.

The checker compares patterns with patterns: a needed resource such as "every stream of the log
group" is itself a pattern, so the questions are "does this grant cover every ARN the need can
take?" (:func:`covers`) and "can one ARN match both?" (:func:`overlaps`).
"""

from __future__ import annotations

import functools
import re

ANY = "*"
# Stand-ins for the wildcards of the covered pattern: only a wildcard of the covering pattern can
# match them, so a pattern that matches the stand-in string matches every string the covered
# pattern can take.
_ANY_RUN = "\x00"
_ANY_CHAR = "\x01"


@functools.lru_cache(maxsize=4096)
def _glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(f"[^{_ANY_RUN}]")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob_covers(outer: str, inner: str, ignore_case: bool = False) -> bool:
    stand_in = inner.replace("*", _ANY_RUN).replace("?", _ANY_CHAR)
    return _glob_regex(outer, ignore_case).fullmatch(stand_in) is not None


def _glob_overlaps(first: str, second: str) -> bool:
    """Whether some string matches both glob patterns."""

    @functools.cache
    def meet(i: int, j: int) -> bool:
        if i == len(first) and j == len(second):
            return True
        a = first[i] if i < len(first) else None
        b = second[j] if j < len(second) else None
        if a == "*" and (meet(i + 1, j) or (b is not None and meet(i, j + 1))):
            return True  # the star matches nothing more, or absorbs one more of the other side
        if b == "*" and (meet(i, j + 1) or (a is not None and meet(i + 1, j))):
            return True
        if a is None or b is None or "*" in (a, b):
            return False
        return (a == b or "?" in (a, b)) and meet(i + 1, j + 1)

    return meet(0, 0)


def split_arn(arn: str) -> list[str] | None:
    """The six components of an ARN (partition, service, region, account, resource), or None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


def _paired(first: str, second: str) -> list[tuple[str, str]] | None:
    """The components of two ARNs side by side; None when either is not a complete ARN."""
    a, b = split_arn(first), split_arn(second)
    if a is None or b is None:
        return None
    return list(zip(a, b, strict=True))


def covers(grant: str, needed: str) -> bool:
    """Whether resource pattern ``grant`` matches every ARN that ``needed`` can stand for."""
    if grant == ANY:
        return True
    pairs = _paired(grant, needed)
    return pairs is not None and all(_glob_covers(g, n) for g, n in pairs)


def overlaps(first: str, second: str) -> bool:
    """Whether some ARN matches both resource patterns."""
    if ANY in (first, second):
        return True
    pairs = _paired(first, second)
    return pairs is not None and all(_glob_overlaps(a, b) for a, b in pairs)


def action_matches(pattern: str, action: str) -> bool:
    """Whether the policy's action ``pattern`` names ``action`` (IAM ignores case in actions)."""
    return _glob_covers(pattern, action, ignore_case=True)


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text
