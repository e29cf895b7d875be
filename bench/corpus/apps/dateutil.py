"""python-dateutil: parsing, relative deltas, recurrence rules and time zones (with its own zone data)."""
# dists: python-dateutil, six
import datetime

from dateutil import parser, rrule, tz
from dateutil.relativedelta import relativedelta
from dateutil.zoneinfo import get_zonefile_instance

print(parser.parse("Thu, 29 Feb 2024 13:45:00 +0100"), parser.parse("March 3rd 2021 5pm", fuzzy=True))
print(datetime.date(2024, 1, 31) + relativedelta(months=+1), relativedelta(years=1, days=-3))
print(list(rrule.rrule(rrule.WEEKLY, count=4, byweekday=(rrule.MO, rrule.FR),
                       dtstart=datetime.datetime(2024, 1, 1))))
z = get_zonefile_instance().get("Europe/Paris")
print(datetime.datetime(2024, 7, 1, 12, tzinfo=z).utcoffset(), z is not None)
print(datetime.datetime(2024, 1, 1, tzinfo=tz.tzoffset("X", 3600)).isoformat(), tz.UTC)
