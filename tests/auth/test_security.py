"""fltr_auth.security against npm better-auth 1.7.25: round trips, malformed input, and vectors.

``vectors/better_auth_1_7_25.json`` was made by the real package (``vectors/generate.mjs``,
which also documents how to re-run it); its ``python_made`` section holds FLTR's output and
the verdicts better-auth gave on it. Node is not needed to run these tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import jwt
import pytest
from jwt.types import Options

from fltr_auth.security import cookies, ids, jwt_keys, passwords, symmetric
from fltr_auth.security._js import (
    decode_uri_component,
    encode_uri_component,
    js_length,
    json_stringify,
)

pytestmark = pytest.mark.core

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "better_auth_1_7_25.json").read_text(encoding="utf-8")
)
SECRET: str = VECTORS["secret"]
BASE_URL: str = VECTORS["base_url"]
BA_JWT: dict[str, Any] = VECTORS["jwt"]
BA_ROW: dict[str, Any] = BA_JWT["jwks_row"]
PY: dict[str, Any] = VECTORS["python_made"]
ID_RE = re.compile(r"[a-zA-Z0-9]{32}")
# Vector tokens were signed at generation time; only their signatures are under test here.
NO_TIME_CHECKS: Options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}


def test_vectors_come_from_better_auth_1_7_25() -> None:
    assert VECTORS["packages"]["better-auth"] == "1.7.25"
    assert VECTORS["packages"]["better-call"] == "1.4.5"


def test_python_output_was_verified_by_better_auth() -> None:
    verdict = PY["verified_by_better_auth"]
    assert verdict["better_auth"] == "1.7.25"
    assert verdict["all_passed"] is True
    assert verdict["checks"]
    assert all(value is True for value in verdict["checks"].values())


# --- ids ---------------------------------------------------------------------------------


def test_generate_id_matches_better_auth_shape() -> None:
    made = {ids.generate_id() for _ in range(200)}
    assert len(made) == 200
    assert all(ID_RE.fullmatch(value) for value in made)
    samples = [*VECTORS["ids"]["generate_id_samples"], VECTORS["ids"]["session_token"]]
    assert all(ID_RE.fullmatch(value) for value in samples)


def test_generate_token_length_and_alphabet() -> None:
    assert re.fullmatch(r"[a-zA-Z0-9]{32}", ids.generate_token())
    assert re.fullmatch(r"[a-zA-Z0-9]{7}", ids.generate_token(7))
    # Every character class shows up over enough draws (no truncated alphabet).
    pool = "".join(ids.generate_token(64) for _ in range(20))
    for chars in ("[a-z]", "[A-Z]", "[0-9]"):
        assert re.search(chars, pool), chars


@pytest.mark.parametrize("length", [0, -1])
def test_generate_token_rejects_non_positive_length(length: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        ids.generate_token(length)


# --- passwords ---------------------------------------------------------------------------


def test_better_auth_hash_verifies() -> None:
    password = VECTORS["password"]["password"]
    stored = VECTORS["password"]["hash"]
    assert passwords.verify_password(password, stored)
    assert not passwords.verify_password(password + " ", stored)


def test_hash_is_reproduced_exactly_from_better_auths_salt() -> None:
    stored = VECTORS["password"]["hash"]
    salt = stored.split(":")[0]
    # The scrypt salt is the 32-char hex string itself, not the bytes it spells.
    assert passwords._hash_with_salt(VECTORS["password"]["password"], salt) == stored


def test_nfkc_normalisation_matches_better_auth() -> None:
    vector = VECTORS["password"]
    assert vector["nfkc_password_as_hashed"] != vector["nfkc_password_composed"]
    assert passwords.verify_password(vector["nfkc_password_composed"], vector["nfkc_hash"])
    assert passwords.verify_password(vector["nfkc_password_as_hashed"], vector["nfkc_hash"])


def test_python_hash_round_trip_and_format() -> None:
    stored = passwords.hash_password("s3cret pässword")
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]{128}", stored)
    assert passwords.verify_password("s3cret pässword", stored)
    assert not passwords.verify_password("s3cret password", stored)
    assert passwords.hash_password("same") != passwords.hash_password("same")  # fresh salt


def test_python_made_hash_is_what_better_auth_accepted() -> None:
    assert PY["verified_by_better_auth"]["checks"]["password_hash"] is True
    assert PY["verified_by_better_auth"]["checks"]["sign_in_with_python_hash"] is True
    assert passwords.verify_password(PY["password"]["password"], PY["password"]["hash"])


@pytest.mark.parametrize(
    "stored",
    [
        "",
        ":",
        "no-colon-at-all",
        "abcdef:",
        ":" + "0" * 128,
        "0" * 32 + ":" + "z" * 128,
        "0" * 32 + ":" + "0" * 128,
        "0" * 32 + ":é",
    ],
)
def test_malformed_or_wrong_hashes_are_false(stored: str) -> None:
    assert passwords.verify_password("whatever password", stored) is False


def test_non_string_inputs_are_false() -> None:
    stored = VECTORS["password"]["hash"]
    assert passwords.verify_password(VECTORS["password"]["password"], None) is False  # type: ignore[arg-type]
    assert passwords.verify_password(None, stored) is False  # type: ignore[arg-type]


def test_password_length_counts_like_javascript() -> None:
    assert passwords.MIN_PASSWORD_LENGTH == 8
    assert passwords.MAX_PASSWORD_LENGTH == 128
    assert passwords.password_length("abcdefgh") == 8
    assert passwords.password_length("\U0001f642" * 4) == 8  # 4 emoji = 8 UTF-16 units
    assert js_length("é") == 1


async def test_async_variants() -> None:
    stored = await passwords.hash_password_async("async password")
    assert await passwords.verify_password_async("async password", stored)
    assert not await passwords.verify_password_async("other password", stored)
    assert await passwords.verify_password_async(
        VECTORS["password"]["password"], VECTORS["password"]["hash"]
    )


# --- cookies -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["cookie"]["cases"], ids=lambda case: case["value"])
def test_cookie_signing_matches_better_call(case: dict[str, str]) -> None:
    signed = cookies.sign_cookie_value(case["value"], case["secret"])
    assert signed == case["signed"]
    assert cookies.encode_cookie_value(signed) == case["encoded"]
    assert cookies.decode_cookie_value(case["encoded"]) == case["parsed_back"]
    assert cookies.verify_signed_value(case["encoded"], case["secret"]) == case["value"]
    assert cookies.verify_signed_value(case["signed"], case["secret"]) == case["value"]


def test_session_cookie_from_better_auth_sign_up() -> None:
    vector = VECTORS["cookie"]
    name, _, rest = vector["session_cookie_set_cookie"].partition("=")
    assert name == cookies.SESSION_COOKIE
    raw = rest.split(";")[0]
    assert raw == vector["session_cookie_encoded"]
    assert cookies.verify_signed_value(raw, SECRET) == vector["session_token"]
    assert "Max-Age=604800" in vector["session_cookie_set_cookie"]
    assert len(vector["session_cookie_signed"].rsplit(".", 1)[1]) == cookies.SIGNATURE_LENGTH
    assert (
        cookies.encode_cookie_value(cookies.sign_cookie_value(vector["session_token"], SECRET))
        == (vector["session_cookie_encoded"])
    )


def test_dont_remember_cookie_from_better_auth_sign_in() -> None:
    set_cookies = VECTORS["cookie"]["dont_remember_sign_in_set_cookies"]
    line = set_cookies[cookies.DONT_REMEMBER_COOKIE]
    raw = line.split(";")[0].partition("=")[2]
    assert cookies.verify_signed_value(raw, SECRET) == cookies.DONT_REMEMBER_VALUE
    # Without "remember me" the session cookie is a browser-session cookie.
    assert "Max-Age" not in set_cookies[cookies.SESSION_COOKIE]


def test_cookie_names() -> None:
    plain = cookies.cookie_names(secure=False)
    assert plain.session_token == "better-auth.session_token" == cookies.SESSION_COOKIE
    assert plain.session_data == "better-auth.session_data" == cookies.SESSION_DATA_COOKIE
    assert plain.dont_remember == "better-auth.dont_remember" == cookies.DONT_REMEMBER_COOKIE
    assert plain.account_data == "better-auth.account_data" == cookies.ACCOUNT_DATA_COOKIE
    secure = cookies.cookie_names(secure=True)
    assert secure.session_token == "__Secure-better-auth.session_token"
    assert secure.dont_remember.startswith(cookies.SECURE_PREFIX)
    assert cookies.cookie_names(True, prefix="fltr").session_data == "__Secure-fltr.session_data"


def test_python_signed_cookie_was_accepted_by_better_auth() -> None:
    checks = PY["verified_by_better_auth"]["checks"]
    assert checks["session_cookie_accepted"]
    assert checks["bearer_signed_value_accepted"]
    assert checks["tampered_cookie_rejected"]
    vector = PY["cookie"]
    assert cookies.verify_signed_value(vector["encoded"], SECRET) == vector["session_token"]
    assert cookies.verify_signed_value(vector["tampered_encoded"], SECRET) is None


def _signed(value: str = "token123") -> str:
    return cookies.sign_cookie_value(value, SECRET)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "no-signature-here",
        "." + _signed().split(".")[1],  # empty signed part
        _signed() + "x",  # 45-char signature
        _signed()[:-1],  # no padding
        _signed()[:-2] + "==",  # right length, decodes to 31 bytes
        _signed()[:-5] + "!!!!=",  # not base64
        _signed()[:-5] + "éééé=",  # not ASCII
        _signed("token123").replace("token123", "token124"),  # value swapped
        "token123.%ZZ" + "A" * 40 + "=",  # undecodable escape, kept raw, then fails
    ],
)
def test_bad_signed_values_are_none(raw: str) -> None:
    assert cookies.verify_signed_value(raw, SECRET) is None


def test_wrong_secret_is_none_and_quotes_are_stripped() -> None:
    signed = _signed()
    assert cookies.verify_signed_value(signed, SECRET + "x") is None
    assert cookies.verify_signed_value(f'"{signed}"', SECRET) == "token123"
    assert cookies.verify_signed_value(f' "{cookies.encode_cookie_value(signed)}" ', SECRET) == (
        "token123"
    )
    assert cookies.verify_signed_value(None, SECRET) is None  # type: ignore[arg-type]


def test_value_with_dots_splits_at_last_dot() -> None:
    signed = cookies.sign_cookie_value("a.b.c", SECRET)
    assert cookies.verify_signed_value(signed, SECRET) == "a.b.c"


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        cookies.sign_cookie_value("x", "")
    with pytest.raises(ValueError, match="secret"):
        cookies.verify_signed_value(_signed(), "")


# --- JavaScript semantics ----------------------------------------------------------------


def test_uri_component_helpers_follow_javascript() -> None:
    assert encode_uri_component("a b+/=é~!*'()") == "a%20b%2B%2F%3D%C3%A9~!*'()"
    assert decode_uri_component("a%20b%2B%C3%A9") == "a b+é"
    for bad in ["%", "%2", "%ZZ"]:
        with pytest.raises(ValueError, match="percent-escape"):
            decode_uri_component(bad)
    for bad in ["%C3", "%C3a", "%ED%A0%80"]:  # not UTF-8 (a lone surrogate, last)
        with pytest.raises(ValueError, match="can't decode"):
            decode_uri_component(bad)
    with pytest.raises(ValueError, match="can't encode"):
        encode_uri_component("\ud800")


def test_json_stringify_follows_javascript() -> None:
    # Expected strings are what Node 20's JSON.stringify prints for the same values.
    assert json_stringify([0.1 + 0.2, 1e21, 1e20, 1e-7, 1.5e-6, -0.0, 100.0]) == (
        "[0.30000000000000004,1e+21,100000000000000000000,1e-7,0.0000015,0,100]"
    )
    assert json_stringify(float("nan")) == "null"
    assert json_stringify({"b": 1, "2": 2, "10": 3, "1": 4, "01": 5}) == (
        '{"1":4,"2":2,"10":3,"b":1,"01":5}'
    )
    assert json_stringify("é\u2028\x01\ud800😀") == '"é\u2028\\u0001\\ud800😀"'
    assert json_stringify(dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)) == (
        '"2026-01-02T03:04:05.678Z"'
    )
    with pytest.raises(TypeError):
        json_stringify({1: "int key"})
    with pytest.raises(TypeError):
        json_stringify(object())


# --- symmetric encryption ----------------------------------------------------------------


@pytest.mark.parametrize(
    "case", VECTORS["symmetric"]["cases"], ids=lambda case: str(len(case["data"]))
)
def test_better_auth_ciphertexts_decrypt(case: dict[str, str]) -> None:
    assert (
        symmetric.symmetric_decrypt(case["key"], case["ciphertext"])
        == (case["better_auth_decrypts_to"])
    )


@pytest.mark.parametrize(
    "case", VECTORS["symmetric"]["cases"], ids=lambda case: str(len(case["data"]))
)
def test_encryption_is_reproduced_exactly_given_the_nonce(case: dict[str, str]) -> None:
    nonce = bytes.fromhex(case["ciphertext"][: 2 * symmetric.NONCE_BYTES])
    made = symmetric._encrypt_with_nonce(case["key"], case["data"], nonce)
    assert made == case["ciphertext"]


def test_leading_bom_is_dropped_like_textdecoder() -> None:
    case = next(c for c in VECTORS["symmetric"]["cases"] if c["data"].startswith("\ufeff"))
    assert case["better_auth_decrypts_to"] == case["data"][1:]


def test_symmetric_round_trip() -> None:
    for data in ["", "x", "ünïcødé \U0001f642", "a" * 10_000]:
        ciphertext = symmetric.symmetric_encrypt("some secret", data)
        assert re.fullmatch(r"[0-9a-f]+", ciphertext)
        assert len(ciphertext) == 2 * (24 + len(data.encode()) + 16)
        assert symmetric.symmetric_decrypt("some secret", ciphertext) == data
    assert symmetric.symmetric_encrypt("k", "same") != symmetric.symmetric_encrypt("k", "same")


def test_python_ciphertext_was_decrypted_by_better_auth() -> None:
    assert PY["verified_by_better_auth"]["checks"]["symmetric_decrypt"] is True
    vector = PY["symmetric"]
    assert symmetric.symmetric_decrypt(vector["key"], vector["ciphertext"]) == vector["data"]


def test_rotating_secrets_envelope() -> None:
    vector = VECTORS["symmetric"]["versioned"]
    config = symmetric.SecretConfig(
        keys={int(version): value for version, value in vector["secrets"].items()},
        current_version=vector["current_version"],
        legacy_secret=vector["legacy_secret"],
    )
    assert vector["ciphertext"].startswith("$ba$2$")
    assert symmetric.symmetric_decrypt(config, vector["ciphertext"]) == vector["data"]
    assert (
        symmetric.symmetric_decrypt(config, vector["legacy_ciphertext"]) == (vector["legacy_data"])
    )
    made = symmetric.symmetric_encrypt(config, "new")
    assert made.startswith("$ba$2$")
    assert symmetric.symmetric_decrypt(config, made) == "new"
    retired = symmetric.SecretConfig(keys={1: "only-v1"}, current_version=1)
    with pytest.raises(ValueError, match="version 2"):
        symmetric.symmetric_decrypt(retired, vector["ciphertext"])
    with pytest.raises(ValueError, match="legacy"):
        symmetric.symmetric_decrypt(retired, vector["legacy_ciphertext"])
    with pytest.raises(ValueError, match="version 3"):
        symmetric.symmetric_encrypt(symmetric.SecretConfig({1: "x"}, 3), "data")


@pytest.mark.parametrize(
    ("ciphertext", "message"),
    [
        ("", "too short"),
        ("abc", "hex"),  # odd length
        ("zz" * 40, "hex"),
        ("00 11" * 20, "hex"),  # spaces (bytes.fromhex would take them)
        ("00" * 39, "too short"),  # shorter than nonce + tag
        ("$ba$1$" + "00" * 40, "hex"),  # an envelope needs a SecretConfig key
    ],
)
def test_malformed_ciphertexts_raise_value_error(ciphertext: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        symmetric.symmetric_decrypt(SECRET, ciphertext)


def test_tampered_or_wrong_key_raises_value_error() -> None:
    case = VECTORS["symmetric"]["cases"][0]
    with pytest.raises(ValueError, match="decrypt"):
        symmetric.symmetric_decrypt(SECRET + "x", case["ciphertext"])
    tampered = case["ciphertext"][:-2] + ("00" if case["ciphertext"][-2:] != "00" else "11")
    with pytest.raises(ValueError, match="decrypt"):
        symmetric.symmetric_decrypt(SECRET, tampered)
    with pytest.raises(ValueError, match="secret"):
        symmetric.symmetric_encrypt("", "data")
    with pytest.raises(ValueError, match="hex"):
        symmetric.symmetric_decrypt(SECRET, None)  # type: ignore[arg-type]


# --- JWT plugin ----------------------------------------------------------------------------


def _public_part(private: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in private.items() if k not in {"d", "p", "q", "dp", "dq", "qi"}}


def test_better_auth_private_key_decrypts() -> None:
    private = jwt_keys.decrypt_private_key(BA_ROW["private_key"], SECRET)
    assert json_stringify(private) == BA_JWT["private_jwk_json"]
    assert list(private) == ["crv", "d", "x", "kty"]
    # The stored column is a JSON *string* of hex, quotes included.
    assert isinstance(json.loads(BA_ROW["private_key"]), str)
    assert jwt_keys.serialize_public_key(_public_part(private)) == BA_ROW["public_key"]
    assert (BA_ROW["alg"], BA_ROW["crv"], BA_ROW["expires_at"]) == ("EdDSA", "Ed25519", None)


def test_better_auth_jwt_verifies_with_pyjwt() -> None:
    assert BA_JWT["header"] == {"alg": "EdDSA", "kid": BA_ROW["id"]}  # no "typ"
    key_set = jwt.PyJWKSet.from_dict(BA_JWT["jwks_response"])
    key = key_set[BA_JWT["header"]["kid"]]
    claims = jwt.decode(
        BA_JWT["token"],
        key.key,
        algorithms=["EdDSA"],
        audience=BASE_URL,
        issuer=BASE_URL,
        options=NO_TIME_CHECKS,
    )
    assert claims == BA_JWT["payload"]
    assert claims["sub"] == VECTORS["ids"]["user_id"]
    assert claims["exp"] - claims["iat"] == jwt_keys.JWT_EXPIRATION_SECONDS


def test_python_reproduces_better_auth_jwt_byte_for_byte() -> None:
    private = jwt_keys.decrypt_private_key(BA_ROW["private_key"], SECRET)
    payload = BA_JWT["payload"]
    assert jwt_keys.sign_jwt(private, BA_ROW["id"], payload) == BA_JWT["token"]
    # And from the session user itself, with Python datetimes, via jwt_claims.
    user = {k: v for k, v in payload.items() if k not in {"iat", "sub", "exp", "iss", "aud"}}
    for name in ("createdAt", "updatedAt"):
        user[name] = dt.datetime.fromisoformat(user[name].replace("Z", "+00:00"))
    claims = jwt_keys.jwt_claims(user, issuer=BASE_URL, audience=BASE_URL, issued_at=payload["iat"])
    assert jwt_keys.sign_jwt(private, BA_ROW["id"], claims) == BA_JWT["token"]


def test_public_jwks_matches_better_auth_response() -> None:
    body = jwt_keys.public_jwks([BA_ROW])
    assert body == BA_JWT["jwks_response"]
    assert json_stringify(body) == json.dumps(BA_JWT["jwks_response"], separators=(",", ":"))
    camel = {"id": BA_ROW["id"], "publicKey": BA_ROW["public_key"], "alg": None, "crv": None}
    # Rows written before the alg/crv columns existed fall back to the defaults.
    assert json_stringify(jwt_keys.public_jwks([camel])) == json_stringify(body)


def test_public_jwks_grace_period() -> None:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    row, _ = jwt_keys.new_jwks_row(SECRET, now=now - dt.timedelta(days=60), rotation_interval=1)
    assert jwt_keys.public_jwks([row], now=now) == {"keys": []}
    recent = dt.datetime(2029, 12, 15)  # naive: read as UTC
    kept = jwt_keys.JwksRow(
        id="k", public_key=row.public_key, private_key="", created_at=recent, expires_at=recent
    )
    assert [key["kid"] for key in jwt_keys.public_jwks([kept, row], now=now)["keys"]] == ["k"]


@pytest.mark.parametrize("vector", BA_JWT["other_algs"], ids=lambda vector: vector["alg"])
def test_other_algorithms_match_better_auth(vector: dict[str, Any]) -> None:
    alg = vector["alg"]
    key = jwt.PyJWK(vector["public_jwk"], algorithm=alg)
    claims = jwt.decode(vector["token"], key.key, algorithms=[alg], audience=BASE_URL)
    assert claims["sub"] == "user-123"
    public, private = jwt_keys.generate_key_pair(alg)
    assert list(public) == list(vector["public_jwk"])
    assert list(private) == list(vector["private_jwk"])
    for member, value in private.items():
        expected = len(vector["private_jwk"][member])
        if member in ("kty", "crv", "x", "y", "n", "e"):
            assert len(value) == expected, member  # fixed-size members
        else:
            # RSA's private integers are written without leading zeros: their length varies
            # by a character or two from key to key (a 1-in-100 flake when compared exactly).
            assert abs(len(value) - expected) <= 4, member
    assert jwt_keys.serialize_public_key(vector["public_jwk"]) == vector["public_key"]
    resigned = jwt_keys.sign_jwt(vector["private_jwk"], vector["kid"], claims, alg)
    jwt.decode(resigned, key.key, algorithms=[alg], audience=BASE_URL)
    if alg == "RS256":  # deterministic, so the bytes must agree too
        assert resigned == vector["token"]


@pytest.mark.parametrize("alg", jwt_keys.SUPPORTED_ALGS)
def test_generated_keys_sign_tokens_pyjwt_verifies(alg: str) -> None:
    row, private = jwt_keys.new_jwks_row(SECRET, alg)
    assert ID_RE.fullmatch(row.id)
    assert jwt_keys.decrypt_private_key(row.private_key, SECRET) == private
    assert row.crv == {"EdDSA": "Ed25519", "ES256": "P-256", "ES512": "P-521"}.get(alg)
    token = jwt_keys.sign_jwt(private, row.id, {"sub": "u1"}, alg)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": alg, "kid": row.id}
    key_set = jwt.PyJWKSet.from_dict(jwt_keys.public_jwks([row]))
    assert jwt.decode(token, key_set[row.id].key, algorithms=[alg]) == {"sub": "u1"}


def test_python_jwks_row_and_jwts_were_accepted_by_better_auth() -> None:
    checks = PY["verified_by_better_auth"]["checks"]
    for name in [
        "jwks_lists_python_key",
        "jwks_response_equals_python",
        "better_auth_signed_with_python_key",
        "python_jwt_verified",
        "python_jwt_with_better_auth_key_verified",
    ]:
        assert checks[name] is True, name
    row = PY["jwks_row"]
    private = jwt_keys.decrypt_private_key(row["private_key"], SECRET)
    token = jwt_keys.sign_jwt(private, row["id"], PY["jwt"]["payload"])
    assert token == PY["jwt"]["token"]
    assert jwt_keys.public_jwks([row]) == PY["jwks_response"]
    key = jwt.PyJWKSet.from_dict(PY["jwks_response"])[row["id"]]
    jwt.decode(token, key.key, algorithms=["EdDSA"], audience=BASE_URL, issuer=BASE_URL)


def test_unencrypted_private_key_mode() -> None:
    public, private = jwt_keys.generate_key_pair()
    stored = jwt_keys.encrypt_private_key(private, SECRET, encrypt=False)
    assert stored == json_stringify(private)
    assert jwt_keys.decrypt_private_key(stored, SECRET, encrypted=False) == private
    assert list(public) == ["crv", "x", "kty"]


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        ("not json", "JSON"),
        ('{"crv":"Ed25519"}', "JSON string"),
        (json.dumps("zz"), "hex"),
        (json.dumps(symmetric.symmetric_encrypt(SECRET, "not json")), "JSON"),
        (json.dumps(symmetric.symmetric_encrypt(SECRET, "[1]")), "JWK object"),
    ],
)
def test_decrypt_private_key_errors(stored: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        jwt_keys.decrypt_private_key(stored, SECRET)


def test_decrypt_private_key_with_wrong_secret() -> None:
    with pytest.raises(ValueError, match="decrypt"):
        jwt_keys.decrypt_private_key(BA_ROW["private_key"], SECRET + "x")


def test_sign_jwt_rejects_bad_algorithms_and_keys() -> None:
    _, ed_private = jwt_keys.generate_key_pair("EdDSA")
    with pytest.raises(ValueError, match="unsupported"):
        jwt_keys.sign_jwt(ed_private, "kid", {}, "HS256")
    with pytest.raises(ValueError, match="unsupported"):
        jwt_keys.generate_key_pair("none")
    with pytest.raises(ValueError, match="EC"):
        jwt_keys.sign_jwt(ed_private, "kid", {}, "ES256")
    with pytest.raises(ValueError, match="RSA"):
        jwt_keys.sign_jwt(ed_private, "kid", {}, "RS256")
    with pytest.raises(ValueError, match="missing"):
        jwt_keys.sign_jwt({"kty": "OKP", "crv": "Ed25519"}, "kid", {})
    with pytest.raises(ValueError, match="base64url"):
        jwt_keys.sign_jwt({"kty": "OKP", "crv": "Ed25519", "d": "a+b/"}, "kid", {})


def test_extra_header_members_come_first_like_jose() -> None:
    _, private = jwt_keys.generate_key_pair()
    token = jwt_keys.sign_jwt(private, "k1", {"a": 1}, header={"typ": "JWT", "alg": "x"})
    raw = base64.urlsafe_b64decode(token.split(".")[0] + "==")
    assert raw == b'{"typ":"JWT","alg":"EdDSA","kid":"k1"}'
