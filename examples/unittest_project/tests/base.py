"""Shared base class for the inventory tests."""

import unittest

import fixtures


class InventoryTestCase(fixtures.TestWithFixtures, unittest.TestCase):
    """Base class: gives every test a fresh in-memory store."""

    def setUp(self):
        super().setUp()
        self.store = {}

    def _create_reservation(self, service, item="widget", quantity=1):
        """Reserve `quantity` of `item` and return the reservation."""
        return service.reserve(item, quantity)
