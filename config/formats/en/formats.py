"""Date and time formats for English: times carry seconds and the zone's abbreviation, so a time read on any
screen (the admin shows each organization's times in its own zone) says which zone it is in."""

DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
