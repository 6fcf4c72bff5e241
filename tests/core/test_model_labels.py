"""Every label the admin shows for our own models follows the person's language.

Django derives a field's label from its attribute name when none is given ("started_at" becomes
"started at"), and that label is never translated: the Spanish admin then shows English column
headings, filters and form labels. So every field of our own apps (concrete fields and
many-to-many ones; the reverse sides Django adds carry no label of their own) and every model's
singular and plural name must be a lazy translation, and the Spanish catalogue must translate it.
A failure names `app.Model.field` (or `app.Model.Meta.verbose_name`).
"""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

REPOSITORY = Path(settings.BASE_DIR).resolve()

# Labels spelt the same in both languages, where an unchanged Spanish text is right.
SAME_IN_SPANISH = {"cursor", "endpoint", "error", "SKU", "total", "URL"}


def own_app_configs():
    """The apps whose code lives in this repository (not Django's, nor installed packages')."""
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if REPOSITORY in path.parents and not {".venv", "site-packages"} & set(path.parts):
            yield config


def labels():
    """(name, label) for every model name and field label of our own apps."""
    for config in own_app_configs():
        for model in config.get_models():
            name = f"{config.label}.{model.__name__}"
            for option in ("verbose_name", "verbose_name_plural"):
                # original_attrs holds what Meta declared; the computed option falls back to an
                # English name built from the class name.
                yield f"{name}.Meta.{option}", model._meta.original_attrs.get(option)
            for field in model._meta.get_fields(include_parents=False):
                if field.auto_created and not field.concrete:
                    continue  # a reverse relation: its label is the other model's
                if field.auto_created and field.primary_key:
                    continue  # the implicit id
                yield f"{name}.{field.name}", field.verbose_name


def test_the_project_has_models_to_check():
    names = {config.label for config in own_app_configs()}
    assert {"core", "customers", "feedback", "support", "analytics", "integrations"} <= names


def test_every_model_and_field_label_is_translatable():
    untranslatable = [name for name, label in labels() if not isinstance(label, Promise)]
    assert not untranslatable, "labels not marked for translation (verbose_name=_(...)):\n" + "\n".join(untranslatable)


def test_every_label_has_a_spanish_translation():
    with translation.override("en"):
        english = {name: str(label) for name, label in labels() if isinstance(label, Promise)}
    with translation.override("es"):
        spanish = {name: str(label) for name, label in labels() if isinstance(label, Promise)}
    untranslated = sorted(
        f"{name}: {text!r}" for name, text in english.items() if spanish[name] == text and text not in SAME_IN_SPANISH
    )
    assert not untranslated, "labels with no Spanish translation in locale/es:\n" + "\n".join(untranslated)
