"""IAM wildcard matching of actions and resource ARNs.

IAM matches ``Resource`` entries against the ARN of the request: ``*`` is any run of characters and
``?`` is one character, case-sensitively, each of the six colon-separated ARN components on its own
(the last one, the resource, may itself hold colons). Actions match the same way but ignore case.

The checker compares patterns with patterns: a needed resource such as "every stream of the log
group" is itself a pattern, so the questions are "does this grant cover every ARN the need can
take?" (:func:`covers`) and "can one ARN match both?" (:func:`overlaps`).
"""

from __future__ import annotations

ANY = "*"
# Stand-ins for the wildcards of the covered pattern: only a wildcard of the covering pattern can
# match them, so a pattern that matches the stand-in string matches every string the covered
# pattern can take.
_ANY_RUN = "\x00"
_ANY_CHAR = "\x01"


def _glob_covers(outer: str, inner: str, ignore_case: bool = False) -> bool:
    """Whether glob ``outer`` matches every string glob ``inner`` can stand for.

    The classic two-pointer wildcard match (backtracking only to the last ``*``), in
    O(len(outer) * len(inner)) at worst: a regular expression backtracks exponentially on patterns
    such as ``a*a*a*...b``.
    """
    if ignore_case:
        outer, inner = outer.lower(), inner.lower()
    text = inner.replace("*", _ANY_RUN).replace("?", _ANY_CHAR)
    p = t = 0
    star, resume = -1, 0
    while t < len(text):
        if p < len(outer) and outer[p] == "*":
            star, resume = p, t
            p += 1
        elif p < len(outer) and (outer[p] == text[t] or (outer[p] == "?" and text[t] != _ANY_RUN)):
            p += 1
            t += 1
        elif star >= 0:
            # Let the last star absorb one more character and retry from there.
            resume += 1
            p, t = star + 1, resume
        else:
            return False
    return outer[p:].strip("*") == ""


def _glob_overlaps(first: str, second: str) -> bool:
    """Whether some string matches both glob patterns.

    ``row[j]`` says whether ``first[i:]`` and ``second[j:]`` have a common match, filled from the
    ends backwards one row of ``i`` at a time (no recursion, so long components cannot overflow
    the stack).
    """
    n, m = len(first), len(second)
    below = [False] * (m + 1)  # the row for first[i + 1:]
    for i in range(n, -1, -1):
        row = [False] * (m + 1)
        a = first[i] if i < n else None
        for j in range(m, -1, -1):
            b = second[j] if j < m else None
            if a is None and b is None:
                row[j] = True
            elif a == "*" and (below[j] or (b is not None and row[j + 1])):
                # The star matches nothing more, or absorbs one more character of the other side.
                row[j] = True
            elif b == "*" and (row[j + 1] or (a is not None and below[j])):
                row[j] = True
            elif a is not None and b is not None and "*" not in (a, b):
                row[j] = (a == b or "?" in (a, b)) and below[j + 1]
        below = row
    return below[0]


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
    """Whether ``text`` holds an IAM wildcard (``*`` or ``?``)."""
    return "*" in text or "?" in text
