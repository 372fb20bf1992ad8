"""English display formats: one unambiguous date-time format, "8 Dec 2026, 14:05".

Django's own English formats mix "Dec. 8, 2026, 2:05 p.m." and "12/08/2026" (read as 12 August
in most of Europe). Every page, e-mail and report shows dates through ``core.dates``, which uses
DATETIME_FORMAT and DATE_FORMAT below; the SHORT_* names say the same so that a stray
``|date:"SHORT_DATETIME_FORMAT"`` cannot bring a second format back. Input formats are Django's.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1  # Monday: the desks are European, and the change calendar starts on Monday
