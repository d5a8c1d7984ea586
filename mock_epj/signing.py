"""The authorization server's signing key: id_tokens signed RS256 with PyJWT, the key published as a JWKS.

One RSA key per database, made the first time a token is signed or the JWKS is asked for (a
server that never logs anyone in through the authorization server makes none) and kept in the
settings table, so that every worker process signs with the same key and id_tokens stay
verifiable after a restart. RS256 because OpenID Connect Discovery requires it of every provider.
The key sits in the mock's database in plain text: a real EPJ keeps its keys in an HSM.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mock_epj.store import Store

ALGORITHM = "RS256"
_SETTING = "oauth_signing_key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SigningKey:
    """Signs JWTs with the database's key and publishes its public half."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._key: rsa.RSAPrivateKey | None = None
        self._jwk: dict[str, str] = {}

    def _load(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is not None:
                return self._key
            pem = self.store.get_setting(_SETTING)
            if pem is None:
                fresh = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                made = fresh.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()).decode()
                pem = self.store.queries.setting_once(_SETTING, made)  # another process may have won
            key = serialization.load_pem_private_key(pem.encode(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            numbers = key.public_key().public_numbers()
            n = _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))
            e = _b64(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big"))
            # RFC 7638 thumbprint as the key id: the required members, sorted, without spaces.
            thumbprint = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
            kid = _b64(hashlib.sha256(thumbprint.encode()).digest())
            self._jwk = {"kty": "RSA", "use": "sig", "alg": ALGORITHM, "kid": kid, "n": n, "e": e}
            self._key = key
            return key

    def jwks(self) -> dict[str, Any]:
        self._load()
        return {"keys": [dict(self._jwk)]}

    def sign(self, claims: dict[str, Any]) -> str:
        key = self._load()
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": self._jwk["kid"], "typ": "JWT"})
