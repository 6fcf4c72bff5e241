"""Imports of shop files (customers, orders, reviews) through django-import-export.

The library reads a file into a tablib Dataset and drives its rows, in the admin (a dry run to
preview, then the import) and in the import commands alike. Our resources (``ServiceResource``)
write every row through the domain's services, so an import obeys the rules the API obeys; a row
the services or the checks refuse is reported by line and column and skipped while the rest of the
file is imported. A file that cannot be read at all, or lacks a required column, imports nothing.
"""

import csv
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from io import StringIO
from pathlib import Path

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext
from import_export.formats import base_formats
from import_export.resources import ModelResource
from import_export.results import Result, RowResult

from core.exceptions import ApplicationError

# The column our CSV reader adds to say what was wrong with a row as read (too many cells, not a
# JSON object…); the parentheses keep it apart from any column a shop may name.
ROW_PROBLEM = "(row problem)"


class ImportFileInvalid(ApplicationError):
    """The file as a whole cannot be imported: unreadable, not UTF-8, or required columns missing."""

    code = "import_file_invalid"


class ShopCSV(base_formats.CSV):
    """CSV as shops export it: UTF-8 with or without a byte order mark, comma or semicolon separated.

    Unlike tablib's reader, which refuses a whole file for one row longer than the header, a long
    row is kept and flagged, so it is reported on its line; a blank line stays a (blank) row, so row
    numbers stay line numbers.
    """

    def create_dataset(self, in_stream) -> tablib.Dataset:
        text = in_stream.decode("utf-8-sig") if isinstance(in_stream, bytes) else in_stream.removeprefix("\ufeff")
        header_line = text.partition("\n")[0]
        if not header_line.strip():
            raise ImportFileInvalid(gettext("The file is empty; a header row is required."))
        # No column name contains a comma or a semicolon, so the header alone tells the delimiter reliably.
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        reader = csv.reader(StringIO(text), delimiter=delimiter)
        try:
            header = next(reader)
            dataset = tablib.Dataset(headers=[*header, ROW_PROBLEM])
            for cells in reader:
                extra = len(cells) - len(header)
                problem = (
                    gettext(
                        "The row has %(count)d more value(s) than the header has columns; quote any value "
                        "that contains the delimiter."
                    )
                    % {"count": extra}
                    if extra > 0
                    else ""
                )
                dataset.append([*cells[: len(header)], *[""] * -extra, problem])
        except csv.Error as exc:
            raise ImportFileInvalid(
                gettext("Line %(line)d is not valid CSV: %(error)s.") % {"line": reader.line_num, "error": exc}
            ) from exc
        return dataset


IMPORT_FORMATS = [ShopCSV, base_formats.XLSX]
EXPORT_FORMATS = [base_formats.CSV, base_formats.XLSX]


def dataset_read(path: Path) -> tablib.Dataset:
    """The rows of a CSV or, by its extension, an XLSX file; ImportFileInvalid if it cannot be read."""
    data = path.read_bytes()
    if path.suffix.lower() == ".xlsx":
        try:
            return base_formats.XLSX().create_dataset(data)
        except Exception as exc:  # openpyxl raises a zoo of types for a damaged workbook
            raise ImportFileInvalid(
                gettext("The file is not a readable XLSX workbook (%(error)s).") % {"error": type(exc).__name__}
            ) from exc
    try:
        return ShopCSV().create_dataset(data)
    except UnicodeDecodeError as exc:
        raise ImportFileInvalid(gettext("The file is not UTF-8 text (byte %(byte)d).") % {"byte": exc.start}) from exc


def cell_text(value) -> str:
    """A cell as the text a CSV would hold: spreadsheets give numbers and dates as such."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def row_rejected(errors: dict[str, list[str]]) -> ValidationError:
    """The error that marks a row invalid; the column "" is the row as a whole."""
    return ValidationError({column or NON_FIELD_ERRORS: messages for column, messages in errors.items()})


def duplicate_columns_check(headers: list[str], columns) -> None:
    duplicates = sorted({name for name in headers if name in columns and headers.count(name) > 1})
    if duplicates:
        raise ImportFileInvalid(
            gettext("These columns appear more than once in the header: %(columns)s.")
            % {"columns": ", ".join(duplicates)}
        )


def rows_numbered(dataset: tablib.Dataset, *, header_lines: int = 1) -> list[tuple[int, dict[str, str]]]:
    """(line, {column: text}) of every row that is not blank, numbered as the library numbers them."""
    numbered = []
    for number, cells in enumerate(dataset, 1):
        values = {name: cell_text(value) for name, value in zip(dataset.headers, cells, strict=True) if name}
        if any(values.values()):
            numbered.append((number + header_lines, values))
    return numbered


ProgressFactory = Callable[[int], object]


class ServiceResource(ModelResource):
    """A resource whose rows are stored by a domain service instead of saved as model instances.

    Subclasses implement ``row_import(values, line=...)``: store one row and return the import type
    (RowResult.IMPORT_TYPE_NEW, _UPDATE or _SKIP for unchanged) with the stored object, or raise the
    ValidationError of ``row_rejected``. They count what they store in ``self.counts``.
    ``progress(total)`` returns a progress bar (tqdm) that the resource ticks.
    """

    def __init__(self, *, progress: ProgressFactory | None = None, **kwargs):
        super().__init__(**kwargs)
        self.progress_factory = progress
        self.progress_bar = None
        self.counts: Counter[str] = Counter()

    # False where a resource ticks its progress bar per object rather than per row (an order has many rows).
    progress_per_row = True

    def header_check(self, headers: list[str]) -> None:
        """Raise ImportFileInvalid when the header cannot give a useful import."""

    def progress_total(self, dataset: tablib.Dataset) -> int:
        return len(rows_numbered(dataset))

    def row_import(self, values: dict[str, str], *, line: int) -> tuple[str, object]:
        raise NotImplementedError

    def import_data(self, dataset, **kwargs) -> Result:
        dataset.headers = [cell_text(name).lower() for name in dataset.headers or []]
        try:
            self.header_check(dataset.headers)
        except ImportFileInvalid as exc:
            result = self.get_result_class()()
            result.append_base_error(self.get_error_result_class()(exc))
            return result
        return super().import_data(dataset, **kwargs)

    def get_diff_headers(self) -> list[str]:
        return [field.column_name for field in self.get_user_visible_fields()]

    def before_import(self, dataset, **kwargs) -> None:
        self.counts.clear()
        if self.progress_factory is not None:
            self.progress_bar = self.progress_factory(self.progress_total(dataset))

    def progress_tick(self) -> None:
        if self.progress_bar is not None:
            self.progress_bar.update(1)

    def import_row(self, row, instance_loader, **kwargs) -> RowResult:
        row_result = self.get_row_result_class()()
        values = {name: cell_text(value) for name, value in row.items() if name}
        if not any(values.values()):
            # A blank line: nothing to import and nothing to report, so it has no import type.
            return row_result
        row_result.diff = [values.get(column, "") for column in self.get_diff_headers()]
        if self.progress_per_row:
            self.progress_tick()
        line = kwargs["row_number"] + kwargs.get("header_lines", 1)
        try:
            row_result.import_type, row_result.instance = self.row_import(values, line=line)
        except ValidationError as exc:
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = exc
        row_result.add_instance_info(row_result.instance)
        return row_result

    def after_import(self, dataset, result, **kwargs) -> None:
        # The services store through the ordinary sequences, so unlike ModelResource there is no
        # sequence to reset.
        result.counts = self.counts
        if self.progress_bar is not None:
            self.progress_bar.close()


@dataclass(frozen=True)
class ImportIssue:
    line: int
    column: str
    message: str


@dataclass
class ImportReport:
    """What an import did: objects created, updated and left unchanged, and the rows it rejected."""

    counts: Counter[str]
    rows_total: int = 0
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({issue.line for issue in self.issues})

    @property
    def every_row_failed(self) -> bool:
        return self.rows_total > 0 and self.rejected == self.rows_total

    def issues_by_line(self) -> list[ImportIssue]:
        return sorted(self.issues, key=lambda issue: issue.line)


def report_from_result(result: Result, *, header_lines: int = 1) -> ImportReport:
    """The report of a finished import; raises ImportFileInvalid if the file as a whole was refused."""
    if result.base_errors:
        raise result.base_errors[0].error
    totals = result.totals
    report = ImportReport(counts=getattr(result, "counts", Counter()), rows_total=sum(totals.values()))
    for row in result.invalid_rows:
        for column, messages in row.error_dict.items():
            column = "" if column == NON_FIELD_ERRORS else column
            report.issues.extend(ImportIssue(row.number + header_lines, column, message) for message in messages)
    for row in result.error_rows:
        report.issues.extend(ImportIssue(row.number + header_lines, "", str(error.error)) for error in row.errors)
    return report


def dataset_import(resource: ServiceResource, dataset: tablib.Dataset, *, header_lines: int = 1) -> ImportReport:
    """Import every row for good, each stored in its own transaction by its service, as the commands do."""
    result = resource.import_data(dataset, dry_run=False, use_transactions=False, header_lines=header_lines)
    return report_from_result(result, header_lines=header_lines)
