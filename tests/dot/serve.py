"""Starts the Django OAuth Toolkit test provider on 127.0.0.1:PORT (tests/e2e-dot starts it).

    .tmp/dot-venv/bin/python tests/dot/serve.py --port 7300 --app-origin http://127.0.0.1:7400 \
        [--cors headers|builtin] [--access-token-seconds 3600] [--test-hooks]

Each start is a fresh provider: a new SQLite file in a temporary directory (removed at exit), a new
RS256 key, the migrations, the users alice and bob (password "pass-alice" / "pass-bob") and the public
client "spa-dot" (authorization code + PKCE S256, redirect URI APP_ORIGIN/callback, post-logout
redirect URI APP_ORIGIN/, allowed origin APP_ORIGIN). Prints "DOT ready ISSUER" once it serves.
"""

import argparse
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=7300)
    p.add_argument("--app-origin", default="http://127.0.0.1:7400")
    p.add_argument("--cors", choices=["headers", "builtin"], default="headers")
    p.add_argument("--access-token-seconds", type=int, default=3600)
    p.add_argument("--test-hooks", action="store_true")
    args = p.parse_args()

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

    tmp = tempfile.mkdtemp(prefix="dot-e2e-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="settings",
        DOT_PORT=str(args.port),
        DOT_APP_ORIGIN=args.app_origin,
        DOT_CORS=args.cors,
        DOT_DB=os.path.join(tmp, "db.sqlite3"),
        DOT_RSA_KEY=pem,
        DOT_ACCESS_TOKEN_SECONDS=str(args.access_token_seconds),
        DOT_TEST_HOOKS="1" if args.test_hooks else "0",
    )
    if args.cors == "builtin":
        # oauthlib only adds the token endpoint's CORS header for https origins.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    sys.path.insert(0, HERE)

    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)

        from django.contrib.auth import get_user_model
        from oauth2_provider.models import get_application_model

        User = get_user_model()
        for name, full in (("alice", "Alice Liddell"), ("bob", "Bob Builder")):
            first, last = full.split()
            User.objects.create_user(
                name, f"{name}@example.test", f"pass-{name}", first_name=first, last_name=last
            )
        Application = get_application_model()
        Application.objects.create(
            name="spa-oauth e2e",
            client_id="spa-dot",
            client_type=Application.CLIENT_PUBLIC,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=f"{args.app_origin}/callback",
            post_logout_redirect_uris=f"{args.app_origin}/",
            allowed_origins=args.app_origin,
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=False,
            client_secret="",
            hash_client_secret=False,
        )
        print(f"DOT ready http://127.0.0.1:{args.port}/o", flush=True)
        call_command("runserver", f"127.0.0.1:{args.port}", use_reloader=False, verbosity=0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
