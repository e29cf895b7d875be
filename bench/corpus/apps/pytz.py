"""pytz: localising and converting datetimes across zones from its zone files."""
# dists: pytz
import datetime

import pytz

ny = pytz.timezone("America/New_York")
d = ny.localize(datetime.datetime(2024, 3, 10, 1, 30))
print(d, d.tzname(), (d + datetime.timedelta(hours=1)).tzname())
print(ny.normalize(d + datetime.timedelta(hours=1)))
print(d.astimezone(pytz.timezone("Asia/Kolkata")), pytz.utc.localize(datetime.datetime(2000, 1, 1)))
print(len(pytz.all_timezones) > 400, "Europe/Oslo" in pytz.common_timezones)
