"""The worker's composition root (as app/main.py is the API's): every module that declares job
kinds or periodic tasks, and the services jobs share. Add your module to JOB_MODULES."""

import importlib
from typing import Any

from app.core.settings import Settings
from app.worker.registry import Registry, registry

JOB_MODULES = (
    "app.worker.housekeeping",
    "app.mail.jobs",
    "app.autoinvoicing.tasks",
    "app.requests.delivery",
    "app.requests.red_letter",
    "app.requests.issuing",
    "app.webhooks.delivery",
)


def load_registry() -> Registry:
    for module in JOB_MODULES:
        importlib.import_module(module)
    return registry


def services(settings: Settings) -> dict[str, Any]:
    from app.mail.transport import mailer_from_settings

    return {"mailer": mailer_from_settings(settings)}
