"""Fraud signals on joins (FRAUD_CHECKS): each join records its client address (as the proxy
settings say: TRUSTED_PROXY_COUNT), the /24 (IPv4) or /64 (IPv6) it belongs to, and a hash of
its user agent. A referral is `suspect` — it does not count until an admin approves it — when the
friend joins from the referrer's own address, or when more than FRAUD_MAX_JOINS_PER_NETWORK joins
came from the friend's network in the last hour."""

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from titan.common.types import utcnow
from titan.extensions import db
from titan.members.models import User

SAME_ADDRESS = "same_address"
NETWORK_BURST = "network_burst"
BURST_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Client:
    """Where a join came from (the route reads it from the request)."""

    address: str | None
    user_agent: str | None = None


def network_of(address):
    """`203.0.113.0/24` or `2001:db8:1:2::/64`; None for no (or an unparsable) address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:  # an IPv4 client seen through an IPv6 socket
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def agent_hash(user_agent):
    if not user_agent:
        return None
    return hashlib.sha256(user_agent.encode("utf-8", "replace")).hexdigest()[:16]


def join_columns(client):
    """The columns a new member's join records (none with FRAUD_CHECKS off)."""
    if client is None or not current_app.config["FRAUD_CHECKS"]:
        return {}
    return {
        "join_address": client.address,
        "join_network": network_of(client.address),
        "join_agent_hash": agent_hash(client.user_agent),
    }


def referral_flag(referrer, client):
    """Why a referral through `referrer` from `client` is suspect, or None."""
    if client is None or not current_app.config["FRAUD_CHECKS"] or not client.address:
        return None
    if referrer.join_address and referrer.join_address == client.address:
        return SAME_ADDRESS
    network = network_of(client.address)
    if network is not None:
        recent = db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.join_network == network, User.created_at > utcnow() - BURST_WINDOW)
        )
        if recent >= current_app.config["FRAUD_MAX_JOINS_PER_NETWORK"]:
            return NETWORK_BURST
    return None
