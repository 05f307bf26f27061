" JSON Lines: *.jsonl and *.ndjson get the 'jsonl' filetype (Neovim 0.7-0.9 have none).
" `setfiletype` leaves a filetype that was already detected alone.
autocmd BufNewFile,BufRead *.jsonl,*.ndjson setfiletype jsonl
