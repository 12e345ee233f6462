"""A toy order book used by the example tests."""

import requests


def place_order(session, item, quantity):
    response = session.post("https://shop.example.com/orders", json={"item": item, "quantity": quantity})
    response.raise_for_status()
    return response.json()


def fetch_prices():
    return requests.get("https://shop.example.com/prices", timeout=5).json()
