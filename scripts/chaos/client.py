"""A small HTTP client over urllib (loopback only) that records every answer's status."""

import json
import threading
import urllib.error
import urllib.request
from collections import Counter


class Answer:
    def __init__(self, status: int, body, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Client:
    def __init__(self, base_url: str, api_key: str):
        self.base_url, self.api_key = base_url, api_key
        self.statuses: Counter = Counter()
        self._lock = threading.Lock()

    def request(self, method: str, path: str, body=None, timeout: float = 60) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.api_key}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = Answer(response.status, _json(response.read()), dict(response.headers))
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, _json(error.read()), dict(error.headers))
        except (urllib.error.URLError, OSError) as error:  # no answer at all (connection refused/reset, timeout)
            answer = Answer(0, {"error": str(error)})
        with self._lock:
            self.statuses[answer.status] += 1
        return answer

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body, **kwargs) -> Answer:
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body, **kwargs) -> Answer:
        return self.request("PATCH", path, body, **kwargs)

    def must(self, method: str, path: str, body=None) -> dict:
        """A request that has to succeed (set-up), retried on 503 and on no answer."""
        import time

        for _ in range(30):
            answer = self.request(method, path, body)
            if answer.ok:
                return answer.body
            if answer.status not in (0, 503):
                break
            time.sleep(1)
        raise RuntimeError(f"{method} {path} -> {answer.status}: {str(answer.body)[:500]}")


def _json(raw: bytes):
    """The body; one object's envelope ``{"data": {...}}`` is taken off (lists and batches keep theirs)."""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return {"raw": raw[:500].decode(errors="replace")}
    if isinstance(body, dict) and set(body) == {"data"} and isinstance(body["data"], dict):
        return body["data"]
    return body
