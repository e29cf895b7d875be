"""tzdata with zoneinfo: time zones from the tzdata package only (the system's zone files unused)."""
# dists: tzdata
import datetime

import zoneinfo

zoneinfo.reset_tzpath(to=[])
for name in ("Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "UTC"):
    z = zoneinfo.ZoneInfo(name)
    d = datetime.datetime(2024, 7, 1, 12, tzinfo=z)
    print(name, d.utcoffset(), d.tzname(), datetime.datetime(2024, 1, 1, tzinfo=z).tzname())
print("Asia/Tokyo" in zoneinfo.available_timezones())
import tzdata

print(tzdata.IANA_VERSION[:2])
