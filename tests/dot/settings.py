"""Django settings of the Django OAuth Toolkit test provider (tests/dot/serve.py starts it).

Configured as an SDK user would configure DOT for a browser SPA: OIDC with RS256 (a key made at
start-up), a public client with PKCE S256, refresh-token rotation, RP-initiated logout, the RFC 9207
`iss` authorization-response parameter, CORS for the app origin. Environment (set by serve.py):
  DOT_PORT          the port (issuer http://127.0.0.1:PORT/o)
  DOT_APP_ORIGIN    the SPA origin allowed by CORS
  DOT_CORS          "headers" (default): django-cors-headers on every endpoint, error responses
                    included; "builtin": DOT's own Application.allowed_origins on the token endpoint
                    (oauthlib adds the header to successful token responses only) and
                    django-cors-headers on every other endpoint
  DOT_DB            the SQLite file
  DOT_RSA_KEY       the PEM private key
  DOT_ACCESS_TOKEN_SECONDS  access-token lifetime (default 3600)
"""

import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
PORT = int(os.environ.get("DOT_PORT", "7300"))
ISSUER = f"http://127.0.0.1:{PORT}/o"
APP_ORIGIN = os.environ.get("DOT_APP_ORIGIN", "http://127.0.0.1:7400")
CORS_MODE = os.environ.get("DOT_CORS", "headers")

SECRET_KEY = "dot-e2e-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "urls"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "corsheaders",
    "oauth2_provider",
]
MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(BASE_DIR, "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DOT_DB", os.path.join(BASE_DIR, "dot.sqlite3")),
    }
}
# Fast test passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/accounts/login/"
# The provider's own cookies stay first-party on 127.0.0.1 (ports do not separate cookies, so
# give them names of their own: the app origin shares the host).
SESSION_COOKIE_NAME = f"dot_session_{PORT}"
CSRF_COOKIE_NAME = f"dot_csrftoken_{PORT}"

# CORS (django-cors-headers): the SPA origin only, never credentials.
CORS_ALLOWED_ORIGINS = [APP_ORIGIN]
CORS_ALLOW_CREDENTIALS = False
if CORS_MODE == "builtin":
    # Everything but the token endpoint: that one is left to DOT's Application.allowed_origins.
    CORS_URLS_REGEX = r"^/o/(?!token/).*$"
    # oauthlib adds the token endpoint's CORS header for https origins only; the test origin is
    # http://127.0.0.1 (serve.py sets OAUTHLIB_INSECURE_TRANSPORT=1 in this mode).

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": ISSUER,
    "OIDC_RSA_PRIVATE_KEY": os.environ.get("DOT_RSA_KEY", ""),
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": True,
    # True would refuse an http post_logout_redirect_uri for a public client ("http is only
    # allowed with confidential clients"): the test origin is http://127.0.0.1. Keep True in
    # production (https origins).
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": False,
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": False,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("DOT_ACCESS_TOKEN_SECONDS", "3600")),
    "SCOPES": {"openid": "OpenID Connect", "profile": "Profile", "email": "Email"},
    "DEFAULT_SCOPES": ["openid"],
    "OAUTH2_VALIDATOR_CLASS": "validators.ClaimsValidator",
}
if CORS_MODE == "builtin":
    # Application.allowed_origins accepts https origins only by default.
    OAUTH2_PROVIDER["ALLOWED_SCHEMES"] = ["https", "http"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
