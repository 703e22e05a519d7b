from django.urls import path

from accounts import views

urlpatterns = [
    path("signup/", views.signup_page, name="signup"),
    path("signin/", views.signin_page, name="signin"),
    path("signout/", views.signout, name="signout"),
]
