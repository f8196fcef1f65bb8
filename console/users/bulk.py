"""A bulk action over every account a filter matches, run as a background job.

The users list offers "every matching user" beside the ticked rows; the confirmation page
counts the matches once (an explicit COUNT on an explicit page, never on the list). The job
then walks the accounts that matched and existed when it was confirmed (ids up to the
largest id then), in id order, a batch per transaction, through the same per-account flow
as a ticked row: who may act on whom, the last-administrator guard, one audit event per
account. A refusal is a line in the job's report, not a silent skip.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..core import jobs as registry
from ..core import policy
from ..core.models import models
from ..extensions import db
from ..jobs import flows as jobs_flows
from . import flows, query

KIND = "users.bulk"

# The actions' names as the list and the confirmation pages show them.
ACTION_LABELS: dict[str, Any] = {
    "activate": _l("Activate"),
    "deactivate": _l("Deactivate"),
    "send_password_reset": _l("Send password reset"),
    "require_password_change": _l("Require a password change"),
    "unlock": _l("Unlock"),
    "delete": _l("Delete"),
}

# The list's filters a job keeps (its URL arguments), in the order they are described.
FILTER_KEYS = (
    "q",
    "active",
    "confirmed",
    "role",
    "mfa",
    "locked",
    "login_after",
    "login_before",
    "created_from",
    "created_to",
)
_FILTER_LABELS: dict[str, Any] = {
    "q": _l("Search"),
    "active": _l("Active"),
    "confirmed": _l("Confirmed"),
    "role": _l("Role"),
    "mfa": _l("Has MFA"),
    "locked": _l("Locked"),
    "login_after": _l("Signed in after"),
    "login_before": _l("Signed in before"),
    "created_from": _l("Created from"),
    "created_to": _l("Created until"),
}

OUTCOMES: dict[str, Any] = {
    "changed": _l("Changed"),
    "unchanged": _l("Needed no change"),
    "refused": _l("Refused"),
}


def filter_args(params: query.ListParams) -> dict[str, str]:
    """The URL arguments of `params`' search and filters (no order, page or size)."""
    args = params.query_args()
    return {key: str(args[key]) for key in FILTER_KEYS if key in args}


def list_params(args: dict[str, Any]) -> query.ListParams:
    """ListParams from stored or posted filter arguments (`errors` names bad dates)."""
    return query.ListParams.from_args(MultiDict(args), 1, 1)


def matching_ids(params: query.ListParams) -> Select:
    """SELECT the ids of the accounts `params` matches (no order, no limit)."""
    return query.filtered(params).with_only_columns(models().User.id)


def largest_id() -> int:
    """The newest account's id: a job confirmed now leaves later accounts alone."""
    return int(db.session.scalar(select(func.max(models().User.id))) or 0)


def count_matching(params: query.ListParams, up_to: int | None = None) -> int:
    """How many accounts `params` matches (with ids up to `up_to`): one COUNT."""
    ids = matching_ids(params)
    if up_to is not None:
        ids = ids.where(models().User.id <= up_to)
    return int(db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0)


def sample(params: query.ListParams, limit: int = 10) -> list[Any]:
    """The first matching accounts by id, for the confirmation page."""
    User = models().User
    ids = list(db.session.scalars(matching_ids(params).order_by(User.id).limit(limit)))
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


def describe_filters(args: dict[str, Any]) -> list[tuple[Any, str]]:
    """(label, value) of each filter in `args`, as the list's filter panel names them."""
    Role = models().Role
    described = []
    for key in FILTER_KEYS:
        value = args.get(key)
        if not value:
            continue
        if key == "role":
            name = db.session.scalar(select(Role.name).where(Role.id == int(value)))
            text = name or f"#{value}"
        elif value in ("yes", "no"):
            text = _("Yes") if value == "yes" else _("No")
        else:
            text = str(value)
        described.append((_FILTER_LABELS[key], text))
    return described


def describe(params: dict[str, Any]) -> str:
    """The job's line on the jobs page: the action and the filter it ran over."""
    label = ACTION_LABELS.get(params.get("action", ""), params.get("action", ""))
    if params.get("hard"):
        label = _("Delete permanently")
    filters = describe_filters(params.get("filters", {}))
    if not filters:
        return _("%(action)s: every user", action=label)
    text = "; ".join(f"{name}: {value}" for name, value in filters)
    return _("%(action)s: every user matching %(filters)s", action=label, filters=text)


def _options(params: dict[str, Any]) -> dict[str, Any]:
    return {"hard": True} if params.get("action") == "delete" and params.get("hard") else {}


def count(run: registry.JobRun) -> int:
    """The accounts the job will walk, counted when it starts."""
    return count_matching(list_params(run.params["filters"]), up_to=run.params["up_to"])


def step(run: registry.JobRun) -> registry.Batch:
    """The action on the next batch of matching accounts after the cursor (a user id)."""
    User = models().User
    after = int(run.cursor or 0)
    batch = registry.Batch(cursor=after)
    ids = list(
        db.session.scalars(
            matching_ids(list_params(run.params["filters"]))
            .where(User.id > after, User.id <= run.params["up_to"])
            .order_by(User.id)
            .limit(run.batch_size)
        )
    )
    users = db.session.scalars(
        select(User).where(User.id.in_(ids)).options(selectinload(User.roles)).order_by(User.id)
    )
    name, options = run.params["action"], _options(run.params)
    for user in users:
        try:
            changed = flows.apply_action(run.actor, name, user, **options)
        except policy.PolicyError as error:
            batch.refuse(user.email, error.code, str(error))
        else:
            batch.count("changed" if changed else "unchanged")
    batch.cursor = ids[-1] if ids else after
    batch.finished = len(ids) < run.batch_size
    return batch


def job_kind() -> registry.JobKind:
    return registry.JobKind(
        key=KIND,
        label=_l("Bulk action on users"),
        permission="users:read",
        manage_permission="users:write",
        step=step,
        count=count,
        describe=describe,
        outcomes=OUTCOMES,
    )


def start(
    actor: Any,
    action: str,
    params: query.ListParams,
    *,
    hard: bool = False,
    origin: str = "web",
    enqueue: bool = True,
) -> Any:
    """Start action `action` over every account `params` matches now, as a job acting as
    `actor` (None: the trusted shell). Each account is checked when its batch runs."""
    policy.require(actor, "users:write")
    if action not in flows.ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    job_params = {
        "action": action,
        "hard": bool(hard and action == "delete"),
        "filters": filter_args(params),
        "up_to": largest_id(),
    }
    return jobs_flows.start(actor, KIND, job_params, origin=origin, enqueue=enqueue)
