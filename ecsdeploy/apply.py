"""Run a plan's changes in order; on a failure, say what was done and what was not.

Nothing is rolled back: every change is one a re-run would make anyway, and a re-run reads the
account afresh, so it resumes where this one stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from botocore.exceptions import BotoCoreError, ClientError

from ecsdeploy.aws import Aws
from ecsdeploy.errors import DeployError
from ecsdeploy.model import Change


class ApplyFailed(DeployError):
    """A change failed; the message lists what was done before it and what was not done."""

    def __init__(
        self, done: Sequence[Change], failed: Change, reason: str, remaining: Sequence[Change]
    ) -> None:
        self.done = list(done)
        self.failed = failed
        self.remaining = list(remaining)
        lines = [f"failed: {failed.describe()}: {reason}"]
        lines.append(f"done ({len(self.done)}):")
        lines += [f"  {change.line()}" for change in self.done] or ["  nothing"]
        lines.append(f"not done ({1 + len(self.remaining)}):")
        lines += [f"  {change.line()}" for change in (failed, *self.remaining)]
        lines.append(
            "Nothing was rolled back. Fix the cause and run the same command again: it reads "
            "what exists and does only what is left."
        )
        super().__init__("\n".join(lines))


def apply_changes(
    aws: Aws,
    changes: Sequence[Change],
    emit: Callable[[str], None],
    done_before: Sequence[Change] = (),
    later: Sequence[Change] = (),
) -> list[Change]:
    """Run ``changes`` in order, reporting each; raise :class:`ApplyFailed` on the first failure.

    ``done_before`` and ``later`` are changes of the same run applied before these, or planned after
    them, so a failure report covers the whole run.
    """
    done = list(done_before)
    for index, change in enumerate(changes):
        try:
            note = change.run()
        except ClientError as exc:
            reason = aws.explain(exc, change.resource or f"{change.kind} {change.name}")
        except (BotoCoreError, DeployError) as exc:
            reason = str(exc)
        else:
            done.append(change)
            emit(f"  done: {change.describe()}")
            if isinstance(note, str):
                emit(f"  note: {note}")
            continue
        raise ApplyFailed(done, change, reason, [*changes[index + 1 :], *later])
    return done
