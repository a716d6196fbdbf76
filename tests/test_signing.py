"""The signatures reproduce the documented test vectors (docs/ims-api.md §6.3, §7.3, §7.4)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from imsd.signing import (
    callback_signature,
    parse_v3_authorization,
    percent_encode,
    rpc_signature,
    v3_headers,
    verify_callback_signature,
    verify_v3,
)

TIMELINE = (
    '{"VideoTracks":[{"VideoTrackClips":[{"MediaURL":"https://b.oss-cn-shanghai.aliyuncs.com/a.mp4","In":0,"Out":3}]}]}'
)
OUTPUT = '{"MediaURL":"https://b.oss-cn-shanghai.aliyuncs.com/out.mp4","Width":1280,"Height":720}'
QUERY = {"ClientToken": "tok-0001", "OutputMediaConfig": OUTPUT}
BODY = urlencode({"Timeline": TIMELINE}).encode()

CB_URL = "https://example.com/ims/cb"
CB_TS = "1700000000"
CB_KEY = "Abc123Key"
CB_SIGNATURE = "7f47893037ab4c58a6204cd88acf2290"


def vector_headers(**overrides: object) -> dict[str, str]:
    args: dict[str, object] = {
        "method": "POST",
        "host": "ice.cn-shanghai.aliyuncs.com",
        "action": "SubmitMediaProducingJob",
        "query": QUERY,
        "body": BODY,
        "content_type": "application/x-www-form-urlencoded",
        "access_key_id": "EXAMPLE_AKID",
        "access_key_secret": "EXAMPLE_SECRET",
        "security_token": None,
        "date": datetime(2025, 1, 1, tzinfo=UTC),
        "nonce": "0123456789abcdef0123456789abcdef",
    }
    args.update(overrides)
    return v3_headers(**args)  # type: ignore[arg-type]


def test_v3_headers_reproduce_the_sdk_test_vector() -> None:
    headers = vector_headers()
    assert headers["x-acs-content-sha256"] == ("d8558e62d2f8dca3382d1b733240d606ef1f27341cdfcb3ca3eae87e7f507ff9")
    assert headers["authorization"] == (
        "ACS3-HMAC-SHA256 Credential=EXAMPLE_AKID,SignedHeaders=content-type;host;"
        "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=a7cf79de3804864c2305331334d010110611b6e9e9fc8ebedd96fecd3eaab515"
    )


def test_v3_security_token_is_sent_and_signed() -> None:
    headers = vector_headers(security_token="sts-token")
    auth = parse_v3_authorization(headers["authorization"])
    assert headers["x-acs-security-token"] == "sts-token"
    assert "x-acs-security-token" in auth.signed_headers


def test_v3_verification_accepts_what_was_signed() -> None:
    headers = vector_headers()
    auth = parse_v3_authorization(headers["authorization"])
    assert verify_v3(
        method="POST",
        query=QUERY,
        headers=headers,
        body=BODY,
        auth=auth,
        access_key_secret="EXAMPLE_SECRET",
    )


def test_v3_verification_refuses_a_swapped_body() -> None:
    headers = vector_headers()
    auth = parse_v3_authorization(headers["authorization"])
    assert not verify_v3(
        method="POST",
        query=QUERY,
        headers=headers,
        body=BODY + b"x",
        auth=auth,
        access_key_secret="EXAMPLE_SECRET",
    )


def test_v3_verification_refuses_another_secret() -> None:
    headers = vector_headers()
    auth = parse_v3_authorization(headers["authorization"])
    assert not verify_v3(
        method="POST",
        query=QUERY,
        headers=headers,
        body=BODY,
        auth=auth,
        access_key_secret="OTHER_SECRET",
    )


def test_v3_authorization_that_leaves_the_date_unsigned_is_incomplete() -> None:
    with pytest.raises(ValueError, match="x-acs-date"):
        parse_v3_authorization(
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-action;"
            "x-acs-content-sha256;x-acs-signature-nonce;x-acs-version,Signature=00"
        )


def test_percent_encoding_follows_rfc_3986() -> None:
    assert percent_encode("a b*~/+é") == "a%20b%2A~%2F%2B%C3%A9"


def test_rpc_signature_reproduces_the_test_vector() -> None:
    params = {
        "Action": "GetMediaProducingJob",
        "Version": "2020-11-09",
        "Format": "JSON",
        "AccessKeyId": "EXAMPLE_AKID",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": "nonce-0001",
        "Timestamp": "2025-01-01T00:00:00Z",
        "JobId": "job-0001",
    }
    assert rpc_signature("POST", params, "EXAMPLE_SECRET") == "erRvnJZFudJbWfUfFtELKUtYL90="


def test_callback_signature_reproduces_the_test_vector() -> None:
    assert callback_signature(CB_URL, CB_TS, CB_KEY) == CB_SIGNATURE


def test_callback_verification_accepts_the_old_and_the_new_key() -> None:
    now = float(CB_TS) + 10
    new_signature = callback_signature(CB_URL, CB_TS, "NewKey456")
    keys = ["NewKey456", CB_KEY]
    assert verify_callback_signature(CB_URL, CB_TS, CB_SIGNATURE, keys, now, 300)
    assert verify_callback_signature(CB_URL, CB_TS, new_signature, keys, now, 300)


def test_callback_verification_refuses_a_stale_timestamp() -> None:
    now = float(CB_TS) + 301
    assert not verify_callback_signature(CB_URL, CB_TS, CB_SIGNATURE, [CB_KEY], now, 300)


def test_callback_verification_refuses_a_future_timestamp() -> None:
    now = float(CB_TS) - 301
    assert not verify_callback_signature(CB_URL, CB_TS, CB_SIGNATURE, [CB_KEY], now, 300)


def test_callback_verification_refuses_a_wrong_signature() -> None:
    wrong = callback_signature(CB_URL, CB_TS, "NotTheKey1")
    assert not verify_callback_signature(CB_URL, CB_TS, wrong, [CB_KEY], float(CB_TS), 300)


def test_callback_verification_refuses_another_url() -> None:
    other = "https://example.com/ims/cb2"
    assert not verify_callback_signature(other, CB_TS, CB_SIGNATURE, [CB_KEY], float(CB_TS), 300)


def test_callback_verification_refuses_a_non_numeric_timestamp() -> None:
    assert not verify_callback_signature(CB_URL, "soon", CB_SIGNATURE, [CB_KEY], 0.0, 300)
