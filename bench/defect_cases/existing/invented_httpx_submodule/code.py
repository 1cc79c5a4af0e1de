from httpx.retries import RetryTransport

transport = RetryTransport(max_attempts=3)
