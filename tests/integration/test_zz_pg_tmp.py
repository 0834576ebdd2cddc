import pytest
from tests.integration.test_console_scope import *  # noqa
from tests.integration.test_console_cases import *  # noqa
from tests.integration.test_open311 import *  # noqa


@pytest.fixture
def db_url(postgres_url):
    return postgres_url
