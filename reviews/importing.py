"""Reading a file of reviews: CSV or XLSX with a header row, or JSON lines (one object a line)."""

import json
from pathlib import Path

import tablib

from customers.importing import ROW_PROBLEM, ImportFileInvalid, dataset_read


def reviews_dataset_read(path: Path) -> tablib.Dataset:
    """The rows of the file; for JSON lines, row n is line n and a line that is not an object is a
    row with a problem, reported on its line."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".xlsx"):
        return dataset_read(path)
    if suffix not in (".jsonl", ".ndjson"):
        raise ImportFileInvalid("use a .xlsx, .csv or .jsonl file")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ImportFileInvalid(f"The file is not UTF-8 text (byte {exc.start}).") from exc
    objects = [_json_object(line) for line in lines]
    headers = list(dict.fromkeys(key for value, _problem in objects for key in value))
    dataset = tablib.Dataset(headers=[*headers, ROW_PROBLEM])
    for value, problem in objects:
        dataset.append([*(value.get(key) for key in headers), problem])
    return dataset


def _json_object(line: str) -> tuple[dict, str]:
    if not line.strip():
        return {}, ""
    try:
        value = json.loads(line)
    except ValueError as exc:
        return {}, f"not valid JSON: {exc.msg}"
    return (value, "") if isinstance(value, dict) else ({}, "not a JSON object")
