"""URLs of the DOT test provider: DOT under /o/, Django's login view, and (DOT_TEST_HOOKS=1) a test hook."""

import os
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.views import LoginView
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def age_login(request):
    """POST /test/age-login?user=alice&seconds=N: the user's last login N seconds ago (what DOT
    reports as auth_time) - the state of a user who logged in N seconds ago."""
    user = get_user_model().objects.get(username=request.GET["user"])
    user.last_login = timezone.now() - timedelta(seconds=int(request.GET["seconds"]))
    user.save(update_fields=["last_login"])
    return JsonResponse({"last_login": int(user.last_login.timestamp())})


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("health", lambda request: HttpResponse("ok")),
]
if os.environ.get("DOT_TEST_HOOKS") == "1":
    urlpatterns.append(path("test/age-login", age_login))
