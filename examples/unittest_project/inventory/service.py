"""A toy inventory service used by the example tests."""

import time


class Reservation:
    def __init__(self, item, quantity):
        self.item = item
        self.quantity = quantity
        self.confirmed = False

    def confirm(self):
        self.confirmed = True


class InventoryService:
    def __init__(self, store):
        self.store = store

    def reserve(self, item, quantity):
        available = self.store.count(item)
        if available < quantity:
            raise ValueError(f"only {available} {item} left")
        self.store.take(item, quantity)
        return Reservation(item, quantity)

    def restock_periodically(self):
        while True:
            self.store.refresh()
            time.sleep(60)
