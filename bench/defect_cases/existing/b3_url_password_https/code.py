import requests

def status():
    return requests.get("https://admin:Sup3rS3cret@internal.example.com/api/status", timeout=5).json()
