;;; emacs_driver.el --- headless Emacs + Eglot scenario for test_emacs.py  -*- lexical-binding: t; -*-
;; Loads the *shipped* client-config/emacs/tunelint.el (TUNELINT_EMACS_DIR), opens TUNELINT_FILE,
;; and writes TUNELINT_RESULT (JSON): diagnostics on open, after an edit, after a code action.
;; Batch-mode workarounds (no idle timers in --batch): didChange is flushed by hand and
;; `flymake-start' is called while waiting.
(require 'package)
;; Debian's elpa-* packages (elpa-eglot), which -Q's skipped site-start would have added.
(when (file-directory-p "/usr/share/emacs/site-lisp/elpa")
  (add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa"))
(package-initialize)
(require 'json)
(require 'cl-lib)
(add-to-list 'load-path (getenv "TUNELINT_EMACS_DIR"))
(require 'tunelint)

(defvar drv-result (list (cons 'steps nil)))
(defvar drv-timeout (/ (string-to-number (or (getenv "TUNELINT_TIMEOUT") "20000")) 1000.0))

(defun drv-put (key value) (setf (alist-get key drv-result) value))

(defun drv-finish (err)
  (drv-put 'error err)
  (setf (alist-get 'steps drv-result) (vconcat (reverse (alist-get 'steps drv-result))))
  (with-temp-file (getenv "TUNELINT_RESULT")
    (insert (json-encode drv-result)))
  (ignore-errors
    (let ((server (eglot-current-server)))
      (when server (eglot-shutdown server))))
  (kill-emacs 0))

(defun drv-diags ()
  "Diagnostics of the current buffer as alists (line is 0-based, like LSP)."
  (sort
   (cl-loop for d in (flymake-diagnostics)
            for lsp = (cdr (assoc 'eglot-lsp-diag (eglot--diag-data d)))
            when lsp
            collect `((lnum . ,(1- (line-number-at-pos (flymake-diagnostic-beg d))))
                      (code . ,(plist-get lsp :code))
                      (severity . ,(plist-get lsp :severity))
                      (source . ,(plist-get lsp :source))
                      (col . ,(plist-get (plist-get (plist-get lsp :range) :start) :character))))
   (lambda (a b) (< (alist-get 'lnum a) (alist-get 'lnum b)))))

(defun drv-has (code &optional lnum)
  (cl-some (lambda (d) (and (equal (alist-get 'code d) code)
                            (or (null lnum) (= (alist-get 'lnum d) lnum))))
           (drv-diags)))

(defun drv-wait (pred)
  (let ((deadline (+ (float-time) drv-timeout)) ok)
    (while (and (not (setq ok (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05)
      (flymake-start))
    ok))

(defun drv-step (name pred)
  (let ((ok (drv-wait pred)))
    (push `((name . ,name) (ok . ,(if ok t :json-false)) (diagnostics . ,(vconcat (drv-diags)))
            (lines . ,(count-lines (point-min) (point-max))))
          (alist-get 'steps drv-result))
    ok))

(defun drv-scenario ()
  (find-file (getenv "TUNELINT_FILE"))
  (drv-put 'mode (symbol-name major-mode))
  (apply #'eglot (eglot--guess-contact))
  (unless (drv-wait (lambda () (and (eglot-current-server) (eglot-managed-p))))
    (drv-finish "eglot did not connect"))
  (drv-put 'server (format "%S" (eglot--server-info (eglot-current-server))))
  (flymake-mode 1)
  ;; 1. diagnostics arrive on open
  (unless (drv-step "open" (lambda () (and (drv-has "TL101" 2) (drv-has "TL006" 5)
                                           (drv-has "TL904" 8))))
    (drv-finish "no diagnostics after open"))
  ;; 2. an edit (fix the broken JSON on line 3) updates them
  (goto-char (point-min))
  (forward-line 2)
  (end-of-line)
  (insert "]}")
  (eglot--signal-textDocument/didChange)
  (unless (drv-step "edit" (lambda () (and (not (drv-has "TL101")) (drv-has "TL006" 5))))
    (drv-finish "diagnostics not updated after the edit"))
  ;; 3. the blank-line quick fix, through the interactive `eglot-code-actions' menu
  (goto-char (point-min))
  (forward-line 5)
  (let ((titles nil)
        (last-nonmenu-event 13))        ; a key, not a mouse event: use completing-read
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt collection &rest _)
                 (setq titles (mapcar #'car collection))
                 (or (cl-find-if (lambda (title) (string-match-p "TL006" title)) titles)
                     (error "no TL006 action among %S" titles)))))
      (eglot-code-actions (point) (line-end-position) nil t))
    (drv-put 'action_titles (vconcat titles)))
  (eglot--signal-textDocument/didChange)
  (unless (drv-step "code action" (lambda () (and (not (drv-has "TL006")) (drv-has "TL904" 7))))
    (drv-finish "diagnostics not updated after the code action"))
  (save-buffer)
  (drv-finish nil))

(condition-case err
    (drv-scenario)
  (error (drv-finish (format "driver error: %S" err))))
