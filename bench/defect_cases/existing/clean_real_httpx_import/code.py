import httpx
from httpx import Client, Timeout

def fetch(url):
    with Client(timeout=Timeout(5.0)) as client:
        return client.get(url).text
