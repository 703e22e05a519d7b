from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("join/<id:channel_id>", views.join_link, name="join-link"),
]
