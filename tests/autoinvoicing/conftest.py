"""Automatic-invoicing tests: each starts and ends with no account enabled in the shared database."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from tests.autoinvoicing.helpers import disable_everyone


@pytest.fixture(autouse=True)
async def _only_this_tests_accounts(app: FastAPI) -> AsyncIterator[None]:
    await disable_everyone(app)
    yield
    await disable_everyone(app)
