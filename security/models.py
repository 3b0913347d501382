"""Account security (等保 2.0 level 3): the office's settings, each account's password state, the audit log."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MIN_AUDIT_RETENTION_DAYS = 180  # 等保: security audit records are kept at least six months


class SecuritySettings(models.Model):
    """The office's account rules. There is one; ``current()`` makes it on first use."""

    idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("idle session timeout (minutes)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("A session without any request for this long is ended; the person signs in again."),
    )
    password_max_age_days = models.PositiveSmallIntegerField(
        _("password expiry (days)"),
        default=0,
        help_text=_("A password older than this must be changed at the next sign-in; 0: passwords do not expire."),
    )
    audit_retention_days = models.PositiveIntegerField(
        _("audit log retention (days)"),
        default=MIN_AUDIT_RETENTION_DAYS,
        validators=[MinValueValidator(MIN_AUDIT_RETENTION_DAYS)],
        help_text=_("Security audit events older than this are purged every night; at least 180 days."),
    )

    class Meta:
        verbose_name = _("security settings")
        verbose_name_plural = _("security settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audit_retention_days__gte=MIN_AUDIT_RETENTION_DAYS),
                name="security_audit_retention_at_least_180_days",
            ),
            models.CheckConstraint(condition=models.Q(idle_timeout_minutes__gte=1), name="security_idle_timeout_set"),
        ]

    def __str__(self) -> str:
        return str(_("Security settings"))

    @classmethod
    def current(cls) -> SecuritySettings:
        found = cls.objects.order_by("pk").first()
        if found is None:
            found = cls.objects.create()
        return found


class AccountSecurity(models.Model):
    """One account's password state: a change owed at the next sign-in, when the password was last changed, and
    whether it is a demo account (refused where demo accounts are not allowed)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="account_security",
    )
    must_change_password = models.BooleanField(
        _("must change the password"),
        default=False,
        help_text=_("Every page leads to the password change until the person has set a password of their own."),
    )
    password_changed_at = models.DateTimeField(_("password last changed"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo account"), default=False)

    class Meta:
        verbose_name = _("account security")
        verbose_name_plural = _("account security")

    def __str__(self) -> str:
        return str(self.user)


class AuditEventKind(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOCKED_OUT = "locked_out", _("Account locked out")
    UNLOCKED = "unlocked", _("Account unlocked")
    LOGOUT = "logout", _("Signed out")
    SESSION_TIMEOUT = "session_timeout", _("Session timed out")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    EXPORT = "export", _("Export")
    EVIDENCE_DOWNLOAD = "evidence_download", _("Evidence downloaded")
    ADMIN_CHANGE = "admin_change", _("Change in the admin")
    ACCESS_DENIED = "access_denied", _("Access refused")


class AuditLogImmutable(Exception):
    """The security audit log is append-only: its events are never changed or deleted by the application."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogImmutable("security audit events cannot be changed")

    def delete(self) -> NoReturn:
        raise AuditLogImmutable("security audit events are purged only after their retention period")


class AuditEvent(models.Model):
    """One security-relevant event: who, when, from which address, on which path, about what."""

    kind = models.CharField(_("event"), max_length=32, choices=AuditEventKind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # PROTECT: a person who appears in the audit log is deactivated, never deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("security audit event")
        verbose_name_plural = _("security audit events")
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)  # nobody is granted changing or deleting it
        indexes = [
            models.Index(fields=["kind", "at"], name="security_audit_kind_at"),
            models.Index(fields=["username", "at"], name="security_audit_username_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogImmutable("security audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogImmutable("security audit events are purged only after their retention period")
