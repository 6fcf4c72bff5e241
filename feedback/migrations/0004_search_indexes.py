from django.db import migrations

# The expressions match what django.contrib.postgres.search.SearchVector("text", config=…)
# compiles to, so the planner uses these indexes for feedback.selectors.feedback_search.
INDEXES = [
    ("feedback_search_es", "spanish", "language = 'es'"),
    ("feedback_search_en", "english", "language = 'en'"),
    ("feedback_search_other", "simple", "NOT (language IN ('es', 'en'))"),
]


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # the embedded SQLite default searches with a plain substring match
    for name, config, condition in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON feedback_feedbackitem "
            f"USING gin (to_tsvector('{config}'::regconfig, COALESCE(text, ''))) WHERE {condition}"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("feedback", "0003_feedbackitem_topics")]

    operations = [migrations.RunPython(create_search_indexes, drop_search_indexes)]
