"""The editor's job preparation runs in a child process: what comes back is what prepare gives."""

from __future__ import annotations

import pickle

import pytest
from submit_support import FAKE_KEY, chat_lines

from tunelint.config import Settings
from tunelint.lsp.jobs import prepare_elsewhere
from tunelint.submit.core import (
    EXIT_REFUSED,
    Dataset,
    Declined,
    Endpoint,
    JobParams,
    SubmitError,
    prepare,
)

MODEL = "gpt-4o-mini-2024-07-18"


def dataset(lines: list[str]) -> Dataset:
    return Dataset("train.jsonl", ("\n".join(lines) + "\n").encode())


def test_submit_errors_survive_pickling() -> None:
    error = SubmitError("refused", EXIT_REFUSED, details=["1 lint error:", "  line 3"],
                        status_code=400)
    back = pickle.loads(pickle.dumps(error))
    assert (type(back), back.message, back.exit_code, back.details, back.status_code) == (
        SubmitError, "refused", EXIT_REFUSED, ["1 lint error:", "  line 3"], 400)
    assert isinstance(pickle.loads(pickle.dumps(Declined())), Declined)


def test_plan_from_the_child_equals_prepare_and_keeps_the_key() -> None:
    train = dataset(chat_lines(12))
    params = JobParams(model=MODEL)
    endpoint = Endpoint(base_url="http://127.0.0.1:9/v1", api_key=FAKE_KEY)
    here = prepare(train, None, params, Settings(), endpoint)
    there = prepare_elsewhere(train, None, params, Settings(), endpoint, False)
    assert there.estimate == here.estimate and there.warnings == here.warnings
    assert there.endpoint.api_key == FAKE_KEY  # restored here: the child had none
    assert there.train.data == train.data


def test_a_refusal_in_the_child_arrives_whole() -> None:
    lines = chat_lines(12)
    lines[2] = lines[2].replace('"assistant"', '"asistant"')
    with pytest.raises(SubmitError) as info:
        prepare_elsewhere(dataset(lines), None, JobParams(model=MODEL), Settings(),
                          Endpoint(api_key=FAKE_KEY), False)
    assert info.value.exit_code == EXIT_REFUSED
    assert any(":3:" in d and "TL302" in d for d in info.value.details)
    assert FAKE_KEY not in info.value.text()
