"""A stateful local fake of the OpenAI Files, Uploads and fine-tuning job endpoints.

It runs on 127.0.0.1 in a thread (``http.server``), counts every request, and can be told to
answer the next matching requests with a fault (a status with headers and body, or a dropped
connection). A job moves one status further each time it is retrieved, so a test that polls
sees validating_files -> queued -> running -> final without any timing.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SUCCESS = ["validating_files", "queued", "running", "succeeded"]
FAILURE = ["validating_files", "queued", "running", "failed"]
FOREVER = ["validating_files", "queued", "running"]


@dataclass
class Fault:
    method: str
    prefix: str
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    drop: bool = False
    after: bool = False  # with drop: handle the request first (it arrives; its answer is lost)
    delay: float = 0.0  # seconds before answering (for client timeouts)
    times: int = 1


class FakeOpenAI:
    def __init__(self, key: str) -> None:
        self.key = key
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.faults: list[Fault] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.file_data: dict[str, bytes] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.parts: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.job_bodies: list[dict[str, Any]] = []
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.scripts: list[list[str]] = []
        self._n = 0
        self.server: ThreadingHTTPServer | None = None

    # -- control ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(_Handler):
            owner = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def fault(self, method: str, prefix: str, **kw: Any) -> None:
        self.faults.append(Fault(method, prefix, **kw))

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p == path)

    def count_prefix(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(prefix))

    @property
    def file_uploads(self) -> int:
        return len(self.files)

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n:04d}abcdef"

    # -- behaviour --------------------------------------------------------------------------

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.method == method and path.startswith(f.prefix) and f.times > 0:
                    f.times -= 1
                    if f.times == 0:
                        self.faults.remove(f)
                    return f
        return None

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], Any]:
        auth = headers.get("authorization", "")
        if auth != f"Bearer {self.key}" and headers.get("api-key") != self.key:
            shown = auth.removeprefix("Bearer ")
            return 401, {}, {"error": {
                "message": f"Incorrect API key provided: {shown}. You can find your API key "
                           "at https://platform.openai.com/account/api-keys.",
                "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        with self.lock:
            return self._route(method, parts, query, headers, body)

    def _route(self, method: str, parts: list[str], query: dict[str, str],
               headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        if parts == ["files"] and method == "POST":
            form = _multipart(headers, body)
            data, filename = form["file"]
            if form.get("purpose", (b"", ""))[0] != b"fine-tune":
                return 400, {}, _error("purpose must be fine-tune", "purpose")
            fid = self._id("file")
            obj = {"id": fid, "object": "file", "bytes": len(data), "created_at": _now(),
                   "filename": filename, "purpose": "fine-tune", "status": "processed"}
            self.files[fid] = obj
            self.file_data[fid] = data
            return 200, {}, obj
        if parts == ["files"] and method == "GET":
            files = [f for f in self.files.values()
                     if "purpose" not in query or f["purpose"] == query["purpose"]]
            files.sort(key=lambda f: (f["created_at"], f["id"]),
                       reverse=query.get("order", "desc") == "desc")
            files = files[:int(query.get("limit", 10000))]
            return 200, {}, {"object": "list", "data": files, "has_more": False,
                             "first_id": files[0]["id"] if files else None,
                             "last_id": files[-1]["id"] if files else None}
        if len(parts) == 2 and parts[0] == "files" and method == "GET":
            obj = self.files.get(parts[1])
            return (200, {}, obj) if obj else (404, {}, _error("No such File object", "id"))
        if parts == ["uploads"] and method == "POST":
            req = json.loads(body)
            uid = self._id("upload")
            self.uploads[uid] = {"id": uid, "object": "upload", "bytes": req["bytes"],
                                 "filename": req["filename"], "purpose": req["purpose"],
                                 "status": "pending", "created_at": _now(),
                                 "expires_at": _now() + 3600, "file": None}
            return 200, {}, self.uploads[uid]
        if len(parts) == 3 and parts[0] == "uploads" and parts[2] == "parts":
            form = _multipart(headers, body)
            pid = self._id("part")
            self.parts[pid] = form["data"][0]
            return 200, {}, {"id": pid, "object": "upload.part", "created_at": _now(),
                             "upload_id": parts[1]}
        if len(parts) == 3 and parts[0] == "uploads" and parts[2] == "complete":
            up = self.uploads[parts[1]]
            req = json.loads(body)
            data = b"".join(self.parts[p] for p in req["part_ids"])
            if len(data) != up["bytes"]:
                return 400, {}, _error("bytes do not match", "part_ids")
            fid = self._id("file")
            obj = {"id": fid, "object": "file", "bytes": len(data), "created_at": _now(),
                   "filename": up["filename"], "purpose": "fine-tune", "status": "processed"}
            self.files[fid] = obj
            self.file_data[fid] = data
            up.update(status="completed", file=obj)
            return 200, {}, up
        if parts[:2] == ["fine_tuning", "jobs"]:
            return self._jobs(method, parts[2:], query, body)
        return 404, {}, _error(f"no route {method} /{'/'.join(parts)}", None)

    def _jobs(self, method: str, rest: list[str], query: dict[str, str], body: bytes
              ) -> tuple[int, dict[str, str], Any]:
        if not rest and method == "POST":
            req = json.loads(body)
            self.job_bodies.append(req)
            if req.get("training_file") not in self.files:
                return 400, {}, _error(f"invalid training_file: {req.get('training_file')}",
                                       "training_file")
            if req["model"].startswith("nope"):
                return 404, {}, _error(f"The model `{req['model']}` does not exist", "model",
                                       "model_not_found")
            jid = self._id("ftjob")
            script = self.scripts.pop(0) if self.scripts else list(SUCCESS)
            job = {"id": jid, "object": "fine_tuning.job", "created_at": _now(),
                   "model": req["model"], "training_file": req["training_file"],
                   "validation_file": req.get("validation_file"), "status": script[0],
                   "fine_tuned_model": None, "finished_at": None, "error": None,
                   "hyperparameters": {}, "organization_id": "org-fake", "result_files": [],
                   "trained_tokens": None, "seed": req.get("seed", 42),
                   "method": req.get("method"), "metadata": req.get("metadata"),
                   "suffix": req.get("suffix"), "_script": script, "_step": 0}
            self.jobs[jid] = job
            self.events[jid] = []
            self._event(jid, "Created fine-tuning job")
            return 200, {}, _public(job)
        if not rest and method == "GET":
            data = [_public(j) for j in reversed(self.jobs.values())]
            return 200, {}, {"object": "list", "data": data, "has_more": False}
        job = self.jobs.get(rest[0])
        if job is None:
            return 404, {}, _error(f"Could not find fine-tune: {rest[0]}", "fine_tune_id")
        jid = job["id"]
        if len(rest) == 1 and method == "GET":
            self._advance(job)
            return 200, {}, _public(job)
        if rest[1:] == ["events"]:
            evs = list(reversed(self.events[jid]))[: int(query.get("limit", 20))]
            return 200, {}, {"object": "list", "data": evs, "has_more": False}
        if rest[1:] == ["cancel"] and method == "POST":
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return 400, {}, _error("Job has already completed", None)
            job["status"] = "cancelled"
            job["finished_at"] = _now()
            self._event(jid, "Fine-tuning job cancelled")
            return 200, {}, _public(job)
        return 404, {}, _error("no such route", None)

    def _advance(self, job: dict[str, Any]) -> None:
        if job["status"] == "cancelled":
            return
        script = job["_script"]
        if job["_step"] + 1 >= len(script):
            return
        job["_step"] += 1
        status = script[job["_step"]]
        job["status"] = status
        jid = job["id"]
        if status == "running":
            self._event(jid, "Fine-tuning job started")
            self._event(jid, "Step 1/10: training loss=1.23", type_="metrics",
                        data={"step": 1, "train_loss": 1.23})
        elif status == "succeeded":
            job["fine_tuned_model"] = f"ft:{job['model']}:org-fake:{job['suffix'] or ''}:{jid[-6:]}"
            job["finished_at"] = _now()
            job["trained_tokens"] = 1234
            self._event(jid, f"New fine-tuned model created: {job['fine_tuned_model']}")
            self._event(jid, "The job has successfully completed")
        elif status == "failed":
            job["error"] = {"code": "invalid_training_file",
                            "message": "The job failed due to an invalid training file.",
                            "param": "training_file"}
            job["finished_at"] = _now()
            self._event(jid, "The job failed due to an invalid training file.", level="error")
        else:
            self._event(jid, f"Job entered status {status}")

    def _event(self, jid: str, message: str, level: str = "info", type_: str = "message",
               data: Any = None) -> None:
        self.events[jid].append({"id": self._id("ftevent"), "object": "fine_tuning.job.event",
                                 "created_at": _now(), "level": level, "message": message,
                                 "type": type_, "data": data})


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def _now() -> int:
    return int(time.time())


def _error(message: str, param: str | None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param,
                      "code": code}}


def _multipart(headers: dict[str, str], body: bytes) -> dict[str, tuple[bytes, str]]:
    raw = f"Content-Type: {headers['content-type']}\r\n\r\n".encode() + body
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    out: dict[str, tuple[bytes, str]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        out[str(name)] = (payload, str(part.get_filename() or ""))
    return out


class _Handler(BaseHTTPRequestHandler):
    owner: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, qs = self.path.partition("?")
        query = dict(p.split("=", 1) for p in qs.split("&") if "=" in p)
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake = self.owner
        with fake.lock:
            fake.requests.append((method, path))
            fake.headers.append(headers)
        fault = fake.take_fault(method, path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            if fault.after:
                fake.handle(method, path, query, headers, body)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None:
            status, extra, payload = fault.status, fault.headers, fault.body
            if payload is None:
                payload = {"error": {"message": f"fake fault {status}", "type": "server_error",
                                     "param": None, "code": None}}
        else:
            status, extra, payload = fake.handle(method, path, query, headers, body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")
