"""Money: decimal strings in major units <-> integer minor units per ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ticketing.services import money
from ticketing.services.money import MoneyError


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("23.00", "EUR", 2300),
        ("23", "EUR", 2300),
        ("23.5", "EUR", 2350),
        ("0.01", "USD", 1),
        ("0", "EUR", 0),
        ("-0.00", "EUR", 0),
        (" 7.10 ", "GBP", 710),
        ("2300", "JPY", 2300),
        ("1.500", "KWD", 1500),
        ("1.5", "KWD", 1500),
        ("0.001", "BHD", 1),
        ("1.2345", "CLF", 12345),
        ("10000000.00", "EUR", money.MAX_AMOUNT_MINOR),
    ],
)
def test_parse_amount_to_minor_units(text, currency, minor):
    assert money.parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("1.234", "EUR", "precision"),
        ("1.0", "JPY", "precision"),  # yen have no cents, even zero ones
        ("2300.00", "JPY", "precision"),
        ("1.0001", "KWD", "precision"),
        ("-1", "EUR", "negative"),
        ("-0.01", "EUR", "negative"),
        ("NaN", "EUR", "format"),
        ("-NaN", "EUR", "format"),
        ("Infinity", "EUR", "format"),
        ("inf", "EUR", "format"),
        ("1e3", "EUR", "format"),
        ("1,00", "EUR", "format"),
        ("1 000", "EUR", "format"),
        (".5", "EUR", "format"),
        ("5.", "EUR", "format"),
        ("+5", "EUR", "format"),
        ("", "EUR", "format"),
        ("   ", "EUR", "format"),
        ("０１", "EUR", "format"),  # full-width digits are not ASCII digits
        ("0x10", "EUR", "format"),
        ("1" * 50, "EUR", "format"),
        ("10000000.01", "EUR", "too_large"),
        ("99999999999999999999", "JPY", "too_large"),
        ("1.00", "XXX", "currency"),
        ("1.00", "EURO", "currency"),
    ],
)
def test_parse_amount_refuses(text, currency, reason):
    with pytest.raises(MoneyError) as err:
        money.parse_amount(text, currency)
    assert err.value.reason == reason


@pytest.mark.parametrize("value", [23, 23.0, None, b"23.00", Decimal("23")])
def test_parse_amount_takes_only_strings(value):
    with pytest.raises(MoneyError) as err:
        money.parse_amount(value, "EUR")
    assert err.value.reason == "format"


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (Decimal("NaN"), "format"),
        (Decimal("sNaN"), "format"),
        (Decimal("Infinity"), "format"),
        (Decimal("-Infinity"), "format"),
        (Decimal("-0.50"), "negative"),
        (Decimal("0.001"), "precision"),
        (Decimal("1E+30"), "too_large"),
        (1.5, "format"),  # floats never become money
    ],
)
def test_to_minor_refuses(amount, reason):
    with pytest.raises(MoneyError) as err:
        money.to_minor(amount, "EUR")
    assert err.value.reason == reason


def test_to_minor_accepts_decimals_and_respects_a_custom_ceiling():
    assert money.to_minor(Decimal("12.34"), "EUR") == 1234
    assert money.to_minor(Decimal("1E+2"), "JPY") == 100
    assert money.to_minor(Decimal("5.00"), "EUR", max_minor=500) == 500
    with pytest.raises(MoneyError) as err:
        money.to_minor(Decimal("5.01"), "EUR", max_minor=500)
    assert err.value.reason == "too_large"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (2300, "EUR", "23.00"),
        (5, "EUR", "0.05"),
        (0, "EUR", "0.00"),
        (-150, "EUR", "-1.50"),  # refunds are negative amounts
        (2300, "JPY", "2300"),
        (0, "JPY", "0"),
        (1500, "KWD", "1.500"),
        (1, "BHD", "0.001"),
        (12345, "CLF", "1.2345"),
        (123456789012, "USD", "1234567890.12"),  # formatting has no ceiling, and no exponent form
    ],
)
def test_format_minor(minor, currency, text):
    assert money.format_minor(minor, currency) == text


@pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD", "CLF", "USD"])
@pytest.mark.parametrize("minor", [0, 1, 99, 100, 2300, 123_457, money.MAX_AMOUNT_MINOR])
def test_format_then_parse_round_trips(minor, currency):
    assert money.parse_amount(money.format_minor(minor, currency), currency) == minor


def test_from_minor_has_the_currency_scale():
    assert money.from_minor(2300, "EUR") == Decimal("23.00")
    assert str(money.from_minor(2300, "EUR")) == "23.00"
    assert str(money.from_minor(7, "KWD")) == "0.007"
    assert str(money.from_minor(2300, "JPY")) == "2300"


def test_normalize_currency():
    assert money.normalize_currency(" eur ") == "EUR"
    assert money.exponent("jpy") == 0 and money.exponent("KWD") == 3 and money.exponent("EUR") == 2
    for bad in ["", "EU", "EURO", "XAU", "123", None, 978]:
        with pytest.raises(MoneyError) as err:
            money.normalize_currency(bad)
        assert err.value.reason == "currency"
