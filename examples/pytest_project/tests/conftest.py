import pytest


@pytest.fixture
def order_book():
    """An empty order book."""
    return {}


@pytest.fixture
def session(mocker):
    return mocker.MagicMock()
