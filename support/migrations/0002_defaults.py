from datetime import date, time, timedelta

from django.db import migrations

# Spanish national holidays that fall on the same date every year.
HOLIDAYS = [
    (1, 1, "Año Nuevo"),
    (1, 6, "Reyes"),
    (5, 1, "Día del Trabajo"),
    (8, 15, "Asunción"),
    (10, 12, "Fiesta Nacional"),
    (11, 1, "Todos los Santos"),
    (12, 6, "Constitución"),
    (12, 8, "Inmaculada"),
    (12, 25, "Navidad"),
]
# name, position, priorities, first response, next response, resolution, default
POLICIES = [
    ("Urgente", 10, ["urgent"], timedelta(hours=1), timedelta(hours=2), timedelta(hours=8), False),
    ("Alta", 20, ["high"], timedelta(hours=4), timedelta(hours=4), timedelta(hours=24), False),
    ("Normal", 30, ["normal"], timedelta(hours=8), timedelta(hours=8), timedelta(hours=24), False),
    ("Baja (por defecto)", 40, [], timedelta(hours=16), timedelta(hours=16), timedelta(hours=40), True),
]


def create_defaults(apps, schema_editor):
    Calendar = apps.get_model("support", "BusinessCalendar")
    Period = apps.get_model("support", "WorkingPeriod")
    Holiday = apps.get_model("support", "Holiday")
    Team = apps.get_model("support", "Team")
    Policy = apps.get_model("support", "SLAPolicy")
    Rules = apps.get_model("support", "ComplaintRules")
    if Calendar.objects.exists():
        return
    calendar = Calendar.objects.create(name="Horario de atención", time_zone="Europe/Madrid", is_default=True)
    for weekday in range(5):
        Period.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(14))
        Period.objects.create(calendar=calendar, weekday=weekday, start=time(15), end=time(18))
    for month, day, name in HOLIDAYS:
        Holiday.objects.create(calendar=calendar, date=date(2026, month, day), name=name, repeats_yearly=True)
    Team.objects.get_or_create(slug="atencion-al-cliente", defaults={"name": "Atención al cliente"})
    for name, position, priorities, first, following, resolution, is_default in POLICIES:
        Policy.objects.create(
            name=name,
            position=position,
            priorities=priorities,
            first_response=first,
            next_response=following,
            resolution=resolution,
            business_hours_only=True,
            calendar=calendar,
            is_default=is_default,
        )
    Rules.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
