from django.urls import path

from .views import MessageListView, MessageOpenView

app_name = "notifications"
urlpatterns = [
    path("", MessageListView.as_view(), name="list"),
    path("<int:pk>/", MessageOpenView.as_view(), name="open"),
]
