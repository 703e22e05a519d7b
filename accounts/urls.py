from django.urls import path

from accounts import api

urlpatterns = [
    path("signup", api.SignupApi.as_view(), name="api-signup"),
    path("token", api.TokenApi.as_view(), name="api-token"),
    path("token/refresh", api.TokenRefreshApi.as_view(), name="api-token-refresh"),
    path("me", api.MeApi.as_view(), name="api-me"),
]
