"""The one way Titan calls an outside HTTP service: a base URL from settings and a timeout."""

import logging

import requests
from flask import current_app

log = logging.getLogger(__name__)


class OutboundError(Exception):
    """The outside service failed, timed out, or answered something we cannot use."""


def call(service, base_url_setting, method, path, **kwargs):
    url = current_app.config[base_url_setting].rstrip("/") + path
    kwargs.setdefault("timeout", current_app.config["OUTBOUND_TIMEOUT_SECONDS"])
    try:
        response = requests.request(method, url, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else {}
    except (requests.RequestException, ValueError) as error:
        log.warning("%s call failed: %s", service, error.__class__.__name__)
        raise OutboundError(f"{service} unavailable") from error
