"""Money: Decimal major units <-> integer minor units per ISO 4217 currency.

Amounts are stored as integers in the currency's minor unit (cents for EUR, yen for JPY, fils
for KWD) and travel through the API as decimal strings in major units ("23.00", "2300", "1.500").
Parsing is strict: a plain non-negative decimal with at most as many fractional digits as the
currency has; no signs, exponents, separators, NaN or infinity, and nothing absurdly large.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Minor-unit exponent of every active ISO 4217 currency that has one (precious metals, SDR and
# test codes have none and cannot price a ticket). Unlisted here means "not a currency we take".
_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
    "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP "
    "LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR "
    "NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR "
    "ZMW ZWG"
)
CURRENCY_EXPONENTS: dict[str, int] = {
    **{code: 2 for code in _TWO_DECIMALS.split()},
    **{code: 0 for code in _ZERO_DECIMALS.split()},
    **{code: 3 for code in _THREE_DECIMALS.split()},
    **{code: 4 for code in _FOUR_DECIMALS.split()},
}

# The amount columns are 32-bit integers; one price stays well below that so that sums of a few
# items do not come near it either. 1e9 minor units = 10,000,000.00 EUR or 1,000,000.000 KWD.
MAX_AMOUNT_MINOR = 1_000_000_000

_AMOUNT_RE = re.compile(r"([0-9]+)(?:\.([0-9]+))?")  # ASCII digits only


class MoneyError(ValueError):
    """An amount or currency that cannot be accepted.

    `reason` is one of: currency, format, negative, precision, too_large.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def normalize_currency(code: str) -> str:
    """The ISO 4217 code in upper case ("eur" -> "EUR"); MoneyError("currency") otherwise."""
    if not isinstance(code, str):
        raise MoneyError("currency", "The currency must be a 3-letter ISO 4217 code.")
    upper = code.strip().upper()
    if upper not in CURRENCY_EXPONENTS:
        raise MoneyError("currency", f"{code!r} is not an ISO 4217 currency code we accept.")
    return upper


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (EUR 2, JPY 0, KWD 3)."""
    return CURRENCY_EXPONENTS[normalize_currency(currency)]


def to_minor(amount: Decimal, currency: str, *, max_minor: int = MAX_AMOUNT_MINOR) -> int:
    """Integer minor units of a non-negative Decimal amount in major units.

    Refuses NaN/infinity, negatives, more fractional digits than the currency has (even zeros:
    "2300.00" JPY means the caller believes yen have cents) and amounts above `max_minor`.
    """
    if not isinstance(amount, Decimal):
        raise MoneyError("format", "The amount must be a decimal number.")
    if not amount.is_finite():
        raise MoneyError("format", "The amount must be a finite number.")
    if amount.is_signed() and amount != 0:
        raise MoneyError("negative", "The amount cannot be negative.")
    places = exponent(currency)
    decimals = max(0, -int(amount.as_tuple().exponent))
    if decimals > places:
        raise MoneyError(
            "precision", f"{normalize_currency(currency)} amounts have at most {places} decimal place(s)."
        )
    if amount.adjusted() > 18:  # keep the scaling below exact and cheap
        raise MoneyError("too_large", "The amount is too large.")
    minor = int(amount.scaleb(places))
    if minor > max_minor:
        limit = format_minor(max_minor, currency)
        raise MoneyError("too_large", f"The amount cannot exceed {limit} {normalize_currency(currency)}.")
    return minor


def parse_amount(text: str, currency: str, *, max_minor: int = MAX_AMOUNT_MINOR) -> int:
    """Minor units of a decimal string in major units ("23.50" EUR -> 2350).

    Accepts digits with an optional "." and fraction, surrounding blanks ignored.
    """
    if not isinstance(text, str):
        raise MoneyError("format", 'Give the amount as a decimal string, for example "23.00".')
    body = text.strip()
    if body.startswith("-") and _AMOUNT_RE.fullmatch(body[1:]):
        if Decimal(body[1:]) != 0:
            raise MoneyError("negative", "The amount cannot be negative.")
        body = body[1:]
    if len(body) > 40 or not _AMOUNT_RE.fullmatch(body):
        raise MoneyError("format", f'{text!r} is not an amount; write it like "23.00".')
    try:
        value = Decimal(body)
    except InvalidOperation as exc:  # unreachable after the regex, kept as a guard
        raise MoneyError("format", f"{text!r} is not an amount.") from exc
    return to_minor(value, currency, max_minor=max_minor)


def from_minor(minor: int, currency: str) -> Decimal:
    """The Decimal amount in major units, with exactly the currency's decimal places."""
    places = exponent(currency)
    return Decimal(int(minor)).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def format_minor(minor: int, currency: str) -> str:
    """The API form of an amount: "23.00" (EUR 2300), "2300" (JPY 2300), "1.500" (KWD 1500)."""
    return f"{from_minor(minor, currency):f}"
