"""Loading field maps: every broken map gives `file:line key: problem; fix`, never a traceback."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fieldmap_builders import FIELD_MAPS, VALID_MAP

from connector.errors import FieldMapError
from connector.fieldmap import (
    InvalidFieldMapError,
    load_field_map,
    load_field_map_file,
    parse_field_map_text,
)


def write_map(directory: Path, text: str, customer: str = "acme") -> Path:
    path = directory / f"{customer}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> InvalidFieldMapError:
    with pytest.raises(InvalidFieldMapError) as caught:
        load_field_map_file(path, env={})
    return caught.value


def test_given_the_valid_map_when_loaded_then_every_setting_is_read(tmp_path: Path) -> None:
    fm = load_field_map_file(write_map(tmp_path, VALID_MAP))
    assert fm.customer == "acme"
    assert fm.crm.login_url == "https://login.salesforce.com"
    assert (fm.crm.auth, fm.crm.username, fm.crm.client_id) == ("jwt", "integration@acme.com", None)
    assert (fm.source.report_folder, fm.source.reports) == ("Call_Lists", ["Enterprise_Contacts"])
    assert fm.prospect.id == "CONTACT_ID"
    assert fm.prospect.fields["first_name"].column == "FIRST_NAME"
    assert fm.prospect.fields["first_name"].transform == "trim"
    assert fm.prospect.fields["last_name"].required is True
    assert fm.prospect.fields["phone"].region == "US"
    assert fm.activities.external_id_field == "Connector_Activity_Id__c"
    assert fm.activities.call_subject == "Call: {outcome}"
    assert fm.schedule.every == timedelta(minutes=15)
    assert fm.schedule.jitter == timedelta(seconds=30)
    assert fm.schedule.cron is None
    assert fm.source_path == tmp_path / "acme.yaml"
    assert fm.line_of("prospect.fields.email") == 15
    assert fm.line_of(("crm", "auth")) == 5
    assert fm.line_of("prospect.fields.email.nonexistent") == 15


BROKEN = [
    # (what, old text, new text, line, key, words in the message)
    ("typo in a store field", "    email:", "    emial:", 15, "prospect.fields.emial",
     ["unknown store field 'emial'", "did you mean 'email'?", "known: first_name"]),
    ("typo in an option", "{column: LAST_NAME,", "{colum: LAST_NAME,", 14,
     "prospect.fields.last_name.colum", ["unknown key 'colum'", "did you mean 'column'?"]),
    ("unknown transform", "transform: email}", "transform: emails}", 15,
     "prospect.fields.email.transform", ["unknown transform 'emails'", "did you mean 'email'?"]),
    ("unknown top-level key", "schedule:\n", "schedul:\n", 21, "schedul",
     ["unknown key 'schedul'", "did you mean 'schedule'?"]),
    ("http to a remote host", "https://login", "http://login", 4, "crm.login_url",
     ["plain http", "use https"]),
    ("bad auth", "auth: jwt", "auth: oauth", 5, "crm.auth", ["'oauth' is not one of jwt, web"]),
    ("duplicate key", "    company: ACCOUNT.NAME\n",
     "    company: ACCOUNT.NAME\n    company: ACCOUNT.OTHER\n", 18, "prospect.fields.company",
     ["duplicate key 'company' (first at line 17)", "keep one"]),
    ("missing required key", "  report_folder: Call_Lists\n", "", 7, "source.report_folder",
     ["missing required key 'report_folder'", "add it"]),
    ("wrong type", "required: true}", "required: sometimes}", 14,
     "prospect.fields.last_name.required", ["expected true or false"]),
    ("yes read as boolean", "    company: ACCOUNT.NAME",
     "    company: {transform: constant, value: yes}", 17, "prospect.fields.company.value",
     ["expected text", "yes/no/on/off"]),
    ("option of another transform", "{column: EMAIL, transform: email}",
     "{column: EMAIL, transform: email, region: US}", 15, "prospect.fields.email",
     ["option `region` is not used by transform 'email'", "transform phone"]),
    ("unknown phone region", "region: US", "region: XX", 16, "prospect.fields.phone.region",
     ["unknown phone region 'XX'", "ISO country code"]),
    ("both every and cron", "  jitter: 30s", "  cron: '*/5 * * * *'", 21, "schedule",
     ["exactly one of `every`"]),
    ("bad duration", "every: 15m", "every: fortnightly", 22, "schedule.every",
     ["not a duration", "15m"]),
    ("bad folder", "report_folder: Call_Lists", "report_folder: Call Lists", 8,
     "source.report_folder", ["folder developer name", "00l"]),
    ("empty fields", "  fields:\n    first_name: FIRST_NAME\n    last_name: {column: LAST_NAME, "
     "required: true}\n    email: {column: EMAIL, transform: email}\n    phone: {column: "
     "PHONE1, transform: phone, region: US}\n    company: ACCOUNT.NAME\n", "  fields: {}\n",
     12, "prospect.fields", ["must not be empty"]),
    ("YAML syntax error", "  every: 15m", "  every: [15m", 23, "",
     ["YAML syntax error", "from line 22"]),
    ("customer not the file name", "customer: acme", "customer: globex", 1, "customer",
     ["'globex' does not match the file name 'acme'", "rename the file to globex.yaml"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "line", "key", "words"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_given_a_broken_map_then_the_error_names_file_line_key_and_fix(
    tmp_path: Path, old: str, new: str, line: int, key: str, words: list[str]
) -> None:
    assert old in VALID_MAP
    path = write_map(tmp_path, VALID_MAP.replace(old, new, 1))
    error = problems_of(path)
    assert isinstance(error, FieldMapError)
    assert len(error.problems) == 1, error.problems
    assert error.problems[0].line == line
    assert error.problems[0].key == key
    text = str(error)
    assert text.splitlines()[0] == f"{path}: 1 problem in field map"
    location = f"{path}:{line} {key}:" if key else f"{path}:{line}:"
    assert text.splitlines()[1].startswith(location)
    assert ";" in text.splitlines()[1]
    for word in words:
        assert word in text


def test_given_several_problems_then_all_are_listed_in_line_order(tmp_path: Path) -> None:
    text = (
        VALID_MAP.replace("auth: jwt", "auth: oauth")
        .replace("    email:", "    emial:")
        .replace("every: 15m", "every: soon")
    )
    error = problems_of(write_map(tmp_path, text))
    assert [(p.line, p.key) for p in error.problems] == [
        (5, "crm.auth"),
        (15, "prospect.fields.emial"),
        (22, "schedule.every"),
    ]
    assert str(error).splitlines()[0].endswith("3 problems in field map")
    assert (error.line, error.key) == (5, "crm.auth")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the field map is empty"),
        ("# only a comment\n", "the field map is empty"),
        ("- a\n- b\n", "expected a mapping"),
        ("just text", "expected a mapping"),
        ("a: 1\n---\nb: 2\n", "YAML syntax error"),
        ("a: !!python/object:os.system x", "unsupported YAML tag"),
        ("customer: acme\ncrm: &c {a: *c}\n", "alias refers to itself"),
        ("\x00", "not readable as YAML"),
    ],
)
def test_given_text_that_is_no_field_map_then_a_field_map_error(text: str, message: str) -> None:
    with pytest.raises(FieldMapError, match=message):
        parse_field_map_text(text, "x.yaml", env={})


def test_given_a_file_that_is_not_utf8_then_a_field_map_error(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_bytes(b"customer: \xff\xfe\n")
    with pytest.raises(FieldMapError, match="not UTF-8"):
        load_field_map_file(path)


def test_given_no_map_for_the_customer_then_the_error_lists_maps_and_the_fix(
    tmp_path: Path,
) -> None:
    write_map(tmp_path, VALID_MAP)
    (tmp_path / "example.yaml").write_text("customer: example\n")
    with pytest.raises(FieldMapError) as caught:
        load_field_map("globex", tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "globex.yaml") in message
    assert "available: acme)" in message
    assert f"create {tmp_path / 'globex.yaml'}, see {tmp_path / 'example.yaml'}" in message


@pytest.mark.parametrize("customer", ["../etc/passwd", "ACME", "a", ""])
def test_given_a_malformed_customer_id_then_no_path_is_built(tmp_path: Path, customer: str) -> None:
    with pytest.raises(FieldMapError, match="is not a customer id"):
        load_field_map(customer, tmp_path)


class TestEnvironmentInterpolation:
    def parse(self, old: str, new: str, env: dict[str, str]) -> object:
        return parse_field_map_text(VALID_MAP.replace(old, new), "acme.yaml", env=env)

    def test_a_set_variable_is_substituted(self) -> None:
        fm = self.parse("https://login.salesforce.com", "${SF_URL}", {"SF_URL": "https://x.test"})
        assert fm.crm.login_url == "https://x.test"  # type: ignore[attr-defined]

    def test_the_default_is_used_when_unset_or_empty(self) -> None:
        text = "${SF_URL:-https://127.0.0.1:8443}"
        for env in ({}, {"SF_URL": ""}):
            fm = self.parse("https://login.salesforce.com", text, env)
            assert fm.crm.login_url == "https://127.0.0.1:8443"  # type: ignore[attr-defined]

    def test_an_empty_optional_value_means_unset(self) -> None:
        fm = self.parse("  auth: jwt\n", "  auth: jwt\n  ca_bundle: ${CA:-}\n", {})
        assert fm.crm.ca_bundle is None  # type: ignore[attr-defined]
        fm = self.parse("  auth: jwt\n", "  auth: jwt\n  ca_bundle: ${CA:-}\n", {"CA": "/ca.pem"})
        assert fm.crm.ca_bundle == "/ca.pem"  # type: ignore[attr-defined]

    def test_text_around_references_and_dollar_escapes_are_kept(self) -> None:
        subject = '  object: Task\n  call_subject: "$${X} ${WHO}: {outcome}"\n'
        fm = self.parse("  object: Task\n", subject, {"WHO": "Ada"})
        assert fm.activities.call_subject == "${X} Ada: {outcome}"  # type: ignore[attr-defined]

    def test_a_missing_variable_names_file_line_key_and_variable(self) -> None:
        with pytest.raises(FieldMapError) as caught:
            self.parse("https://login.salesforce.com", "${SF_URL}", {})
        assert str(caught.value).splitlines()[1] == (
            "acme.yaml:4 crm.login_url: environment variable SF_URL is not set; "
            "set it or write ${SF_URL:-default}"
        )

    def test_a_malformed_reference_is_an_error(self) -> None:
        with pytest.raises(FieldMapError, match="is not a variable reference"):
            self.parse("https://login.salesforce.com", "${1BAD}", {})

    def test_the_process_environment_is_used_by_default(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("FIELDMAP_TEST_USER", "someone@acme.com")
        text = VALID_MAP.replace("integration@acme.com", "${FIELDMAP_TEST_USER}")
        assert parse_field_map_text(text).crm.username == "someone@acme.com"


@pytest.mark.parametrize("customer", ["demo", "demo2", "example"])
def test_the_shipped_field_maps_load(customer: str) -> None:
    fm = load_field_map(customer, FIELD_MAPS)
    assert fm.customer == customer
    assert fm.source_path == FIELD_MAPS / f"{customer}.yaml"


def test_the_demo_map_maps_exactly_the_agreed_columns() -> None:
    fm = load_field_map("demo", FIELD_MAPS, env={})
    assert fm.crm.login_url == "https://127.0.0.1:8443"
    assert fm.crm.ca_bundle is None
    assert fm.crm.client_id == "connector-demo"
    columns = {spec.column for spec in fm.prospect.fields.values()}
    assert columns.isdisjoint({"BIRTHDATE", "LEAD_SOURCE", "CREATED_DATE", "LAST_UPDATE"})
    assert set(fm.prospect.fields) == {
        "first_name", "last_name", "email", "phone", "title", "company", "country"
    }  # fmt: skip


def test_the_demo_map_follows_the_sandbox_environment() -> None:
    env = {"CONNECTOR_SANDBOX_URL": "https://localhost:9443", "CONNECTOR_SANDBOX_CA": "/tmp/ca"}
    fm = load_field_map("demo", FIELD_MAPS, env=env)
    assert fm.crm.login_url == "https://localhost:9443"
    assert fm.crm.ca_bundle == "/tmp/ca"
