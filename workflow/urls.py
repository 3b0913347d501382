from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from viewflow.urls import Site

from processes.urls import PlansApp
from security.views import SecureAuthViewset

site = Site(
    title=settings.SITE_TITLE,
    primary_color="#b71c1c",
    secondary_color="#c62828",
    viewsets=[PlansApp()],
    # In the site's frame (menu, colours) though not an application of its own.
    urlpatterns=[
        path("notifications/", include("notifications.urls")),
        path("security/", include("security.urls")),
    ],
)
site.menu_template_name = None  # one application: its own menu is the whole navigation

admin.site.site_header = _("Zero-Waste City dispatch and close-out: administration")
admin.site.site_title = _("Administration")
admin.site.index_title = _("Units, people and plans")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="plans:work", permanent=False)),
    path("accounts/", SecureAuthViewset(allow_password_change=True, with_profile_view=False).urls),
    # One password change for everyone, the one that records it and settles what the session owes.
    path("admin/password_change/", RedirectView.as_view(pattern_name="password_change", permanent=False)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", site.urls),
]
