"""What the jobs feature says when it refuses or stops: one table of messages by code."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

MESSAGES: dict[str, Any] = {
    "unknown_kind": _l("This console does not run jobs of the kind %(kind)s."),
    "operator_gone": _l("The operator who started this job no longer has an account."),
    "operator_inactive": _l("%(user)s, who started this job, is deactivated."),
    "operator_unpermitted": _l(
        "%(user)s, who started this job, no longer holds the permission %(permission)s."
    ),
    "interrupted": _l("The job was interrupted from the shell that ran it."),
    "finished": _l("This job has already finished."),
    "not_resumable": _l("Only a job that failed or was interrupted can be resumed."),
    "not_yours": _l(
        "%(user)s started this job and holds permissions you do not hold; only an operator "
        "who holds them may stop or resume it."
    ),
}


def text(code: str, **params: Any) -> str:
    """The message `code` in the current language, with its values."""
    return str(MESSAGES[code] % params) if params else str(MESSAGES[code])


class JobError(Exception):
    """A request about a job refused before anything was written; the message says why."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(text(code, **params))
