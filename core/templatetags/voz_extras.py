from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if mapping else ""


@register.filter
def business_duration(value) -> str:
    """A timedelta as "2 h 15 min" (absolute value: the template says whether it is left or overdue)."""
    if value is None:
        return ""
    minutes = int(abs(value.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


@register.filter
def percent_signs(value) -> str:
    """A `_("… % …")` argument as people read it: Django doubles % in translatable template
    literals for the catalogue and only {% translate %} undoes it, so "95 %% interval" would show."""
    return str(value).replace("%%", "%")
