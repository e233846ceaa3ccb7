"""boto3 against the real `coffer` binary, in dev mode and in real mode: exact results, as AWS."""

import base64
import datetime as dt
import re
import string
import uuid

import pytest

from conftest import (
    DEV_ACCOUNT,
    MSG_ALREADY_EXISTS,
    MSG_INVALID_NAME,
    MSG_MARKED_FOR_DELETION,
    MSG_NAME_SCHEDULED_FOR_DELETION,
    MSG_NO_VALUE_FOR_STAGE,
    MSG_NO_VALUE_FOR_VERSION,
    MSG_NOT_FOUND,
    MSG_STAGE_NOT_ON_VERSION,
    REGION,
    need_boto3,
)

need_boto3()
from botocore.exceptions import ClientError  # noqa: E402

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
SKEW = dt.timedelta(minutes=15)


def account_of(server):
    if server.data_dir is None:
        return DEV_ACCOUNT
    return server.client("sts").get_caller_identity()["Account"]


def error_of(call):
    """Run `call`, which must fail; returns (HTTP status, code, message)."""
    with pytest.raises(ClientError) as info:
        call()
    resp = info.value.response
    return resp["ResponseMetadata"]["HTTPStatusCode"], resp["Error"]["Code"], resp["Error"]["Message"]


def stages(sm, secret_id):
    described = sm.describe_secret(SecretId=secret_id)
    return {vid: sorted(labels) for vid, labels in described.get("VersionIdsToStages", {}).items()}


def now():
    return dt.datetime.now(dt.timezone.utc)


def near(value, expected, tolerance=SKEW):
    assert isinstance(value, dt.datetime), value
    assert abs(value - expected) <= tolerance, (value, expected)


def arn_pattern(server, name):
    return re.compile(
        rf"^arn:aws:secretsmanager:{REGION}:{account_of(server)}:secret:{re.escape(name)}-[A-Za-z0-9]{{6}}$"
    )


# --------------------------------------------------------------------------- the main flow


def test_create_get_put_describe_stage_flow(server, sm, prefix):
    name = f"{prefix}/db/prod"
    created = sm.create_secret(
        Name=name, SecretString='{"password":"s3cr3t"}', Description="the prod db",
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}],
    )
    assert set(created) == {"ARN", "Name", "VersionId", "ResponseMetadata"}
    assert created["Name"] == name
    assert arn_pattern(server, name).match(created["ARN"]), created["ARN"]
    arn, v1 = created["ARN"], created["VersionId"]

    got = sm.get_secret_value(SecretId=name)
    assert (got["ARN"], got["Name"], got["VersionId"], got["SecretString"], got["VersionStages"]) == (
        arn, name, v1, '{"password":"s3cr3t"}', ["AWSCURRENT"])
    assert "SecretBinary" not in got
    near(got["CreatedDate"], now())

    # By full ARN and by partial ARN (the ARN without the random suffix).
    assert sm.get_secret_value(SecretId=arn)["VersionId"] == v1
    assert sm.get_secret_value(SecretId=arn[:-7])["VersionId"] == v1

    put2 = sm.put_secret_value(SecretId=name, SecretString="v2")
    assert (put2["ARN"], put2["Name"], put2["VersionStages"]) == (arn, name, ["AWSCURRENT"])
    v2 = put2["VersionId"]
    assert stages(sm, name) == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    prev = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert (prev["VersionId"], prev["SecretString"]) == (v1, '{"password":"s3cr3t"}')

    v3 = sm.put_secret_value(SecretId=name, SecretString="v3")["VersionId"]
    # v1 lost AWSPREVIOUS: it is deprecated, listed only with IncludeDeprecated.
    assert stages(sm, name) == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    listed = sm.list_secret_version_ids(SecretId=name)
    assert sorted(v["VersionId"] for v in listed["Versions"]) == sorted([v2, v3])
    assert (listed["ARN"], listed["Name"]) == (arn, name)
    everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)
    assert {v["VersionId"]: sorted(v.get("VersionStages", [])) for v in everything["Versions"]} == {
        v1: [], v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    assert all(v["KmsKeyIds"] == ["DefaultEncryptionKey"] for v in everything["Versions"])
    # A deprecated version is still readable by its id.
    assert sm.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == '{"password":"s3cr3t"}'

    # Idempotent retry: the same token and value return the same version and change nothing.
    token = str(uuid.uuid4())
    v4 = sm.put_secret_value(SecretId=name, SecretString="v4", ClientRequestToken=token)["VersionId"]
    assert v4 == token
    again = sm.put_secret_value(SecretId=name, SecretString="v4", ClientRequestToken=token)
    assert again["VersionId"] == v4
    assert stages(sm, name) == {v3: ["AWSPREVIOUS"], v4: ["AWSCURRENT"]}
    status, code, _ = error_of(
        lambda: sm.put_secret_value(SecretId=name, SecretString="other", ClientRequestToken=token))
    assert (status, code) == (400, "ResourceExistsException")

    # Roll back: move AWSCURRENT to v3; AWSPREVIOUS follows to the version that had AWSCURRENT.
    moved = sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v3, RemoveFromVersionId=v4)
    assert (moved["ARN"], moved["Name"]) == (arn, name)
    assert stages(sm, name) == {v3: ["AWSCURRENT"], v4: ["AWSPREVIOUS"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v3"

    # A custom label on a deprecated version; then moved; then removed.
    sm.update_secret_version_stage(SecretId=name, VersionStage="blue", MoveToVersionId=v1)
    assert stages(sm, name) == {v1: ["blue"], v3: ["AWSCURRENT"], v4: ["AWSPREVIOUS"]}
    assert sm.get_secret_value(SecretId=name, VersionStage="blue")["SecretString"] == '{"password":"s3cr3t"}'
    sm.update_secret_version_stage(SecretId=name, VersionStage="blue", MoveToVersionId=v2, RemoveFromVersionId=v1)
    assert stages(sm, name) == {v2: ["blue"], v3: ["AWSCURRENT"], v4: ["AWSPREVIOUS"]}
    # Removing a label from a version that does not carry it: an error (AWS's exact code is not
    # recorded; either modelled client-error code), and nothing moves.
    status, code, _ = error_of(lambda: sm.update_secret_version_stage(
        SecretId=name, VersionStage="blue", RemoveFromVersionId=v3))
    assert (status, code in ("InvalidParameterException", "InvalidRequestException")) == (400, True), code
    # Moving AWSCURRENT without naming the version that has it: InvalidParameterException.
    status, code, _ = error_of(lambda: sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v4))
    assert (status, code) == (400, "InvalidParameterException")
    assert stages(sm, name) == {v2: ["blue"], v3: ["AWSCURRENT"], v4: ["AWSPREVIOUS"]}
    sm.update_secret_version_stage(SecretId=name, VersionStage="blue", RemoveFromVersionId=v2)
    assert stages(sm, name) == {v3: ["AWSCURRENT"], v4: ["AWSPREVIOUS"]}

    # PutSecretValue with VersionStages puts only those labels and leaves AWSCURRENT alone.
    pending = sm.put_secret_value(SecretId=name, SecretString="v5", VersionStages=["AWSPENDING"])
    assert pending["VersionStages"] == ["AWSPENDING"]
    assert stages(sm, name) == {v3: ["AWSCURRENT"], v4: ["AWSPREVIOUS"], pending["VersionId"]: ["AWSPENDING"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v3"

    # Metadata-only update: no new version. Update with a value: a new AWSCURRENT, which ends
    # the pending rotation (AWSPENDING leaves the pending version, as AWS abandons it).
    before = stages(sm, name)
    updated = sm.update_secret(SecretId=name, Description="the prod database")
    assert (updated["ARN"], updated["Name"]) == (arn, name)
    assert "VersionId" not in updated
    assert stages(sm, name) == before
    v6 = sm.update_secret(SecretId=name, SecretString="v6")["VersionId"]
    assert stages(sm, name) == {v3: ["AWSPREVIOUS"], v6: ["AWSCURRENT"]}

    described = sm.describe_secret(SecretId=name)
    assert (described["ARN"], described["Name"], described["Description"]) == (arn, name, "the prod database")
    assert sorted((t["Key"], t["Value"]) for t in described["Tags"]) == [("env", "prod"), ("team", "core")]
    assert "DeletedDate" not in described
    assert "RotationEnabled" not in described or described["RotationEnabled"] is False
    near(described["CreatedDate"], now())
    near(described["LastChangedDate"], now())
    # LastAccessedDate: midnight UTC of the day of the last GetSecretValue.
    today = now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert described["LastAccessedDate"] in (today, today - dt.timedelta(days=1))


def test_secret_binary_round_trip(sm, prefix):
    blob = bytes(range(256)) + b"\x00end"
    created = sm.create_secret(Name=f"{prefix}/bin", SecretBinary=blob)
    got = sm.get_secret_value(SecretId=f"{prefix}/bin")
    assert (got["SecretBinary"], got["VersionId"]) == (blob, created["VersionId"])
    assert "SecretString" not in got


def test_create_without_value_has_no_version(sm, prefix):
    name = f"{prefix}/empty"
    created = sm.create_secret(Name=name)
    assert "VersionId" not in created
    assert stages(sm, name) == {}
    assert error_of(lambda: sm.get_secret_value(SecretId=name)) == (
        400, "ResourceNotFoundException", MSG_NO_VALUE_FOR_STAGE.format("AWSCURRENT"))


def test_errors_have_aws_codes_and_messages(sm, prefix):
    name = f"{prefix}/errs"
    v1 = sm.create_secret(Name=name, SecretString="x")["VersionId"]
    missing = f"{prefix}/missing"
    for call in (
        lambda: sm.get_secret_value(SecretId=missing),
        lambda: sm.describe_secret(SecretId=missing),
        lambda: sm.put_secret_value(SecretId=missing, SecretString="x"),
        lambda: sm.update_secret(SecretId=missing, Description="d"),
        lambda: sm.delete_secret(SecretId=missing),
        lambda: sm.restore_secret(SecretId=missing),
        lambda: sm.tag_resource(SecretId=missing, Tags=[{"Key": "a", "Value": "b"}]),
        lambda: sm.list_secret_version_ids(SecretId=missing),
    ):
        assert error_of(call) == (400, "ResourceNotFoundException", MSG_NOT_FOUND)

    assert error_of(lambda: sm.create_secret(Name=name, SecretString="y")) == (
        400, "ResourceExistsException", MSG_ALREADY_EXISTS.format(name))
    assert error_of(lambda: sm.get_secret_value(SecretId=name, VersionStage="nope")) == (
        400, "ResourceNotFoundException", MSG_NO_VALUE_FOR_STAGE.format("nope"))
    unknown = str(uuid.uuid4())
    assert error_of(lambda: sm.get_secret_value(SecretId=name, VersionId=unknown)) == (
        400, "ResourceNotFoundException", MSG_NO_VALUE_FOR_VERSION.format(unknown))
    v2 = sm.put_secret_value(SecretId=name, SecretString="y")["VersionId"]
    assert error_of(lambda: sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")) == (
        400, "InvalidRequestException", MSG_STAGE_NOT_ON_VERSION)
    assert sm.get_secret_value(SecretId=name, VersionId=v2, VersionStage="AWSCURRENT")["SecretString"] == "y"
    assert error_of(lambda: sm.create_secret(Name=f"{prefix}/bad name", SecretString="x")) == (
        400, "ValidationException", MSG_INVALID_NAME)
    status, code, _ = error_of(
        lambda: sm.create_secret(Name=f"{prefix}/both", SecretString="x", SecretBinary=b"x"))
    assert (status, code) == (400, "InvalidParameterException")
    status, code, _ = error_of(lambda: sm.create_secret(Name=f"{prefix}/big", SecretString="x" * 65537))
    assert (status, code) == (400, "ValidationException")
    # Nothing was created by the failed calls.
    for bad in ("both", "big"):
        assert error_of(lambda: sm.describe_secret(SecretId=f"{prefix}/{bad}"))[1] == "ResourceNotFoundException"
    assert sm.create_secret(Name=f"{prefix}/max", SecretString="x" * 65536)["Name"] == f"{prefix}/max"


def test_list_secrets_filters_and_versions(sm, prefix):
    a = sm.create_secret(Name=f"{prefix}/alpha", SecretString="a", Description="Payment Gateway key",
                         Tags=[{"Key": "env", "Value": "prod"}])
    b = sm.create_secret(Name=f"{prefix}/beta", SecretString="b", Tags=[{"Key": "env", "Value": "dev"}])
    c = sm.create_secret(Name=f"{prefix}/gamma", Tags=[{"Key": "Env", "Value": "prod"}])
    b2 = sm.put_secret_value(SecretId=f"{prefix}/beta", SecretString="b2")["VersionId"]

    def names(**kwargs):
        out = []
        for page in sm.get_paginator("list_secrets").paginate(**kwargs):
            out.extend(e["Name"] for e in page["SecretList"])
        return sorted(out)

    def only(*filters):
        return names(Filters=[{"Key": "name", "Values": [prefix]}, *filters])

    assert only() == [f"{prefix}/alpha", f"{prefix}/beta", f"{prefix}/gamma"]
    assert names(Filters=[{"Key": "name", "Values": [f"{prefix}/al"]}]) == [f"{prefix}/alpha"]
    assert only({"Key": "tag-key", "Values": ["env"]}) == [f"{prefix}/alpha", f"{prefix}/beta"]
    assert only({"Key": "tag-value", "Values": ["prod"]}) == [f"{prefix}/alpha", f"{prefix}/gamma"]
    assert only({"Key": "tag-key", "Values": ["!env"]}) == [f"{prefix}/gamma"]
    assert only({"Key": "description", "Values": ["gateway"]}) == [f"{prefix}/alpha"]
    assert only({"Key": "all", "Values": ["payment"]}) == [f"{prefix}/alpha"]

    entries = {}
    for page in sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [prefix]}]):
        entries.update({e["Name"]: e for e in page["SecretList"]})
    assert entries[f"{prefix}/alpha"]["ARN"] == a["ARN"]
    assert entries[f"{prefix}/alpha"]["SecretVersionsToStages"] == {a["VersionId"]: ["AWSCURRENT"]}
    assert {k: sorted(v) for k, v in entries[f"{prefix}/beta"]["SecretVersionsToStages"].items()} == {
        b["VersionId"]: ["AWSPREVIOUS"], b2: ["AWSCURRENT"]}
    assert "SecretVersionsToStages" not in entries[f"{prefix}/gamma"] or \
        entries[f"{prefix}/gamma"]["SecretVersionsToStages"] == {}
    assert entries[f"{prefix}/gamma"]["ARN"] == c["ARN"]
    assert entries[f"{prefix}/alpha"]["Tags"] == [{"Key": "env", "Value": "prod"}]

    ordered = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}], SortBy="name", SortOrder="desc")
    assert [e["Name"] for e in ordered["SecretList"]] == [f"{prefix}/gamma", f"{prefix}/beta", f"{prefix}/alpha"]


def test_list_secrets_paginator_returns_each_once(sm, prefix):
    created = sorted(f"{prefix}/page/{i}" for i in range(7))
    for n in created:
        sm.create_secret(Name=n, SecretString="x")
    seen, sizes = [], []
    pages = sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [f"{prefix}/page/"]}], PaginationConfig={"PageSize": 2})
    for page in pages:
        sizes.append(len(page["SecretList"]))
        seen.extend(e["Name"] for e in page["SecretList"])
    assert sorted(seen) == created  # each exactly once
    assert len(seen) == 7
    assert all(s <= 2 for s in sizes), sizes
    # And by hand with MaxResults=2, following NextToken.
    seen, token = [], None
    while True:
        args = {"Filters": [{"Key": "name", "Values": [f"{prefix}/page/"]}], "MaxResults": 2}
        if token:
            args["NextToken"] = token
        resp = sm.list_secrets(**args)
        assert len(resp["SecretList"]) <= 2
        seen.extend(e["Name"] for e in resp["SecretList"])
        token = resp.get("NextToken")
        if not token:
            break
    assert sorted(seen) == created and len(seen) == 7


def test_list_secret_version_ids_pagination(sm, prefix):
    name = f"{prefix}/many"
    ids = [sm.create_secret(Name=name, SecretString="0")["VersionId"]]
    # Custom labels keep every version listed (not deprecated).
    for i in range(1, 5):
        ids.append(sm.put_secret_value(SecretId=name, SecretString=str(i), VersionStages=[f"L{i}"])["VersionId"])
    # botocore has no paginator for ListSecretVersionIds: follow NextToken by hand.
    seen, token = [], None
    while True:
        args = {"SecretId": name, "MaxResults": 2}
        if token:
            args["NextToken"] = token
        page = sm.list_secret_version_ids(**args)
        assert len(page["Versions"]) <= 2
        seen.extend(v["VersionId"] for v in page["Versions"])
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5


def test_delete_restore_and_force_delete(server, sm, prefix):
    name = f"{prefix}/del"
    created = sm.create_secret(Name=name, SecretString="keep me")
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert (deleted["ARN"], deleted["Name"]) == (created["ARN"], name)
    near(deleted["DeletionDate"], now() + dt.timedelta(days=7))
    near(sm.describe_secret(SecretId=name)["DeletedDate"], now())
    for call in (
        lambda: sm.get_secret_value(SecretId=name),
        lambda: sm.put_secret_value(SecretId=name, SecretString="y"),
        lambda: sm.update_secret(SecretId=name, Description="d"),
    ):
        assert error_of(call) == (400, "InvalidRequestException", MSG_MARKED_FOR_DELETION)
    assert error_of(lambda: sm.create_secret(Name=name, SecretString="again")) == (
        400, "InvalidRequestException", MSG_NAME_SCHEDULED_FOR_DELETION)
    flt = [{"Key": "name", "Values": [name]}]
    assert sm.list_secrets(Filters=flt)["SecretList"] == []
    planned = sm.list_secrets(Filters=flt, IncludePlannedDeletion=True)["SecretList"]
    assert [e["Name"] for e in planned] == [name]
    assert "DeletedDate" in planned[0]

    restored = sm.restore_secret(SecretId=name)
    assert (restored["ARN"], restored["Name"]) == (created["ARN"], name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep me"
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)
    assert [e["Name"] for e in sm.list_secrets(Filters=flt)["SecretList"]] == [name]

    # Default window: 30 days.
    near(sm.delete_secret(SecretId=name)["DeletionDate"], now() + dt.timedelta(days=30))
    sm.restore_secret(SecretId=name)
    status, code, _ = error_of(lambda: sm.delete_secret(
        SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True))
    assert (status, code) == (400, "InvalidParameterException")
    status, code, _ = error_of(lambda: sm.delete_secret(SecretId=name, RecoveryWindowInDays=6))
    assert (status, code) == (400, "InvalidParameterException")

    forced = sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert (forced["ARN"], forced["Name"]) == (created["ARN"], name)
    assert error_of(lambda: sm.describe_secret(SecretId=name)) == (400, "ResourceNotFoundException", MSG_NOT_FOUND)
    # Force-deleting a secret that does not exist succeeds; the name can be reused at once,
    # with a new ARN suffix.
    assert sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    again = sm.create_secret(Name=name, SecretString="new")
    assert again["ARN"] != created["ARN"]
    assert arn_pattern(server, name).match(again["ARN"])


def test_tags(sm, prefix):
    name = f"{prefix}/tags"
    sm.create_secret(Name=name, SecretString="x", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "upper"},
                                         {"Key": "a", "Value": "one"}])
    tags = sorted((t["Key"], t["Value"]) for t in sm.describe_secret(SecretId=name)["Tags"])
    assert tags == [("A", "upper"), ("a", "one"), ("b", "2")]
    sm.untag_resource(SecretId=name, TagKeys=["a", "missing"])
    tags = sorted((t["Key"], t["Value"]) for t in sm.describe_secret(SecretId=name)["Tags"])
    assert tags == [("A", "upper"), ("b", "2")]
    sm.untag_resource(SecretId=name, TagKeys=["A", "b"])
    # Once it has had tags, AWS answers an empty list (a secret never tagged has no Tags key).
    assert sm.describe_secret(SecretId=name)["Tags"] == []


def test_get_random_password(sm):
    default = sm.get_random_password()["RandomPassword"]
    assert len(default) == 32
    allowed = set(string.ascii_letters + string.digits + PUNCTUATION)
    assert set(default) <= allowed
    for _ in range(5):  # RequireEachIncludedType defaults to true
        pw = sm.get_random_password(PasswordLength=8)["RandomPassword"]
        assert len(pw) == 8
        assert any(c in string.ascii_lowercase for c in pw), pw
        assert any(c in string.ascii_uppercase for c in pw), pw
        assert any(c in string.digits for c in pw), pw
        assert any(c in PUNCTUATION for c in pw), pw
    pw = sm.get_random_password(PasswordLength=100, ExcludePunctuation=True, ExcludeCharacters="aeiouAEIOU0")[
        "RandomPassword"]
    assert len(pw) == 100
    assert set(pw) <= set(string.ascii_letters + string.digits) - set("aeiouAEIOU0")
    pw = sm.get_random_password(PasswordLength=50, ExcludeNumbers=True, ExcludeUppercase=True,
                                ExcludePunctuation=True)["RandomPassword"]
    assert len(pw) == 50 and set(pw) <= set(string.ascii_lowercase)
    pw = sm.get_random_password(PasswordLength=60, IncludeSpace=True, ExcludeLowercase=True, ExcludeNumbers=True,
                                ExcludeUppercase=True, ExcludePunctuation=True)["RandomPassword"]
    assert pw == " " * 60
    assert len(sm.get_random_password(PasswordLength=4096)["RandomPassword"]) == 4096
    # Beyond the model's maximum (4096): a constraint violation, which AWS reports as ValidationException.
    status, code, _ = error_of(lambda: sm.get_random_password(PasswordLength=4097))
    assert (status, code) == (400, "ValidationException")


def test_batch_get_secret_value(sm, prefix):
    a = sm.create_secret(Name=f"{prefix}/batch/a", SecretString="A")
    b = sm.create_secret(Name=f"{prefix}/batch/b", SecretBinary=b"\x01\x02")
    missing = f"{prefix}/batch/missing"
    resp = sm.batch_get_secret_value(SecretIdList=[f"{prefix}/batch/a", b["ARN"], missing])
    values = {v["Name"]: v for v in resp["SecretValues"]}
    assert sorted(values) == [f"{prefix}/batch/a", f"{prefix}/batch/b"]
    va, vb = values[f"{prefix}/batch/a"], values[f"{prefix}/batch/b"]
    assert (va["ARN"], va["VersionId"], va["SecretString"], va["VersionStages"]) == (
        a["ARN"], a["VersionId"], "A", ["AWSCURRENT"])
    assert (vb["ARN"], vb["VersionId"], vb["SecretBinary"], vb["VersionStages"]) == (
        b["ARN"], b["VersionId"], b"\x01\x02", ["AWSCURRENT"])
    assert resp["Errors"] == [
        {"SecretId": missing, "ErrorCode": "ResourceNotFoundException", "Message": MSG_NOT_FOUND}]

    seen, token = [], None
    while True:
        args = {"Filters": [{"Key": "name", "Values": [f"{prefix}/batch/"]}], "MaxResults": 1}
        if token:
            args["NextToken"] = token
        page = sm.batch_get_secret_value(**args)
        assert len(page["SecretValues"]) <= 1
        seen.extend(v["Name"] for v in page["SecretValues"])
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == [f"{prefix}/batch/a", f"{prefix}/batch/b"]

    status, code, _ = error_of(lambda: sm.batch_get_secret_value(
        SecretIdList=[a["ARN"]], Filters=[{"Key": "name", "Values": [prefix]}]))
    assert (status, code) == (400, "InvalidParameterException")


def test_sts_get_caller_identity(server):
    sts = server.client("sts")
    ident = sts.get_caller_identity()
    account = DEV_ACCOUNT if server.data_dir is None else ident["Account"]
    assert re.fullmatch(r"\d{12}", ident["Account"])
    assert ident["Account"] == account
    assert ident["Arn"] == f"arn:aws:iam::{account}:root"
    assert ident["UserId"] == account
    if server.data_dir is not None:
        # Real mode: the account is the one the credentials file's key was issued in.
        assert f"account {account}, root user access key {server.access_key}" in server.stdout()


def test_sts_dev_mode_account_from_key_id(dev_server):
    # A 12-digit key id is the account; any other well-formed key id gets 123456789012.
    ident = dev_server.client("sts", access_key="444455556666").get_caller_identity()
    assert (ident["Account"], ident["Arn"]) == ("444455556666", "arn:aws:iam::444455556666:root")
    assert dev_server.client("sts", access_key="AKIAIOSFODNN7EXAMPLE").get_caller_identity()[
        "Account"] == "123456789012"


def test_accounts_and_regions_are_separate_namespaces(dev_server, prefix):
    name = f"{prefix}/ns"
    one = dev_server.client()
    one.create_secret(Name=name, SecretString="account one")
    other_account = dev_server.client(access_key="999988887777")
    assert error_of(lambda: other_account.get_secret_value(SecretId=name))[1] == "ResourceNotFoundException"
    other_region = dev_server.client(region="eu-west-1")
    assert error_of(lambda: other_region.get_secret_value(SecretId=name))[1] == "ResourceNotFoundException"
    other_region.create_secret(Name=name, SecretString="eu")
    assert one.get_secret_value(SecretId=name)["SecretString"] == "account one"
    assert other_region.get_secret_value(SecretId=name)["ARN"].startswith(
        f"arn:aws:secretsmanager:eu-west-1:{DEV_ACCOUNT}:secret:{name}-")


# --------------------------------------------------------------------------- signatures (real mode)


def test_wrong_secret_key_is_invalid_signature(real_server):
    bad = real_server.client(secret_key=real_server.secret_key[:-1] + ("A" if real_server.secret_key[-1] != "A"
                                                                        else "B"))
    status, code, msg = error_of(lambda: bad.list_secrets())
    assert (status, code) == (400, "InvalidSignatureException")
    assert msg == ("The request signature we calculated does not match the signature you provided. "
                   "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                   "for details.")


def test_unknown_key_id_is_unrecognized_client(real_server):
    bad = real_server.client(access_key="AKIAIOSFODNN7EXAMPLE", secret_key=real_server.secret_key)
    assert error_of(lambda: bad.get_secret_value(SecretId="x")) == (
        400, "UnrecognizedClientException", "The security token included in the request is invalid.")
    # The right key still works.
    assert real_server.client().list_secrets(MaxResults=1)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_sts_auth_failures_use_sts_codes(real_server):
    sts_bad_secret = real_server.client("sts", secret_key="x" * 40)
    assert error_of(lambda: sts_bad_secret.get_caller_identity()) == (
        403, "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
    sts_bad_key = real_server.client("sts", access_key="AKIAIOSFODNN7EXAMPLE")
    status, code, msg = error_of(lambda: sts_bad_key.get_caller_identity())
    assert (status, code) == (403, "InvalidClientTokenId")
    assert msg.startswith("The security token included in the request is invalid"), msg


def test_raw_request_shape(server, prefix):
    """The error body and headers an SDK relies on: HTTP 400, __type, Message, x-amzn-RequestId."""
    import json
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = json.dumps({"SecretId": f"{prefix}/nothing"}).encode()
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.DescribeSecret"})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "secretsmanager", REGION).add_auth(req)
    prepared = urllib.request.Request(server.endpoint + "/", data=body, headers=dict(req.headers), method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(prepared, timeout=10)
    assert info.value.code == 400
    assert info.value.headers.get("x-amzn-RequestId")
    assert json.loads(info.value.read()) == {"__type": "ResourceNotFoundException", "Message": MSG_NOT_FOUND}

    # SecretBinary travels as base64 in the JSON body.
    sm = server.client()
    sm.create_secret(Name=f"{prefix}/b64", SecretBinary=b"\xff\x00\xfe")
    body = json.dumps({"SecretId": f"{prefix}/b64"}).encode()
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue"})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "secretsmanager", REGION).add_auth(req)
    prepared = urllib.request.Request(server.endpoint + "/", data=body, headers=dict(req.headers), method="POST")
    with urllib.request.urlopen(prepared, timeout=10) as resp:
        assert resp.status == 200
        payload = json.loads(resp.read())
    assert payload["SecretBinary"] == base64.b64encode(b"\xff\x00\xfe").decode()
    assert isinstance(payload["CreatedDate"], (int, float))


def test_unsigned_request_is_refused(real_server):
    import json
    import urllib.error
    import urllib.request

    req = urllib.request.Request(real_server.endpoint + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.ListSecrets"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 400
    assert json.loads(info.value.read())["__type"] == "MissingAuthenticationTokenException"


def test_concurrent_writers_keep_label_invariants(server, prefix):
    """Writes racing on one secret: every acknowledged version kept, exactly one AWSCURRENT/AWSPREVIOUS."""
    import threading

    name = f"{prefix}/race"
    first = server.client().create_secret(Name=name, SecretString="initial")["VersionId"]
    acked, errors, lock = {first: "initial"}, [], threading.Lock()

    def writer(w):
        client = server.client()
        try:
            for i in range(10):
                value = f"w{w}-{i}"
                vid = client.put_secret_value(SecretId=name, SecretString=value)["VersionId"]
                with lock:
                    acked[vid] = value
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(acked) == 41
    sm = server.client()
    for vid, value in acked.items():
        assert sm.get_secret_value(SecretId=name, VersionId=vid)["SecretString"] == value
    labels = stages(sm, name)
    assert sorted(labels.values()) == [["AWSCURRENT"], ["AWSPREVIOUS"]], labels
    current = sm.get_secret_value(SecretId=name)
    assert current["SecretString"] == acked[current["VersionId"]]
    everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert sorted(v["VersionId"] for v in everything) == sorted(acked)
