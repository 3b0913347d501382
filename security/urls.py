from django.urls import path

from .views import AuditExportView, AuditLogView

app_name = "security"
urlpatterns = [
    path("audit/", AuditLogView.as_view(), name="audit_log"),
    path("audit/export.csv", AuditExportView.as_view(), name="audit_export"),
]
