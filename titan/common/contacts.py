"""E-mail addresses and phone numbers, normalised so that one person has one place."""

import phonenumbers
from disposable_email_domains import blocklist as disposable_domains
from email_validator import EmailNotValidError, validate_email

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
UNAVAILABLE_EMAIL_MESSAGE = "Registration at this email address is not available"
# Numbers a text message may go to: premium-rate, shared-cost, toll-free, pager, VoIP, personal and
# fixed-line numbers are refused (SMS pumping bills the sender for texts to numbers that pay back).
TEXTABLE_NUMBER_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
NOT_A_MOBILE_MESSAGE = "Enter a mobile phone number: codes are only sent by text message."


def normalise_email(raw):
    """Syntax-check an address and return it lower-cased, as stored. Raises ValueError."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return result.normalized.lower()


def email_identity(email):
    """The key that says two addresses reach the same person (Gmail ignores dots and +tags)."""
    local, _, domain = email.lower().rpartition("@")
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def is_disposable(email):
    domain = email.rpartition("@")[2].lower()
    parts = domain.split(".")
    # A subdomain of a disposable domain is disposable too.
    return any(".".join(parts[i:]) in disposable_domains for i in range(len(parts) - 1))


def normalise_phone(raw, default_region):
    """Parse a phone number and return it in E.164 (`+79174445566`). Raises ValueError."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise ValueError("Enter a valid phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Enter a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164):
    """Can a text go to this number (E.164)? Only if phonenumbers classes it as mobile, or as
    fixed-line-or-mobile where the numbering plan cannot tell them apart (as in the US)."""
    return phonenumbers.number_type(phonenumbers.parse(e164)) in TEXTABLE_NUMBER_TYPES
