"""Line is in a different format from the dataset.

## What it does
Finds the dataset's format (the `format` setting, or else the format of most lines) and reports
lines in another one, such as a `prompt`/`completion` line in a chat dataset.

## Why is this bad?
A training file holds one kind of example: the API validates it against one schema, and
Together rejects a file whose lines differ from the first.

## Example
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
{"messages": [{"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Goodbye"}]}
{"prompt": "Hi", "completion": "Hello"}
```

Use instead:
```jsonl
{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
{"messages": [{"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Goodbye"}]}
```

## Fix
None here; `legacy-completion-format` offers to convert prompt/completion lines to chat.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunelint.context import DatasetView
from tunelint.rules import Problem, Rule, Severity

_NAMES = {"chat": "chat (messages)", "preference": "preference (DPO)",
          "reinforcement": "reinforcement (RFT)", "completion": "legacy prompt/completion"}


def check(ds: DatasetView, opts: dict[str, Any]) -> Iterator[Problem]:
    main = ds.dataset_format()
    if main is None:
        return
    counts = ds.format_counts()
    source = "the configured format" if ds.run.settings.format == main else "most lines"
    for fmt in counts:
        if fmt == main:
            continue
        for line in ds.lines_of_format(fmt):
            yield Problem(
                "TL106",
                f"this line is {_NAMES.get(fmt, fmt)} but the dataset is "
                f"{_NAMES.get(main, main)} ({source}); a file holds one format",
                pointer="",
                line=line,
            )


RULE = Rule(
    code="TL106",
    name="format-mixed",
    severity=Severity.ERROR,
    scope="dataset",
    check=check,
    doc=__doc__,
)
