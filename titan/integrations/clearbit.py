"""Clearbit's combined enrichment: a person's public name, company, location and avatar."""

from flask import current_app

from titan.integrations.http import OutboundError, call


def is_enabled():
    return bool(current_app.config.get("CLEARBIT_API_KEY"))


def find_profile(email):
    """The public profile for `email` (keys: first_name, last_name, company, location, avatar_url).

    Empty when Clearbit knows nobody; raises OutboundError when Clearbit fails.
    """
    try:
        body = call(
            "clearbit",
            "CLEARBIT_BASE_URL",
            "GET",
            "/v2/combined/find",
            params={"email": email},
            headers={"Authorization": f"Bearer {current_app.config['CLEARBIT_API_KEY']}"},
        )
    except OutboundError as error:
        # 404 means "no such person", which is an answer, not a failure.
        response = getattr(error.__cause__, "response", None)
        if response is not None and response.status_code == 404:
            return {}
        raise
    person = body.get("person") or {}
    company = body.get("company") or {}
    name = person.get("name") or {}
    profile = {
        "first_name": name.get("givenName"),
        "last_name": name.get("familyName"),
        "company": company.get("name") or (person.get("employment") or {}).get("name"),
        "location": person.get("location"),
        "avatar_url": person.get("avatar"),
    }
    return {key: str(value)[: 200 if key != "avatar_url" else 500] for key, value in profile.items() if value}
