from django.urls import path

from people import api

urlpatterns = [
    path("people/", api.PeopleListView.as_view(), name="api-people"),
    path("people/invitations/", api.InvitationListView.as_view(), name="api-invitations"),
    path(
        "people/invitations/<int:id>/revoke/",
        api.InvitationRevokeView.as_view(),
        name="api-invitation-revoke",
    ),
]
