"""A small HTTP client with retries."""

import time
import urllib.parse
import urllib.request


class HttpClient:
    def __init__(self, base_url, timeout=10):
        self.base_url = base_url
        self.timeout = timeout

    def get(self, path, params=None):
        return self._request("GET", build_url(self.base_url + path, params or {}))

    def post(self, path, body):
        return self._request("POST", self.base_url + path, body)

    def _request(self, method, url, body=None):
        req = urllib.request.Request(url, data=body, method=method)
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return resp.read()

    def close(self):
        pass


def retry(fn, attempts=3, delay=0.5):
    for i in range(attempts):
        try:
            return fn()
        except OSError:
            time.sleep(delay * (i + 1))
    return fn()


def build_url(base, params):
    if not params:
        return base
    return base + "?" + urllib.parse.urlencode(params)
