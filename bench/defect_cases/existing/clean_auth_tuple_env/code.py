import os
import requests

def get(url):
    return requests.get(url, auth=(os.environ["API_USER"], os.environ["API_PASSWORD"]), timeout=10)
