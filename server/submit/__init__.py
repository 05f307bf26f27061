"""Uploading a dataset and starting a fine-tuning job (``tunelint submit``)."""
