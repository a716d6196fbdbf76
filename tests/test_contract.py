"""The published JSON contract: `schemas/` is what the models say, and the examples follow it.

Real results are held against the Result schema where a daemon makes them
(test_daemon_aliyun.py, test_daemon_pipeline.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imsd.contract import Request, schemas
from imsd.envelope import parse_envelope
from pydantic import ValidationError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "requests").glob("*.json"))


@pytest.mark.parametrize("name", sorted(schemas()))
def test_the_published_schema_is_the_one_the_models_make(name: str) -> None:
    """Regenerate with: .venv/bin/python -m imsd.contract schemas"""
    assert json.loads((ROOT / "schemas" / name).read_text()) == schemas()[name]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_request_follows_the_request_schema(path: Path) -> None:
    Request.model_validate_json(path.read_text())


@pytest.mark.parametrize(
    "message",
    [
        {"request_id": "-starts-with-a-dash", "api": "SubmitMediaProducingJob"},
        {"request_id": "r" * 129, "api": "SubmitMediaProducingJob"},
        {"request_id": "ok", "api": "SubmitMediaProduceJob"},
        {"request_id": "ok", "api": "SubmitMediaProducingJob", "client_token": "has space"},
    ],
)
def test_what_the_schema_refuses_the_daemon_refuses(message: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Request.model_validate(message)
    with pytest.raises(Exception, match="request"):
        parse_envelope({"request": json.dumps(message)})
