import threading
import time
from unittest import mock

import fixtures

from inventory import service
from tests import base


class FakeStore:
    """An in-memory stand-in for the warehouse database."""

    def __init__(self, counts):
        self.counts = dict(counts)

    def count(self, item):
        return self.counts.get(item, 0)

    def take(self, item, quantity):
        self.counts[item] -= quantity

    def refresh(self):
        pass


class TestReservationRace(base.InventoryTestCase):

    def setUp(self):
        super().setUp()
        self.fake_store = FakeStore({"widget": 3})
        self.clock = self.useFixture(fixtures.MockPatch("time.time"))
        self.audit_log = []
        self.service = service.InventoryService(self.fake_store)
        self.worker = threading.Thread(target=self.fake_store.refresh)

    def test_reserve_races_with_restock(self):
        # Reserve while the periodic restock runs, to show that the
        # reservation survives a refresh of the store in the middle of it.
        # The restock task reads the counts first, then the reservation
        # takes its items, then the restock writes the old counts back.
        # Without the sleeps below the two never overlap, because the
        # fake store answers instantly; with them, the restock thread is
        # still between its read and its write when the reservation runs.
        # The interesting order is:
        #   1) restock reads counts
        #   2) reservation takes items
        #   3) restock writes stale counts
        # and the test then checks the reservation was not lost.
        orig_take = FakeStore.take

        def slow_take(*args, **kwargs):
            time.sleep(1)
            return orig_take(*args, **kwargs)

        self.useFixture(fixtures.MockPatch(
            "tests.test_reservations.FakeStore.take", new=slow_take))

        reservation = self._create_reservation(self.service, quantity=2)
        self.worker.start()
        self.assertTrue(reservation.quantity == 2)
        self.assertEqual(reservation.confirmed, None)

    @mock.patch.object(service.InventoryService, "reserve")
    def test_reserve_is_called(self, mock_reserve):
        """Reserving through the helper calls the service once."""
        self._create_reservation(self.service)
        mock_reserve.called_once_with("widget", 1)

    def test_reserve_too_many(self):
        """Reserving more than the store holds raises ValueError."""
        try:
            self.service.reserve("widget", 10)
            self.fail("expected ValueError")
        except ValueError:
            pass

    def test_confirm(self):
        reservation = self._create_reservation(self.service)
        reservation.confirm()

    def test_confirm(self):
        """Confirming a reservation marks it confirmed."""
        reservation = self._create_reservation(self.service)
        reservation.confirm()
        self.assertTrue(reservation.confirmed)

    def tset_restock(self):
        """Restocking refreshes the store."""
        self.service.store.refresh()

    def test_not_written_yet(self):
        """Cancelling a reservation returns its items."""
        pass

    def _wait_until_restocked(self, attempts):
        while self.fake_store.count("widget") == 0:
            time.sleep(0.5)
