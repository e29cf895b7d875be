"""Babel: dates, numbers, currencies and plurals formatted in several locales (CLDR data)."""
# dists: babel
import datetime

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

d = datetime.datetime(2024, 2, 29, 13, 45)
for loc in ("en_US", "de_DE", "fr_FR", "ja_JP", "ar_EG"):
    print(loc, format_date(d, format="full", locale=loc), "|",
          format_decimal(1234567.891, locale=loc), "|", format_currency(1234.5, "EUR", locale=loc))
print(format_datetime(d, "yyyy-MM-dd HH:mm zzzz", tzinfo=datetime.timezone.utc, locale="en"))
print(Locale.parse("pt_BR").display_name, Locale("ru").plural_form(3))
