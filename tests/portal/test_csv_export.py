"""One CSV helper for every export: formula cells neutralised, streamed, safe file names."""

import csv
import io

import pytest

from portal.csv_export import cell, csv_response


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_a_cell_that_would_run_as_a_formula_becomes_text(value):
    assert cell(value) == "'" + value


@pytest.mark.parametrize(("value", "expected"), [("Resin", "Resin"), (None, ""), (12, "12")])
def test_other_cells_are_left_as_they_are(value, expected):
    assert cell(value) == expected


def test_the_response_streams_an_attachment_with_a_safe_name():
    response = csv_response([["title"], ["=evil()"]], 'bad"name\r\n.csv')

    body = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == [["title"], ["'=evil()"]]
    assert response["Content-Disposition"] == 'attachment; filename="badname.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
