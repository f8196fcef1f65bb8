"""Flask-Admin glue: permission-gated views rendered inside the console layout."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from .guards import login_redirect
from .permissions import require_declared


class PermissionMixin:
    """An admin view open only to holders of `permission` (writes may need another)."""

    permission: str = ""

    def is_accessible(self) -> bool:
        require_declared(self.permission)
        return bool(current_user.is_authenticated and current_user.has_permission(self.permission))

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_redirect()
        abort(403)


class PermissionGatedView(PermissionMixin):
    """For an application's own Flask-Admin views: open to holders of `required_permission`.

        class InvoiceView(PermissionGatedView, ModelView):
            required_permission = "invoices:read"  # declared with declare_permissions()

    The name is one of the console's permissions or one the application declared (a typo
    raises); anonymous visitors are sent to the console's sign-in, others get a 403.
    """

    required_permission: str = ""

    def is_accessible(self) -> bool:
        require_declared(self.required_permission)
        return bool(
            current_user.is_authenticated and current_user.has_permission(self.required_permission)
        )


class ConsoleIndexView(AdminIndexView):
    """The admin root has no page of its own: it opens the console's home."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Any:
        return redirect(url_for("console.home"))
