"""Synchronous HTTP helpers over `requests`: create, status, solution, verify, push, delete, event streams."""
import json
import time

import requests

from .errors import SolverdError, error_from
from .inputs import cost_report_payload, cost_update_payload, index_payload, solve_request_payload

DEFAULT_URL = "http://127.0.0.1:3000"


def auth_headers(token):
    return {"authorization": f"Bearer {token}"} if token else {}


class SolverdHTTP:
    """`SolverdHTTP("http://127.0.0.1:3000", token=None)`; every method raises a typed `SolverdError` on error."""

    def __init__(self, base_url=DEFAULT_URL, token=None, timeout=30.0, session=None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.http = session or requests.Session()

    def _request(self, method, path, body=None, params=None, expect=(200, 201, 202)):
        headers = auth_headers(self.token)
        data = None
        if body is not None:
            headers["content-type"] = "application/json"
            data = json.dumps(body)
        r = self.http.request(method, self.base_url + path, data=data, params=params, headers=headers, timeout=self.timeout)
        return self._decode(r, expect)

    @staticmethod
    def _decode(r, expect):
        try:
            payload = r.json()
        except ValueError:
            payload = None
        if r.status_code in expect and payload is not None:
            return payload
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            raise error_from(payload["error"], status=r.status_code)
        raise error_from({"code": f"http_{r.status_code}", "message": r.text[:300] or r.reason}, status=r.status_code)

    # Sessions
    def create(self, matrix, vector, method=None, options=None, session_id=None, x0=None):
        """Creates a session; returns the `session_created` record (`session_id`, `rows`, `method`, …)."""
        body = solve_request_payload(matrix, vector, method=method, options=options, session_id=session_id, x0=x0)
        return self._request("POST", "/api/v1/sessions", body)

    def sessions(self):
        return self._request("GET", "/api/v1/sessions")["sessions"]

    def status(self, session_id):
        return self._request("GET", f"/api/v1/status/{session_id}")

    def service_status(self):
        return self._request("GET", "/api/v1/status")

    def health(self):
        return self._request("GET", "/health")

    def solution(self, session_id, indices=None):
        """`{"x": [...]}` for the whole solution, or `{"indices", "values"}` for the given entries."""
        params = {"indices": ",".join(str(i) for i in index_payload(indices))} if indices is not None else None
        return self._request("GET", f"/api/v1/sessions/{session_id}/solution", params=params)

    def solution_array(self, session_id):
        """The whole solution as a numpy array."""
        import numpy as np
        return np.asarray(self.solution(session_id)["x"], dtype=float)

    def verify(self, session_id, probe_count=None, indices=None):
        body = {"session_id": session_id}
        if probe_count is not None:
            body["probe_count"] = int(probe_count)
        if indices is not None:
            body["indices"] = index_payload(indices)
        return self._request("POST", "/api/v1/verify", body)

    def delete(self, session_id):
        return self._request("DELETE", f"/api/v1/sessions/{session_id}")

    def push(self, session_id, delta_indices=None, delta_values=None, matrix_updates=None, source_node=None):
        """Posts a cost update to `/api/v1/swarm/costs`; returns its `seq` (it is applied in seq order)."""
        body = cost_update_payload(session_id, delta_indices, delta_values, matrix_updates, source_node)
        return self._request("POST", "/api/v1/swarm/costs", body)["seq"]

    def report(self, session_id, node_id, indices, values, confidence=None, propagation_depth=None):
        """Posts a swarm `cost_report`; returns its `seq` (a `costs_aggregated` event follows when it is applied)."""
        body = cost_report_payload(session_id, node_id, indices, values, confidence, propagation_depth)
        return self._request("POST", "/api/v1/swarm/costs", body)["seq"]

    def wait_converged(self, session_id, after_seq=0, timeout=30.0, interval=0.02):
        """Polls status until the session is converged with every update up to `after_seq` applied."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(session_id)
            if status["phase"] == "converged" and status["last_applied_seq"] >= after_seq:
                return status
            if status["phase"] in ("stopped", "failed", "closed"):
                raise SolverdError("not_converged", f"session {session_id} is {status['phase']}: "
                                   f"{status.get('stop_reason')}", status=None)
            if time.monotonic() > deadline:
                raise TimeoutError(f"session {session_id} did not converge within {timeout} s (phase {status['phase']})")
            time.sleep(interval)

    def events(self, session_id, since=None, until_converged=False):
        """Yields the session's events from the NDJSON stream (`since` replays retained events after that seq)."""
        params = {}
        if since is not None:
            params["since"] = int(since)
        if until_converged:
            params["until"] = "converged"
        r = self.http.get(f"{self.base_url}/api/v1/sessions/{session_id}/events", params=params,
                          headers=auth_headers(self.token), stream=True, timeout=self.timeout)
        if r.status_code != 200:
            self._decode(r, ())
        try:
            for line in r.iter_lines():
                if line:
                    yield json.loads(line)
        finally:
            r.close()
