from django.urls import path

from outcomes.api import scorecard

urlpatterns = [
    path("scorecard/", scorecard.ScorecardView.as_view(), name="api-scorecard"),
]
