"""Our date and number formats (FORMAT_MODULE_PATH), looked up before Django's own.

Django's English is American (12/03/2026, "Dec. 3, 2026"). Most shops Voz serves are outside the
US, so our English is day-first, 24-hour; en_US restores Django's American formats for a shop
whose region is the US (core.middleware.RegionalFormatsMiddleware). Spanish is Django's
(03/12/2026) with a dot between thousands (1.234,5)."""
