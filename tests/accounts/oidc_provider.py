"""A small OpenID Connect provider for the tests: discovery, JWKS, authorize, token and userinfo.

It runs in a thread on a free local port, signs ID tokens with an RS256 key made when it starts,
and approves every authorization request at once for the person in `person` (change it between
sign-ins). Enough of the protocol for a relying party that uses the authorization code flow.
"""

import copy
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "voz-tests"
CLIENT_SECRET = "s3cret-for-tests"


class OidcProvider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)
        self.person = {
            "sub": "u-1",
            "email": "ana@voz.example",
            "email_verified": True,
            "name": "Ana Ruiz",
            "preferred_username": "ana",
            "groups": ["voz-agents"],
        }
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.requests: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                provider.requests.append(self.path)
                url = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.discovery())
                elif url.path == "/jwks":
                    self._json(provider.jwks())
                elif url.path == "/authorize":
                    self._authorize(query)
                elif url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    claims = provider.tokens.get(token)
                    self._json(claims, status=200) if claims else self._json({"error": "invalid_token"}, status=401)
                else:
                    self._json({"error": "not_found"}, status=404)

            def do_POST(self) -> None:
                provider.requests.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/token":
                    self._json({"error": "not_found"}, status=404)
                    return
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None:
                    self._json({"error": "invalid_grant"}, status=400)
                    return
                access_token = secrets.token_urlsafe(16)
                provider.tokens[access_token] = grant["claims"]
                self._json(
                    {
                        "access_token": access_token,
                        "token_type": "Bearer",
                        "expires_in": 3600,
                        "id_token": provider.id_token(grant["claims"], nonce=grant.get("nonce")),
                    }
                )

            def _authorize(self, query: dict) -> None:
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {"claims": dict(provider.person), "nonce": query.get("nonce")}
                target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()

            def _json(self, data, status: int = 200) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["sub", "email", "email_verified", "name", "groups"],
        }

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def id_token(self, claims: dict, *, nonce: str | None) -> str:
        now = int(time.time())
        payload = {**claims, "iss": self.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300}
        if nonce:
            payload["nonce"] = nonce
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})

    def __enter__(self) -> "OidcProvider":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def provider_settings(settings, provider: OidcProvider, role_groups: dict[str, str]) -> None:
    """Point Voz's single sign-on at the test provider (the same settings the environment sets)."""
    settings.OIDC_SERVER_URL = provider.url
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_ROLE_GROUPS = role_groups
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(provider.url)
    settings.CONTENT_SECURITY_POLICY = policy
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Acme SSO",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": provider.url, "scope": ["openid", "email", "profile"]},
                }
            ],
        }
    }
