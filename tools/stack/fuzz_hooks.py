"""schemathesis hooks for the fuzz stage of `npm test` (loaded through SCHEMATHESIS_HOOKS)."""

from hypothesis.internal import lambda_sources

# CPython 3.11.7's ast.parse can raise "SystemError: AST constructor recursion depth mismatch" when
# called deep in a stack (fixed in later CPython releases); hypothesis calls it only to describe a
# filter lambda in a strategy's repr. A plain description keeps the run going.
_describe_lambda = lambda_sources.lambda_description


def _describe_lambda_safely(function):
    try:
        return _describe_lambda(function)
    except SystemError:
        return "lambda"


lambda_sources.lambda_description = _describe_lambda_safely


# Store webhooks are signed (Standard Webhooks). When a generated request carries all three
# signature headers in their documented shape, it is signed for real just before it is sent (over
# the exact body bytes), so the fuzzer reaches the body's validation and the recording of orders.
# Requests whose headers are missing or malformed go out as generated and must be refused (401).
import base64
import hashlib
import hmac
import os
import re
import time
import unicodedata

import requests
import schemathesis

WEBHOOK_PATH = "/v1/webhooks/store"
SIGN_MARKER = "x-fuzz-sign-webhook"
SECRETS = [
    base64.b64decode(secret.strip().removeprefix("whsec_"))
    for secret in os.environ.get("FUZZ_STORE_WEBHOOK_SECRET", "").split(",")
    if secret.strip()
]
ID = re.compile(r"^[\x21-\x7e]{1,255}$")
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
SIGNATURE = re.compile(r"^v1,[A-Za-z0-9+/]{43}=( v1,[A-Za-z0-9+/]{43}=)*$")


# Licence keys end in a checksum (libs/licensing/src/license-key.ts) that no schema can state: the
# document gives their shape, and a generated key of that shape gets its true checksum here, so it
# is a key the LTS looks up (404 when unknown) rather than a typo it refuses (400). Keys of another
# shape go out as generated and must be refused.
KEY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY_SHAPE = re.compile(r"^(OTL1(?:-[0-9A-HJKMNP-TV-Z]{5}){6})-[0-9A-HJKMNP-TV-Z]{4}$")


def _with_true_checksum(key):
    match = KEY_SHAPE.match(key) if isinstance(key, str) else None
    if not match:
        return key
    bits = int.from_bytes(hashlib.sha256(match.group(1).encode()).digest()[:3], "big")
    checksum = ""
    for _ in range(4):
        checksum = KEY_ALPHABET[bits & 31] + checksum
        bits >>= 5
    return f"{match.group(1)}-{checksum}"


def _fix_licence_keys(case):
    if isinstance(case.body, dict) and "licenseKey" in case.body:
        case.body = {**case.body, "licenseKey": _with_true_checksum(case.body["licenseKey"])}
    if case.path_parameters and "licenseKey" in case.path_parameters:
        case.path_parameters = {
            **case.path_parameters,
            "licenseKey": _with_true_checksum(case.path_parameters["licenseKey"]),
        }


@schemathesis.hook
def before_call(context, case, kwargs):
    _fix_licence_keys(case)
    if not SECRETS or case.operation.path != WEBHOOK_PATH or case.method.upper() != "POST":
        return
    headers = case.headers or {}
    shaped = (
        isinstance(headers.get("webhook-id"), str)
        and ID.match(headers["webhook-id"])
        and isinstance(headers.get("webhook-timestamp"), str)
        and TIMESTAMP.match(headers["webhook-timestamp"])
        and isinstance(headers.get("webhook-signature"), str)
        and SIGNATURE.match(headers["webhook-signature"])
    )
    if shaped:
        case.headers = {**headers, SIGN_MARKER: "1"}


_send = requests.Session.send


def _send_signed(self, request, **kwargs):
    # A check may re-send a marked case with a header taken away (missing_required_header): such a
    # request goes out as it is, unsigned, and must be refused. So only a request that still has all
    # three signature headers is signed.
    marked = request.headers.pop(SIGN_MARKER, None) is not None
    complete = all(name in request.headers for name in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if marked and complete:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        timestamp = str(int(time.time()))
        signed = f"{request.headers['webhook-id']}.{timestamp}.".encode() + body
        digest = hmac.new(SECRETS[0], signed, hashlib.sha256).digest()
        request.headers["webhook-timestamp"] = timestamp
        request.headers["webhook-signature"] = "v1," + base64.b64encode(digest).decode()
    return _send(self, request, **kwargs)


requests.Session.send = _send_signed


def _any_string(value, test):
    if isinstance(value, str):
        return test(value)
    if isinstance(value, list):
        return any(_any_string(item, test) for item in value)
    if isinstance(value, dict):
        return any(test(key) or _any_string(item, test) for key, item in value.items())
    return False


def _has_nul(value):
    return _any_string(value, lambda text: "\x00" in text)


FORBIDDEN_KEYS = {"__proto__", "constructor", "prototype"}


def _has_forbidden_key(value):
    if isinstance(value, list):
        return any(_has_forbidden_key(item) for item in value)
    if isinstance(value, dict):
        return any(key in FORBIDDEN_KEYS or _has_forbidden_key(item) for key, item in value.items())
    return False


def _has_astral_format_character(value):
    return _any_string(
        value, lambda text: any(ord(ch) > 0xFFFF and unicodedata.category(ch) == "Cf" for ch in text)
    )


# The document says no string or key of a delivery may hold U+0000 (Postgres cannot store it), but
# schemathesis 4.32.5 does not always honour `propertyNames` when it generates object keys, and then
# calls the 400 for a NUL key (or a `__proto__` key, which the document also refuses) a rejected
# valid body. Such bodies are left out of the webhook's cases.
@schemathesis.hook
def filter_body(context, body):
    operation = context.operation
    if operation is None:
        return True
    # Plain-text fields refuse format characters (Unicode Cf). Their documented pattern can name
    # only those of the Basic Multilingual Plane (a JSON Schema pattern has no `u` flag), so a body
    # holding one of the few astral ones (U+110BD, U+1D173..., U+E0001...) is not generated.
    if _has_astral_format_character(body):
        return False
    return operation.path != WEBHOOK_PATH or not (_has_nul(body) or _has_forbidden_key(body))
