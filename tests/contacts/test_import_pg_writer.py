"""The PostgreSQL import writer's paths: new contacts by COPY, existing ones merged
set-based, a contact created concurrently (fallback upsert), and a worker dying in the
middle of a batch (after its COPY, before its commit) resumed exactly once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from contacts_helpers import rejected_report

from clickpro.extensions import db
from clickpro.models import Contact, ContactImport, ContactListMember
from clickpro.services.contacts.imports import pg_writer, service
from clickpro.services.contacts.service import create_contact


@pytest.fixture(autouse=True)
def _postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the COPY writer runs on PostgreSQL only")


def _count(model, **where) -> int:
    stmt = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return int(db.session.scalar(stmt))


def _phone(i: int) -> str:
    return f"119{70000000 + i:08d}"


def test_batch_mixing_new_and_existing_contacts(create_client, write_csv, run_file, contacts_of):
    tenant = create_client()
    other = create_client()
    kept = create_contact(tenant.id, _phone(1), "Ana", {"cidade": "SP", "plano": ""})
    same = create_contact(tenant.id, _phone(3), "Caio", {"cidade": "RJ"})
    create_contact(other.id, _phone(2), "Outro cliente", {})  # another tenant's contact
    db.session.commit()
    same_version = db.session.scalar(
        sa.text("SELECT xmin::text FROM contacts WHERE id = :id"), {"id": same.id}
    )
    rows = [
        ["telefone", "nome", "cidade", "plano"],
        [_phone(1), "Ana Souza", "BH", "pró"],  # existing: name and cidade kept, plano filled
        [_phone(2), "Bruno", "POA", ""],  # new here (the other client's is not touched)
        [_phone(3), "Caio", "RJ", ""],  # existing, nothing to change
        ["(11) 9 7000-0004", 'Duda\t\\ "Du"\r\nSilva', "C:\\x\ty", "básico"],  # COPY escapes
        ["+55 11 97000-0001", "Repetida", "", ""],  # repeat of line 2 in another shape
        ["123", "Inválida", "", ""],
    ]
    imp = run_file(tenant, write_csv(rows), batch_size=50)
    assert (imp.rows, imp.imported, imp.updated, imp.duplicates) == (6, 2, 2, 0)
    assert (imp.merged, imp.rejected) == (1, 1)
    contacts = contacts_of(tenant)
    assert set(contacts) == {f"+55{_phone(i)}" for i in (1, 2, 3, 4)}
    ana = contacts[f"+55{_phone(1)}"]
    assert ana.id == kept.id and ana.name == "Ana"
    assert ana.attributes == {"cidade": "SP", "plano": "pró"}
    assert contacts[f"+55{_phone(2)}"].name == "Bruno"
    duda = contacts[f"+55{_phone(4)}"]
    assert duda.name == 'Duda\t\\ "Du"\r\nSilva'
    assert duda.attributes == {"cidade": "C:\\x\ty", "plano": "básico"}
    # an unchanged contact gets no new row version
    assert (
        db.session.scalar(
            sa.text("SELECT xmin::text FROM contacts WHERE id = :id"), {"id": same.id}
        )
        == same_version
    )
    assert _count(ContactListMember, list_id=imp.list_id) == 4
    assert contacts_of(other)[f"+55{_phone(2)}"].name == "Outro cliente"
    # new contacts got ordinary ids from the sequence (no clash with later inserts)
    later = create_contact(tenant.id, _phone(9), "Depois", {})
    assert later.id > max(c.id for c in contacts.values())


def test_reimport_same_list_counts_duplicates_and_update_existing(
    create_client, write_csv, run_file, contacts_of
):
    tenant = create_client()
    rows = [["telefone", "nome"], *([_phone(i), f"P{i}"] for i in range(12))]
    first = run_file(tenant, write_csv(rows, name="1.csv"), batch_size=5)
    assert (first.imported, first.updated, first.duplicates) == (12, 0, 0)
    rows[1][1] = "Novo nome"
    rows.append([_phone(50), "Nova"])
    again = run_file(
        tenant, write_csv(rows, name="2.csv"), batch_size=5, list_id=first.list_id,
        update_existing=True,
    )  # fmt: skip
    assert (again.imported, again.updated, again.duplicates) == (1, 0, 12)
    assert contacts_of(tenant)[f"+55{_phone(0)}"].name == "Novo nome"
    assert _count(ContactListMember, list_id=first.list_id) == 13


def test_contact_created_concurrently_falls_back_to_the_upsert(
    app, create_client, write_csv, run_file, contacts_of, monkeypatch
):
    """Between the batch's SELECT and its COPY an inbound message creates one of the
    "new" numbers (another connection, committed): the COPY meets the unique index, the
    savepoint is rolled back and the batch goes through INSERT … ON CONFLICT."""
    tenant = create_client()
    original = pg_writer.PostgresBatchWriter._copy_new
    calls = {"n": 0}

    def racing(self, conn, contacts, new, now):
        calls["n"] += 1
        if calls["n"] == 1:
            with db.engine.begin() as other:
                other.execute(
                    sa.text(
                        "INSERT INTO contacts (client_id, phone_e164, wa_id, name, attributes,"
                        " created_at, updated_at) VALUES (:c, :p, :w, 'Chegou antes',"
                        ' CAST(\'{"origem": "inbox"}\' AS jsonb), now(), now())'
                    ),
                    {"c": tenant.id, "p": "+55" + _phone(2), "w": "55" + _phone(2)},
                )
        return original(self, conn, contacts, new, now)

    monkeypatch.setattr(pg_writer.PostgresBatchWriter, "_copy_new", racing)
    rows = [["telefone", "nome", "cidade"], *([_phone(i), f"P{i}", "SP"] for i in range(4))]
    imp = run_file(tenant, write_csv(rows))
    assert calls["n"] == 1  # the fallback does not COPY again
    assert (imp.imported, imp.updated, imp.duplicates) == (3, 1, 0)
    contacts = contacts_of(tenant)
    assert len(contacts) == 4
    raced = contacts[f"+55{_phone(2)}"]
    assert raced.name == "Chegou antes"  # never overwritten by default
    assert raced.attributes == {"origem": "inbox", "cidade": "SP"}
    assert _count(ContactListMember, list_id=imp.list_id) == 4


def test_worker_dies_mid_batch_and_the_resume_writes_each_row_exactly_once(
    create_client, write_csv, monkeypatch
):
    """The 3rd batch dies after its contacts and list rows were COPY-ed, before the
    commit (a killed worker): nothing of it stays; the resumed job writes it once."""
    tenant = create_client()
    rows = [["nome", "telefone"], *([f"Pessoa {i}", _phone(i)] for i in range(23))]
    rows[5][1] = "bad"
    rows[14][1] = "também ruim"  # a rejection inside the batch that dies
    rows.append(["Repete", rows[20][1]])
    path = write_csv(rows)
    original = pg_writer.PostgresBatchWriter._write_contacts
    calls = {"n": 0}

    def dies_after_copy(self, conn, contacts, now):
        result = original(self, conn, contacts, now)
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return result

    monkeypatch.setattr(pg_writer.PostgresBatchWriter, "_write_contacts", dies_after_copy)
    imp = service.create_import(tenant.id, None, stream_or_path=path, filename="a.csv")
    _, _, _, suggested = service.preview_import(imp.id)
    service.set_mapping(imp.id, suggested)
    with pytest.raises(RuntimeError):
        service.run_import(imp.id, batch_size=5)
    db.session.expire_all()
    half = db.session.get(ContactImport, imp.id)
    assert (half.status, half.checkpoint_row, half.rows) == ("failed", 11, 10)
    assert _count(Contact, client_id=tenant.id) == 9
    assert _count(ContactListMember, list_id=half.list_id) == 9
    service.run_import(imp.id, batch_size=5)
    db.session.expire_all()
    done = db.session.get(ContactImport, imp.id)
    assert (done.status, done.rows, done.imported, done.merged, done.rejected) == (
        "done",
        24,
        21,
        1,
        2,
    )
    assert done.updated == 0 and done.duplicates == 0
    assert _count(Contact, client_id=tenant.id) == 21
    assert _count(ContactListMember, list_id=done.list_id) == 21
    assert len(rejected_report(done.id)) == 4  # header, two rejected rows, the merged one


def test_optimistic_copy_meets_an_existing_contact_in_a_later_batch(
    create_client, write_csv, run_file, contacts_of
):
    """Batches 1–2 are all new (batch 2 is COPY-ed without looking first); batch 3 holds
    a number the client has: its COPY fails, the savepoint is rolled back and the batch
    is merged the careful way — the contact keeps its data and is counted as updated."""
    tenant = create_client()
    kept = create_contact(tenant.id, _phone(4), "Já existia", {"cidade": "SP"})
    db.session.commit()
    rows = [["telefone", "nome", "cidade"], *([_phone(i), f"P{i}", "RJ"] for i in range(7))]
    imp = run_file(tenant, write_csv(rows), batch_size=2)
    assert (imp.rows, imp.imported, imp.updated, imp.duplicates) == (7, 6, 1, 0)
    contacts = contacts_of(tenant)
    assert len(contacts) == 7
    again = contacts[f"+55{_phone(4)}"]
    assert (again.id, again.name, again.attributes) == (kept.id, "Já existia", {"cidade": "SP"})
    assert _count(ContactListMember, list_id=imp.list_id) == 7


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"cidade": "São Paulo", "plano": "pró"},
        {'a"b': 'c"d', "back\\slash": "tab\there", "nl": "a\nb\r\n", "ctl": "\x01\x1f\x7f"},
        {"emoji": "👍🏽", "nbsp": "\u00a0", "sep": "\u2028\u2029"},
    ],
)
def test_prepared_json_is_what_json_dumps_gives(values):
    import json

    assert pg_writer._json_object(values) == json.dumps(values, ensure_ascii=False)
    cells = list(values.values()) + list(values)
    assert pg_writer._json_array(cells) == json.dumps(cells, ensure_ascii=False)
    assert json.loads(pg_writer._json_object(values)) == values


def test_repeated_refused_cells_get_the_same_reason_every_time(create_client, write_csv, run_file):
    """Refused phone cells are remembered per import (junk repeats): every repetition,
    in this batch or a later one, gets the reason the cell got the first time, stored
    through the prepared COPY text (tabs, quotes and backslashes in the row intact)."""
    from clickpro.services.contacts.imports.rows import rejection_reason
    from clickpro.services.contacts.phones import InvalidPhone, normalize_phone

    tenant = create_client()
    junk = ["123", "+1 555", "sem telefone", "00000", "(11) 1234"]
    rows = [["telefone", "nome"]]
    for round_ in range(3):
        rows += [[cell, f'Nome\t"{round_}"\\{cell}'] for cell in junk]
        rows.append([_phone(round_), "Válido"])
    imp = run_file(tenant, write_csv(rows), batch_size=4)
    assert (imp.rows, imp.imported, imp.rejected) == (18, 3, 15)
    expected = {}
    for cell in junk:
        with pytest.raises(InvalidPhone) as refused:
            normalize_phone(cell, "BR")
        expected[cell] = rejection_reason(refused.value)
    report = rejected_report(imp.id)[1:]
    assert len(report) == 15
    for _line, phone, name, reason in report:
        assert reason == expected[phone]
        assert name.startswith('Nome\t"') and name.endswith(f"\\{phone}")
