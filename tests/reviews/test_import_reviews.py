"""import_reviews: CSV and JSON lines, progress, per-row error report; bad rows do not stop good ones."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reviews.models import Review
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def run(path, *args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_reviews", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_csv_import_reports_bad_rows_and_imports_the_rest(tmp_path):
    ProductFactory(sku="TAZA-01")
    path = tmp_path / "reviews.csv"
    path.write_text(
        "\ufeffsource,external_id,rating,title,body,product_sku,language\n"
        "amazon,A1,5,Genial,Me encanta,TAZA-01,es\n"
        "amazon,A2,7,Mal,Rating fuera de rango,,es\n"
        "amazon,A3,2,,Llegó rota,NOPE,es\n"
        "amazon,A4,4,Good,Nice mug,,en\n",
        encoding="utf-8",
    )
    errors_file = tmp_path / "errors.csv"

    out, err = run(path, "--errors-file", str(errors_file))

    assert set(Review.objects.values_list("external_id", flat=True)) == {"A1", "A4"}
    assert "2 reviews created, 0 updated, 2 rows rejected." in out
    assert "line 3: rating" in err and "line 4: product_sku" in err
    assert "100%" in err
    assert errors_file.read_text().splitlines()[0] == "line,field,message"


def test_jsonl_import_is_idempotent_and_reports_unreadable_lines(tmp_path):
    path = tmp_path / "reviews.jsonl"
    lines = [json.dumps({"source": "own_site", "external_id": "J1", "rating": 4, "body": "Bien"}), "{oops", "[1]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    first, err = run(path)
    second, _ = run(path)

    assert "1 reviews created, 0 updated, 2 rows rejected." in first
    assert "0 reviews created, 1 updated" in second
    assert "line 2: not valid JSON" in err and "line 3: not a JSON object" in err
    assert Review.objects.count() == 1


def test_an_unsupported_or_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.csv")
    (tmp_path / "reviews.xml").write_text("<x/>")
    with pytest.raises(CommandError, match=".csv or .jsonl"):
        run(tmp_path / "reviews.xml")
