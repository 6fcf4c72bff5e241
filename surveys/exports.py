"""Answers exported as CSV (one row per submitted survey, one column per question) or NDJSON (one
JSON object per line, as the API shows it), produced while the rows are read so that a year of
answers never sits in memory at once."""

import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from surveys.models import Answer, Response
from surveys.selectors import question_codes

CSV_COLUMNS = ["id", "survey", "submitted_at", "language", "customer", "order", "score", "score_question"]
CHUNK_SIZE = 1000


class _Echo:
    def write(self, value: str) -> str:
        return value


def answer_value(answer: Answer) -> int | str | list[str]:
    if answer.number is not None:
        return answer.number
    if answer.question.has_choices:
        return answer.choices
    return answer.text


def response_as_dict(response: Response) -> dict:
    """One submitted survey as the API and the NDJSON export show it."""
    return {
        "id": response.pk,
        "survey": response.survey.slug,
        "submitted_at": response.submitted_at.isoformat().replace("+00:00", "Z"),
        "language": response.language,
        "customer": response.customer.external_id if response.customer_id else None,
        "order": response.order.external_id if response.order_id else None,
        "score": response.score,
        "score_question": response.score_question,
        "answers": [
            {
                "question": answer.question.code,
                "kind": answer.question.kind,
                "number": answer.number,
                "text": answer.text,
                "choices": answer.choices,
            }
            for answer in response.answers.all()
        ],
    }


def answers_csv_lines(responses: QuerySet[Response]) -> Iterator[str]:
    codes = question_codes(responses)
    writer = csv.writer(_Echo())
    yield "\ufeff"  # spreadsheet programs need the byte order mark to read UTF-8
    yield writer.writerow(CSV_COLUMNS + codes)
    for response in responses.iterator(chunk_size=CHUNK_SIZE):
        row = response_as_dict(response)
        values = {answer.question.code: answer_value(answer) for answer in response.answers.all()}
        yield writer.writerow(
            [row[column] if row[column] is not None else "" for column in CSV_COLUMNS]
            + ["; ".join(v) if isinstance(v := values.get(code, ""), list) else v for code in codes]
        )


def answers_ndjson_lines(responses: QuerySet[Response]) -> Iterator[str]:
    for response in responses.iterator(chunk_size=CHUNK_SIZE):
        yield json.dumps(response_as_dict(response), ensure_ascii=False) + "\n"


FORMATS = {
    "csv": (answers_csv_lines, "text/csv; charset=utf-8"),
    "ndjson": (answers_ndjson_lines, "application/x-ndjson; charset=utf-8"),
}


def answers_export_response(responses: QuerySet[Response], *, file_format: str, request=None) -> StreamingHttpResponse:
    from core.audit import audit

    lines, content_type = FORMATS[file_format]
    audit(
        f"export.answers_{file_format}",
        summary=request.META.get("QUERY_STRING", "")[:500] if request is not None else "",
    )
    response = StreamingHttpResponse(lines(responses), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="voz-answers-{timezone.localdate():%Y%m%d}.{file_format}"'
    return response
