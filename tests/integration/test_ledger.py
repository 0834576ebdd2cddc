"""The ledger (台帐) xlsx: CLI and web, print formatting, no identities, formula injection neutralised."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from bot.console.ledger import neutralise
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import two_cases

INJECTIONS = [
    '=HYPERLINK("http://evil.example","不动产登记中心态度差")',
    "+SUM(1,2) 不动产登记中心窗口态度差",
    "-2+3 不动产登记中心窗口让我跑了三趟",
    "@SUM(1) 不动产登记中心窗口工作人员吼人",
]


def _open311_key(app) -> str:  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["open311", "key", "create", "hotline"]).output.strip().splitlines()[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("  =1+1", "'  =1+1"),
        ("\u3000@x", "'\u3000@x"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        (" \t+1", "' \t+1"),
        ("-", "'-"),
        ("正常文字 = 1", "正常文字 = 1"),
        (12, 12),
        (None, None),
    ],
)
def test_neutralise(raw: object, expected: object) -> None:
    assert neutralise(raw) == expected


def test_the_cli_writes_a_print_ready_workbook_without_identities(app, wechat, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bdc, gaj = two_cases(wechat)
    out = tmp_path / "ledger.xlsx"
    result = app.test_cli_runner().invoke(
        args=["ledger", "export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["工单台帐", "单位汇总"]
    cases, summary = wb["工单台帐"], wb["单位汇总"]
    assert cases["A1"].value.endswith("工单台帐") and cases["A3"].value == "序号" and cases["B3"].value == "工单号"
    assert [cases.cell(row=r, column=2).value for r in (4, 5)] == [bdc, gaj]
    for ws in (cases, summary):
        assert ws.page_setup.orientation == "landscape"
        assert ws.print_title_rows == "$3:$3"
        assert ws.freeze_panes == "A4"
        assert ws.column_dimensions["B"].width >= 10
    text = " ".join(str(c.value) for row in cases.iter_rows() for c in row if c.value is not None)
    assert "139****5678" in text and "13912345678" not in text
    assert "420***********1234" in text and "420102199001011234" not in text
    assert "o_console_citizen" not in text
    header = [c.value for c in summary[3]]
    assert header[3].startswith("按时签收率") and header[4].startswith("按时答复率") and header[5] == "满意率"
    units = {summary.cell(row=r, column=2).value: summary.cell(row=r, column=3).value for r in range(4, 30)}
    assert units["市不动产登记中心"] == 1 and units["市公安局"] == 1
    empty = tmp_path / "empty.xlsx"
    result = app.test_cli_runner().invoke(
        args=["ledger", "export", "--from", "2026-01-01", "--to", "2026-01-31", "--out", str(empty)]
    )
    assert result.exit_code == 0 and "0 cases" in result.output


def test_formula_text_from_citizens_is_neutralised_in_the_export(app, db_url) -> None:  # type: ignore[no-untyped-def]
    key = _open311_key(app)
    api = app.test_client()
    for text in INJECTIONS:
        resp = api.post("/open311/v2/requests.json", data={"api_key": key, "service_code": "attitude",
                                                           "description": text, "attribute[unit]": "bdc",
                                                           "attribute[window]": "=1+2"})  # fmt: skip
        assert resp.status_code == 201, resp.get_data(as_text=True)
    create_staff(app, "office1", "office")
    wb = load_workbook(io.BytesIO(login(app, "office1").get("/ledger.xlsx").get_data()))
    ws = wb["工单台帐"]
    header = [c.value for c in ws[3]]
    text_col, window_col = header.index("反映内容（已脱敏）") + 1, header.index("窗口") + 1
    texts = [ws.cell(row=r, column=text_col) for r in range(4, 4 + len(INJECTIONS))]
    windows = [ws.cell(row=r, column=window_col) for r in range(4, 4 + len(INJECTIONS))]
    for cell in texts + windows:
        assert cell.data_type == "s", cell.value  # stored as text, never as a formula
        assert cell.value.startswith("'"), cell.value
    assert sorted(c.value[1:] for c in texts) == sorted(INJECTIONS)


def test_the_web_ledger_needs_a_sign_in_and_valid_dates(app) -> None:  # type: ignore[no-untyped-def]
    anonymous = app.test_client()
    assert anonymous.get("/ledger.xlsx").status_code == 302
    assert anonymous.get("/console/ledger.xlsx").status_code == 302
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    resp = office.get("/console/ledger.xlsx?from=2026-11-01&to=2026-11-30")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"] == 'attachment; filename="ledger-20261101-20261130.xlsx"'
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert office.get("/console/ledger.xlsx?from=2026-11-30&to=2026-11-01").status_code == 400
    assert office.get("/console/ledger.xlsx?from=yesterday").status_code == 400
