"""The plan pages as a viewflow Application inside the site frame."""

from django.urls import path, register_converter
from django.utils.translation import gettext_lazy as _
from viewflow import Icon
from viewflow.urls import Application

from processes.services.plans import PlanKeyConverter
from processes.views.assessment import (
    AssessmentExportView,
    AssessmentRegionView,
    AssessmentView,
    CircularDraftView,
)
from processes.views.bulletins import (
    BulletinListView,
    BulletinPdfView,
    BulletinPieceView,
    BulletinPublishView,
    BulletinView,
)
from processes.views.carry_over import CarryOverView
from processes.views.dashboard import DashboardView, LatestPlanView
from processes.views.imports import ImportConfirmView, ImportPreviewView, ImportUploadView
from processes.views.items import EvidenceView, ExtensionRequestView, ItemView, StepView
from processes.views.ledger import LedgerExportView, LedgerView, RemindView
from processes.views.notices import NoticePdfView, NoticesSignView, NoticeView
from processes.views.pairings import PairingsView, RegionView
from processes.views.plans import PlanDetailView, PlanListView, TaskDetailView
from processes.views.project_import import ProjectImportConfirmView, ProjectImportPreviewView, ProjectImportView
from processes.views.project_ledger import (
    ProjectChartPdfView,
    ProjectChartView,
    ProjectExportView,
    ProjectLedgerView,
)
from processes.views.projects import (
    ProjectEditView,
    ProjectMilestonesView,
    ProjectNewView,
    ProjectReportView,
    ProjectStepView,
    ProjectsView,
    ProjectView,
)
from processes.views.rounds import ObligationView, PlanRoundsView, RoundView
from processes.views.work import BulkStepView, WorkView

register_converter(PlanKeyConverter, "plan")

STEPS = (
    "report",
    "approve",
    "send_back",
    "verify",
    "return",
    "close",
    "reopen",
    "escalate",
    "handle_escalation",
    "remind",
    "suspend",
    "resume",
    "approve_extension",
    "refuse_extension",
)


class PlansApp(Application):
    app_name = "plans"
    title = _("Plans and ledger")
    icon = Icon("fact_check")
    menu_template_name = "processes/app_menu.html"
    urlpatterns = [
        path("", PlanListView.as_view(), name="plan_list"),
        path("import/", ImportUploadView.as_view(), name="import_upload"),
        path("import/<str:token>/", ImportPreviewView.as_view(), name="import_preview"),
        path("import/<str:token>/confirm/", ImportConfirmView.as_view(), name="import_confirm"),
        path("<plan:plan>/ledger/", LedgerView.as_view(), name="ledger"),
        path("<plan:plan>/ledger/export.<str:fmt>", LedgerExportView.as_view(), name="ledger_export"),
        path("<plan:plan>/rounds/", PlanRoundsView.as_view(), name="rounds"),
        path("rounds/<int:pk>/", RoundView.as_view(), name="round"),
        path("obligations/<int:pk>/", ObligationView.as_view(), name="obligation"),
        # 项目库: a project's own pages and its reports (processes.views.projects)
        path("projects/", ProjectsView.as_view(), name="projects"),
        path("projects/items/<int:pk>/", ProjectView.as_view(), name="project"),
        path("projects/items/<int:pk>/edit/", ProjectEditView.as_view(), name="project_edit"),
        path("projects/items/<int:pk>/milestones/", ProjectMilestonesView.as_view(), name="project_milestones"),
        path("projects/items/<int:pk>/<str:step>/", ProjectStepView.as_view(), name="project_step"),
        path("projects/reports/<int:pk>/", ProjectReportView.as_view(), name="project_report"),
        path("projects/<str:office>/new/", ProjectNewView.as_view(), name="project_new"),
        path("<plan:plan>/tasks/<str:number>/", TaskDetailView.as_view(), name="task_detail"),
        path("work/", WorkView.as_view(), name="work"),
        path("work/bulk/", BulkStepView.as_view(), name="work_bulk"),
        path("items/<int:pk>/", ItemView.as_view(), name="item"),
        *(path(f"items/<int:pk>/{step}/", StepView.as_view(step=step), name=f"item_{step}") for step in STEPS),
        path("items/<int:pk>/extension/", ExtensionRequestView.as_view(), name="item_extension"),
        path("evidence/<int:pk>/", EvidenceView.as_view(), name="evidence"),
        path("notices/<int:pk>/", NoticeView.as_view(), name="notice"),
        path("notices/<int:pk>/pdf/", NoticePdfView.as_view(), name="notice_pdf"),
        path("notices/sign/", NoticesSignView.as_view(), name="notices_sign"),
        path("<plan:plan>/ledger/remind/", RemindView.as_view(), name="ledger_remind"),
        path("<plan:plan>/carry-over/", CarryOverView.as_view(), name="carry_over"),
        path("<plan:plan>/dashboard/", DashboardView.as_view(), name="dashboard"),
        path("<plan:plan>/bulletins/", BulletinListView.as_view(), name="bulletins"),
        path("bulletins/<int:pk>/", BulletinView.as_view(), name="bulletin"),
        path("bulletins/<int:pk>/pdf/", BulletinPdfView.as_view(), name="bulletin_pdf"),
        path("bulletins/<int:pk>/publish/", BulletinPublishView.as_view(), name="bulletin_publish"),
        path("bulletins/pieces/<int:pk>/", BulletinPieceView.as_view(), name="bulletin_piece"),
        path("dashboard/", LatestPlanView.as_view(target="plans:dashboard"), name="dashboard_latest"),
        path("assessment/", LatestPlanView.as_view(target="plans:assessment"), name="assessment_latest"),
        path("<plan:plan>/assessment/", AssessmentView.as_view(), name="assessment"),
        path("<plan:plan>/assessment/export.<str:fmt>", AssessmentExportView.as_view(), name="assessment_export"),
        path("<plan:plan>/assessment/<str:code>/", AssessmentRegionView.as_view(), name="assessment_region"),
        path("<plan:plan>/circulars/", CircularDraftView.as_view(), name="circular_draft"),
        path("pairings/", PairingsView.as_view(), name="pairings"),
        path("pairings/<int:pk>/regions/<int:region>/", RegionView.as_view(), name="pairing_region"),
        # 项目库台账, its exports and 挂图作战 (pledger)
        path("projects/<str:office>/", ProjectLedgerView.as_view(), name="project_ledger"),
        path("projects/<str:office>/export.<str:fmt>", ProjectExportView.as_view(), name="project_export"),
        path("projects/<str:office>/chart/", ProjectChartView.as_view(), name="project_chart"),
        path("projects/<str:office>/chart.pdf", ProjectChartPdfView.as_view(), name="project_chart_pdf"),
        # 项目库清单 import: upload → preview → confirm (the token of the upload is posted with the confirmation)
        path("projects/<str:office>/import/", ProjectImportView.as_view(), name="project_import"),
        path(
            "projects/<str:office>/import/confirm/", ProjectImportConfirmView.as_view(), name="project_import_confirm"
        ),
        path(
            "projects/<str:office>/import/<str:token>/",
            ProjectImportPreviewView.as_view(),
            name="project_import_preview",
        ),
        # Last: "<issuer>/<year>/" would also match "items/1234/", "rounds/1234/" … of a four-digit id.
        path("<plan:plan>/", PlanDetailView.as_view(), name="plan_detail"),
    ]
