;;; tunelint.el --- tunelint language server for JSONL datasets, via Eglot  -*- lexical-binding: t; -*-

;; Works with Eglot 1.9+ (Debian 12's elpa-eglot; built into Emacs 29+).

;;; Commentary:

;; Lints LLM fine-tuning datasets (JSON Lines) with `tunelint lsp':
;; diagnostics in Flymake, quick fixes with `eglot-code-actions', rule docs on hover.
;;
;; Install:   pip install tunelint            (puts `tunelint' on PATH)
;; Configure: (add-to-list 'load-path "/path/to/client-config/emacs")
;;            (require 'tunelint)
;;            (add-hook 'jsonl-mode-hook #'eglot-ensure)
;;
;; Settings go in `eglot-workspace-configuration', usually per project in .dir-locals.el:
;;   ((nil . ((eglot-workspace-configuration
;;             . (:tunelint (:profile "together" :format "chat" :ignore ["TL904"]))))))
;; Keys: model, profile, format, select, extendSelect, ignore, severity,
;; configurationPreference (editorFirst | filesystemFirst | editorOnly), debounce,
;; inlayHints, logLevel, logFile.  A project's tunelint.toml / pyproject.toml is read too.

;;; Code:

(require 'eglot)

(defgroup tunelint nil
  "Lint LLM fine-tuning datasets (JSONL) with the tunelint language server."
  :group 'tools)

(defcustom tunelint-server-command '("tunelint" "lsp")
  "Command that starts the tunelint language server."
  :type '(repeat string))

(defcustom tunelint-initialization-options '(:settings (:debounce 150))
  "Sent to the server as `initializationOptions' (a plist).
Project settings belong in `eglot-workspace-configuration' under :tunelint."
  :type 'sexp)

;; A JSON Lines major mode, unless one is installed already (e.g. the jsonl-mode package).
(unless (fboundp 'jsonl-mode)
  (defalias 'tunelint--jsonl-parent-mode
    (if (fboundp 'js-json-mode) #'js-json-mode #'js-mode))
  (define-derived-mode jsonl-mode tunelint--jsonl-parent-mode "JSONL"
    "Major mode for JSON Lines files: one JSON value per line."
    (setq-local require-final-newline t)
    (setq-local indent-tabs-mode nil)
    (setq-local truncate-lines t)))

(add-to-list 'auto-mode-alist '("\\.\\(?:jsonl\\|ndjson\\)\\'" . jsonl-mode))

(defun tunelint--server-contact (&optional _interactive)
  "The Eglot contact for tunelint: the command and its `initializationOptions'."
  (append tunelint-server-command
          (list :initializationOptions tunelint-initialization-options)))

(add-to-list 'eglot-server-programs
             '((jsonl-mode :language-id "jsonl") . tunelint--server-contact))

(provide 'tunelint)
;;; tunelint.el ends here
