from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("webhooks/", include("diarization_portal.sync.urls")),
    path("", include("diarization_portal.api.urls")),
    path("", include("diarization_portal.dashboard.urls")),
]

# Error pages in the portal's layout, JSON under /api/ (diarization_portal.errors). While DEBUG
# is on, Django shows its debug pages for 404 and 500 instead.
handler400 = "diarization_portal.errors.bad_request"
handler403 = "diarization_portal.errors.permission_denied"
handler404 = "diarization_portal.errors.page_not_found"
handler500 = "diarization_portal.errors.server_error"
