"""tunelint: a linter and language server for LLM fine-tuning datasets in JSONL."""

__version__ = "0.1.0"
