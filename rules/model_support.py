"""The configured model cannot train this dataset (or no longer can).

## What it does
Checks the `model` setting against the model registry: unknown models (token limits then go
unchecked), models past their shutdown date, a dataset format the model's fine-tuning methods do
not include (DPO needs a model with `dpo`, reinforcement an o-series model, prompt/completion
babbage-002 or davinci-002), and the provider's end of self-serve fine-tuning (OpenAI:
2027-01-06), reported from 45 days before it.

## Why is this bad?
The job is refused at creation, after the upload; or, after a shutdown date, cannot run at all.

## Example
```jsonl {"model": "gpt-3.5-turbo-0125", "rules": {"model-support": {"today": "2026-06-01"}}}
{"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": [{"role": "assistant", "content": "Hello!"}], "non_preferred_output": [{"role": "assistant", "content": "What?"}]}
```
(gpt-3.5-turbo-0125 trains only with supervised fine-tuning; this is a DPO example.)

Use instead:
```jsonl {"model": "gpt-4o-mini-2024-07-18", "rules": {"model-support": {"today": "2026-06-01"}}}
{"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": [{"role": "assistant", "content": "Hello!"}], "non_preferred_output": [{"role": "assistant", "content": "What?"}]}
```

## Fix
None: set `model` to a model that supports the method (see `docs/models.md`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.models import known_models
from tunelint.rules import Problem, Rule, Severity

_METHOD = {"chat": "supervised", "preference": "dpo", "reinforcement": "reinforcement",
           "completion": "completion"}


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    today = dt.date.fromisoformat(opts["today"]) if opts.get("today") else dt.date.today()
    name = ds.run.settings.model
    model = ds.run.model
    if model is None:
        yield Problem("TL909", f"unknown model {name!r}: its token limit and methods are not "
                      f"checked (known: {', '.join(known_models()[:6])}, …)", line=0,
                      span=(0, 0), severity=Severity.WARNING)
        return
    if model.shutdown and today >= model.shutdown:
        yield Problem("TL909", f"{model.name} was shut down on {model.shutdown.isoformat()}: "
                      "it can no longer be fine-tuned", line=0, span=(0, 0))
    fmt = ds.dataset_format()
    method = _METHOD.get(fmt or "")
    if method and method not in model.methods:
        yield Problem("TL909", f"{model.name} does not support {method} fine-tuning (it "
                      f"supports {', '.join(sorted(model.methods))})", line=0, span=(0, 0))
    end = ds.run.limits.get("self_serve_end")
    if end:
        end_date = dt.date.fromisoformat(end)
        if today >= end_date:
            yield Problem("TL909", f"{ds.run.settings.profile} stopped new self-serve "
                          f"fine-tuning jobs on {end}: use an OpenAI-compatible endpoint "
                          "(`base_url`) or another profile", line=0, span=(0, 0))
        elif (end_date - today).days <= 45:
            yield Problem("TL909", f"{ds.run.settings.profile} stops new self-serve "
                          f"fine-tuning jobs on {end} ({(end_date - today).days} days left)",
                          line=0, span=(0, 0), severity=Severity.INFO)


RULE = Rule(
    code="TL909",
    name="model-support",
    severity=Severity.ERROR,
    scope="dataset",
    check=check,
    options={"today": None},
    doc=__doc__,
)
