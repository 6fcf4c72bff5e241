"""The licence is stated, and every asset and model Voz ships is accounted for in THIRD_PARTY.md."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_project_is_apache_2_and_the_readme_says_so():
    licence = (ROOT / "LICENSE").read_text()

    assert licence.lstrip().startswith("Apache License\n                           Version 2.0, January 2004")
    assert "END OF TERMS AND CONDITIONS" in licence and "9. Accepting Warranty or Additional Liability" in licence
    assert "Apache License, Version 2.0" in (ROOT / "README.md").read_text()


def test_every_bundled_asset_model_and_training_set_is_listed_with_its_licence():
    listed = (ROOT / "THIRD_PARTY.md").read_text()
    package = json.loads((ROOT / "package.json").read_text())

    for name, version in package["dependencies"].items():
        assert version in listed, f"{name} {version} is served but not in THIRD_PARTY.md"
    for artefact in (ROOT / "sentiment" / "artifacts").glob("*.npz"):
        assert artefact.name in listed, f"{artefact.name} is shipped but not in THIRD_PARTY.md"
    for data_set in ("UMSAB", "OpeNER", "Sentiment Labelled Sentences", "voz_ecommerce_train", "Written set"):
        assert data_set in listed
    for source in ("multilingual-e5-small", "spacy-lookups-data", "htmx", "Chart.js"):
        assert source in listed
