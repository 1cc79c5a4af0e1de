import requests

API_KEY = "9f8e7d6c5b4a39281706aa"

def weather(city):
    return requests.get("https://api.example.com/w", params={"q": city, "key": API_KEY}).json()
