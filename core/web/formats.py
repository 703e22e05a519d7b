"""Amounts as the reader's language writes them: ₩12,000 in English, 12,000원 in Korean."""

from django.utils import translation


def money(amount: int, currency: str = "KRW") -> str:
    number = f"{abs(amount):,}"
    sign = "-" if amount < 0 else ""
    if currency != "KRW":
        return f"{sign}{number} {currency}"
    if (translation.get_language() or "").startswith("ko"):
        return f"{sign}{number}원"
    return f"{sign}₩{number}"
