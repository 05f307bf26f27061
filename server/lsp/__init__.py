"""The language server (``tunelint lsp``)."""
