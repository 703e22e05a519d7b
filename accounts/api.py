"""Accounts REST API: signup, JWT token and refresh, me."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import PasswordField, TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.lockout import API_LOCKOUT_DETAIL, signin_succeeded
from accounts.services import user_preferences_update, user_signup
from accounts.throttles import SignInThrottle, SignUpThrottle
from core.api.fields import StrictCharField


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    username = serializers.CharField()


class MeOutputSerializer(UserOutputSerializer):
    language = serializers.CharField()  # "en", "ko", or "" (Accept-Language decides)
    time_zone = serializers.CharField()  # an IANA name, or "" (the browser's)


class SignupApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [SignUpThrottle]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        username = StrictCharField(max_length=150)
        password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer}, auth=[])
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_signup(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class SignInSerializer(TokenObtainPairSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A password is what was typed: spaces are part of it (a blank-looking one is wrong, not invalid).
        self.fields["password"] = PasswordField(trim_whitespace=False)
        # Trimmed like any text; its pattern tells the document that only spaces are blank.
        self.fields[self.username_field] = StrictCharField(write_only=True)


class TokenOutputSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="The access JWT: `Authorization: Bearer <access>`.")
    refresh = serializers.CharField(help_text="The refresh JWT, for POST /api/auth/token/refresh.")


# simplejwt's serializers declare only what comes in; the document needs what goes out.
@extend_schema(responses={200: TokenOutputSerializer}, auth=[])
class TokenApi(TokenObtainPairView):
    """Exchange email and password for an access and a refresh JWT."""

    serializer_class = SignInSerializer
    throttle_classes = [SignInThrottle]
    authentication_classes = []

    def post(self, request, *args, **kwargs):
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            # django-axes refused before any password check: too many wrong ones (accounts.lockout).
            if getattr(request, "axes_locked_out", False):
                raise Throttled(
                    wait=settings.AXES_COOLOFF_TIME.total_seconds(), detail=str(API_LOCKOUT_DETAIL)
                ) from None
            raise
        # The pages reset the count through django's user_logged_in; a token is no session login.
        signin_succeeded(request)
        return response


@extend_schema(responses={200: TokenOutputSerializer}, auth=[])
class TokenRefreshApi(TokenRefreshView):
    """Exchange a refresh JWT for a new access JWT and a new refresh JWT (the old one stops working)."""

    authentication_classes = []

    class InputSerializer(TokenRefreshSerializer):
        refresh = StrictCharField()  # the OpenAPI document then says a blank token is no token

    serializer_class = InputSerializer


class MeApi(APIView):
    class InputSerializer(serializers.Serializer):
        language = serializers.ChoiceField(choices=["", "en", "ko"], required=False)
        time_zone = StrictCharField(max_length=64, required=False, allow_blank=True)  # an IANA name, or ""

    @extend_schema(responses={200: MeOutputSerializer})
    def get(self, request):
        return Response(MeOutputSerializer(request.user).data)

    @extend_schema(request=InputSerializer, responses={200: MeOutputSerializer})
    def patch(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_preferences_update(user=request.user, **serializer.validated_data)
        return Response(MeOutputSerializer(user).data)
