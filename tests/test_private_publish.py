"""Nothing private where others read: the published warehouse carries the raw layer by an
allow-list, and no text of it holds an e-mail address, wherever a sender put one."""

from __future__ import annotations

import re

import duckdb
import openpyxl
import pytest
from conftest import intervention, query, worked_example, write_export

from warehouse.run import build
from warehouse.sources.registry import SOURCES

pytestmark = pytest.mark.usefixtures("prefect_api")
EMAIL = re.compile(build.EMAIL)
ADDRESSES = ("focal.point@example.org", "desk.officer@mol.gov.kh", "jean.dupont@travail.sn",
             "pm.cambodia@ilo.org", "someone@partner.int")


def texts(database) -> dict[str, list[str]]:
    """table.column -> every text value holding an e-mail address, over every table of a
    DuckDB file (text, JSON and lists of text)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where data_type in ('VARCHAR', 'JSON', 'VARCHAR[]') and not internal").fetchall()
        found = {}
        for schema, table, column in columns:
            values = [v for (v,) in con.execute(
                f'select "{column}"::varchar from "{schema}"."{table}" '
                f'where "{column}" is not null').fetchall() if EMAIL.search(v)]
            if values:
                found[f"{schema}.{table}.{column}"] = values
        return found
    finally:
        con.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A run on a workbook with e-mails under an unknown cover label, in an extra scheme
    column, quoted in a problem of a rejected workbook, and project reports with one in a
    field the contract does not name and one in a title."""
    from flows.nightly import nightly
    from ingest.samples.workbook import write_ssi_workbook

    root = tmp_path_factory.mktemp("private")
    landing = root / "landing"
    args = worked_example()
    args["extra_columns"] = {"schemes": {"Focal point e-mail": [ADDRESSES[1], None]}}
    good = write_ssi_workbook(landing / "KHM_2019.xlsx", **args)
    book = openpyxl.load_workbook(good)
    cover = book["Cover"]
    cover.append(["E-mail", ADDRESSES[2]])
    cover.append(["Contact email", f"Write to {ADDRESSES[2]}"])
    book.save(good)
    bad = worked_example(iso3="TLS")
    bad["beneficiaries"][0]["total"] = ADDRESSES[4]  # quoted in the rejection's message
    write_ssi_workbook(landing / "TLS_2019.xlsx", **bad)
    write_export(root / "exports" / "2018-01-10", [
        intervention(1, contact=ADDRESSES[3]),
        intervention(2, iso3="TLS", title=f"Support desk ({ADDRESSES[3]})")])
    warehouse = root / "wh" / "spf.duckdb"
    summary = nightly(landing=str(landing), rmt_dir=str(root / "exports"),
                      warehouse=str(warehouse))
    assert summary["published"] and summary["ssi"]["counts"] == {"loaded": 1, "rejected": 1}
    return warehouse


def test_the_state_keeps_what_was_sent(published):
    """The addresses did reach the pipeline: the private state holds them, as sent."""
    state = published.parent / "state" / "spf_state.duckdb"
    found = " ".join(v for values in texts(state).values() for v in values)
    for address in ADDRESSES:
        assert address in found, address


def test_no_published_text_holds_an_e_mail_address(published):
    assert texts(published) == {}
    (kept,) = (published.parent / "publications").glob("p*.duckdb")
    assert texts(kept) == {}
    # The rejection still says where the problem is, without the address.
    ((message,),) = query(published, "select reason_message from ops.submissions "
                          "where original_name = 'TLS_2019.xlsx'")
    assert message.startswith("Beneficiaries!") and build.EMAIL_MASK in message


def test_the_published_raw_layer_is_the_allow_list(published):
    con = duckdb.connect(str(published), read_only=True)
    try:
        tables: dict[str, list[str]] = {}
        for table, column in con.execute(
                "select table_name, column_name from duckdb_columns() "
                "where schema_name = 'raw' and not table_name like 'ref_%' "
                "order by table_name, column_index").fetchall():
            tables.setdefault(table, []).append(column)
    finally:
        con.close()
    assert tables == {table: list(columns) for source in SOURCES.values()
                      for table, columns in source.published.items()}
    assert "ssi_cover" not in tables
