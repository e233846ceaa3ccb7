"""IAM, STS and access control against the real `coffer` binary, through boto3 and the AWS CLI.

Each test starts its own server in real mode (fresh data directory, port 0, logging at its most
verbose) and uses the root user's credentials file to make users, access keys, roles and inline
policies over the awsQuery wire. The Secrets Manager calls are then made with each principal's own
credentials, and every one is allowed or denied exactly as AWS would, with AWS's codes and messages.
Every test ends by scanning the data directory and the server's output for the secret keys and
session tokens it was handed (`stop_and_scan`).
"""

import datetime as dt
import json
import re

import pytest

from conftest import REGION, aws_cli, need_boto3, read_credentials
from test_durability import needles

need_boto3()
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

TRACE = {"COFFER_LOG": "trace"}  # the most verbose logs must not leak credentials either
MSG_UNRECOGNIZED = "The security token included in the request is invalid."
MSG_INVALID_JSON = "This policy contains invalid Json"
MSG_PUBLIC_POLICY = (
    "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad "
    "access to the secret."
)
GET = "secretsmanager:GetSecretValue"


# --------------------------------------------------------------------------- helpers


def client(server, service, access_key, secret_key, token=None):
    """A boto3 client for `server` with explicit credentials (and a session token, if any)."""
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, aws_session_token=token,
        region_name=REGION)
    config = Config(connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 1})
    return session.client(service, endpoint_url=server.endpoint, config=config)


def key_client(server, service, key):
    """A client signing with an access key as CreateAccessKey returned it."""
    return client(server, service, key["AccessKeyId"], key["SecretAccessKey"])


def session_client(server, service, creds):
    """A client signing with AssumeRole's temporary credentials."""
    return client(server, service, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def error_of(call):
    """Run `call`, which must fail; returns (HTTP status, code, message)."""
    with pytest.raises(ClientError) as info:
        call()
    resp = info.value.response
    return resp["ResponseMetadata"]["HTTPStatusCode"], resp["Error"]["Code"], resp["Error"]["Message"]


def account_of(server):
    return server.client("sts").get_caller_identity()["Account"]


def user_arn(account, name):
    return f"arn:aws:iam::{account}:user/{name}"


def denied(principal, action, resource, why="no-identity"):
    """AWS's AccessDenied text for `principal` refused `action` on `resource`."""
    reason = {
        "no-identity": f"because no identity-based policy allows the {action} action",
        "identity-deny": "with an explicit deny in an identity-based policy",
        "resource-deny": "with an explicit deny in a resource-based policy",
    }[why]
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource} {reason}"


def policy(effect, action, resource, principal=None):
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    if principal is not None:
        statement["Principal"] = principal
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def value(sm, secret_id):
    return sm.get_secret_value(SecretId=secret_id)["SecretString"]


def now():
    return dt.datetime.now(dt.timezone.utc)


def stop_and_scan(server, secrets):
    """Stops `server`, then checks that no file of its data directory and nothing it printed holds
    any of `secrets` (secret access keys, session tokens) in plaintext or base64."""
    assert server.stop() == 0
    data = server.data_dir
    files = sorted(p for p in data.rglob("*") if p.is_file())
    assert "coffer.db" in {p.name for p in files}
    # The scanner can see what it looks for: the root's secret key is, by design, in `credentials`.
    assert any(n in (data / "credentials").read_bytes() for n in needles(server.secret_key))
    output = (server.stdout() + server.stderr()).encode()
    assert len(server.stderr()) > 0  # it did log, at trace level
    for label, secret in secrets.items():
        assert len(secret) >= 16, label  # a real credential, not an empty string that matches anywhere
        for path in files:
            blob = path.read_bytes()
            for needle in needles(secret):
                assert needle not in blob, f"{label} found in {path.name}"
        for needle in needles(secret):
            assert needle not in output, f"{label} in the server's output"


# --------------------------------------------------------------------------- 1. users, keys, policies


def test_user_key_and_inline_policies_through_boto3(servers):
    s = servers.real(env=TRACE)
    account = account_of(s)
    root_sm, iam = s.client(), s.client("iam")
    db_arn = root_sm.create_secret(Name="app/db", SecretString="db-value")["ARN"]
    other_arn = root_sm.create_secret(Name="other", SecretString="other-value")["ARN"]
    app = user_arn(account, "app")

    user = iam.create_user(UserName="app")["User"]
    assert (user["UserName"], user["Arn"], user["Path"]) == ("app", app, "/")
    assert re.fullmatch(r"AIDA[A-Z0-9]{16,17}", user["UserId"]), user["UserId"]
    got = iam.get_user(UserName="app")["User"]
    assert (got["UserName"], got["Arn"], got["UserId"]) == ("app", app, user["UserId"])
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["app"]
    assert error_of(lambda: iam.create_user(UserName="app")) == (
        409, "EntityAlreadyExists", "User with name app already exists.")
    assert error_of(lambda: iam.get_user(UserName="ghost")) == (
        404, "NoSuchEntity", "The user with name ghost cannot be found.")

    key = iam.create_access_key(UserName="app")["AccessKey"]
    assert (key["UserName"], key["Status"]) == ("app", "Active")
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key["AccessKeyId"]), key["AccessKeyId"]
    assert len(key["SecretAccessKey"]) == 40
    listed = iam.list_access_keys(UserName="app")["AccessKeyMetadata"]
    assert [(k["UserName"], k["AccessKeyId"], k["Status"]) for k in listed] == [
        ("app", key["AccessKeyId"], "Active")]
    assert "SecretAccessKey" not in listed[0]  # the secret key is returned once, at creation

    sm, sts = key_client(s, "secretsmanager", key), key_client(s, "sts", key)
    # No policy yet: the user is refused, and sees no value.
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(app, GET, db_arn))

    read_app = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": GET, "Resource": "arn:aws:secretsmanager:*:*:secret:app/*"}]}
    iam.put_user_policy(UserName="app", PolicyName="read-app", PolicyDocument=json.dumps(read_app))
    stored = iam.get_user_policy(UserName="app", PolicyName="read-app")
    assert (stored["UserName"], stored["PolicyName"], stored["PolicyDocument"]) == ("app", "read-app", read_app)
    assert iam.list_user_policies(UserName="app")["PolicyNames"] == ["read-app"]
    assert error_of(lambda: iam.get_user_policy(UserName="app", PolicyName="nope")) == (
        404, "NoSuchEntity", "The user policy with name nope cannot be found.")
    assert error_of(lambda: iam.put_user_policy(UserName="app", PolicyName="bad", PolicyDocument="{nope")) == (
        400, "MalformedPolicyDocument", MSG_INVALID_JSON)
    assert iam.list_user_policies(UserName="app")["PolicyNames"] == ["read-app"]

    assert value(sm, "app/db") == "db-value"
    assert value(sm, db_arn) == "db-value"
    assert error_of(lambda: sm.get_secret_value(SecretId="other")) == (
        400, "AccessDeniedException", denied(app, GET, other_arn))
    # Reading is all the policy grants.
    assert error_of(lambda: sm.put_secret_value(SecretId="app/db", SecretString="overwritten")) == (
        400, "AccessDeniedException", denied(app, "secretsmanager:PutSecretValue", db_arn))
    # A user without iam:* may not manage IAM.
    assert error_of(lambda: key_client(s, "iam", key).get_user(UserName="app")) == (
        403, "AccessDenied", denied(app, "iam:GetUser", app))

    ident = sts.get_caller_identity()
    assert (ident["Arn"], ident["Account"], ident["UserId"]) == (app, account, user["UserId"])

    # An explicit Deny beside the Allow wins.
    iam.put_user_policy(UserName="app", PolicyName="deny-db", PolicyDocument=policy(
        "Deny", GET, "arn:aws:secretsmanager:*:*:secret:app/db-*"))
    assert sorted(iam.list_user_policies(UserName="app")["PolicyNames"]) == ["deny-db", "read-app"]
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(app, GET, db_arn, "identity-deny"))
    iam.delete_user_policy(UserName="app", PolicyName="deny-db")
    assert value(sm, "app/db") == "db-value"

    # An inactive key is unknown to every service; active again, it works again.
    iam.update_access_key(UserName="app", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert [k["Status"] for k in iam.list_access_keys(UserName="app")["AccessKeyMetadata"]] == ["Inactive"]
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "UnrecognizedClientException", MSG_UNRECOGNIZED)
    assert error_of(lambda: sts.get_caller_identity()) == (403, "InvalidClientTokenId", MSG_UNRECOGNIZED)
    iam.update_access_key(UserName="app", AccessKeyId=key["AccessKeyId"], Status="Active")
    assert value(sm, "app/db") == "db-value"

    # Two keys per user at most.
    second = iam.create_access_key(UserName="app")["AccessKey"]
    assert value(key_client(s, "secretsmanager", second), "app/db") == "db-value"
    assert error_of(lambda: iam.create_access_key(UserName="app")) == (
        409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")

    iam.delete_access_key(UserName="app", AccessKeyId=key["AccessKeyId"])
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "UnrecognizedClientException", MSG_UNRECOGNIZED)
    assert error_of(lambda: iam.delete_access_key(UserName="app", AccessKeyId=key["AccessKeyId"])) == (
        404, "NoSuchEntity", f"The Access Key with id {key['AccessKeyId']} cannot be found.")
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="app")["AccessKeyMetadata"]] == [
        second["AccessKeyId"]]
    # The root user is bound by no identity policy, and still reads.
    assert value(root_sm, "app/db") == "db-value"
    assert value(root_sm, "other") == "other-value"

    # A principal allowed iam:* manages IAM like the root user (and only IAM).
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="iam-all", PolicyDocument=policy("Allow", "iam:*", "*"))
    admin_key = iam.create_access_key(UserName="admin")["AccessKey"]
    admin = key_client(s, "iam", admin_key)
    made = admin.create_user(UserName="made-by-admin")["User"]
    assert made["Arn"] == user_arn(account, "made-by-admin")
    assert error_of(lambda: admin.create_user(UserName="MADE-BY-ADMIN")) == (
        409, "EntityAlreadyExists", "User with name MADE-BY-ADMIN already exists.")  # names ignore case
    admin.delete_user(UserName="made-by-admin")
    assert error_of(lambda: key_client(s, "secretsmanager", admin_key).get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(user_arn(account, "admin"), GET, db_arn))

    # A user is deleted only once its policies and keys are gone (each on its own: which one AWS
    # names first when both are left is not recorded).
    iam.delete_user_policy(UserName="app", PolicyName="read-app")
    assert iam.list_user_policies(UserName="app")["PolicyNames"] == []
    assert error_of(lambda: key_client(s, "secretsmanager", second).get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(app, GET, db_arn))
    assert error_of(lambda: iam.delete_user(UserName="app")) == (
        409, "DeleteConflict", "Cannot delete entity, must delete access keys first.")
    iam.delete_access_key(UserName="app", AccessKeyId=second["AccessKeyId"])
    iam.put_user_policy(UserName="app", PolicyName="read-app", PolicyDocument=json.dumps(read_app))
    assert error_of(lambda: iam.delete_user(UserName="app")) == (
        409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
    iam.delete_user_policy(UserName="app", PolicyName="read-app")
    iam.delete_user(UserName="app")
    assert error_of(lambda: iam.get_user(UserName="app")) == (
        404, "NoSuchEntity", "The user with name app cannot be found.")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["admin"]
    assert error_of(lambda: key_client(s, "secretsmanager", second).get_secret_value(SecretId="app/db")) == (
        400, "UnrecognizedClientException", MSG_UNRECOGNIZED)

    stop_and_scan(s, {"first secret key": key["SecretAccessKey"], "second secret key": second["SecretAccessKey"],
                      "the admin's secret key": admin_key["SecretAccessKey"]})


# --------------------------------------------------------------------------- 2. the AWS CLI


def cli_ok(server, *args, env=None):
    proc = server.cli(*args, env=env)
    assert proc.returncode == 0, f"aws {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def test_iam_through_the_aws_cli(servers, tmp_path):
    aws_cli()  # missing CLI: fail under CI, else skip
    s = servers.real(env=TRACE)
    account = account_of(s)
    root_sm = s.client()
    allowed_arn = root_sm.create_secret(Name="cli/allowed", SecretString="cli-value")["ARN"]
    denied_arn = root_sm.create_secret(Name="cli/denied", SecretString="hidden")["ARN"]
    cli_user = user_arn(account, "cli-user")

    user = cli_ok(s, "iam", "create-user", "--user-name", "cli-user")["User"]
    assert (user["UserName"], user["Arn"], user["Path"]) == ("cli-user", cli_user, "/")
    key = cli_ok(s, "iam", "create-access-key", "--user-name", "cli-user")["AccessKey"]
    assert (key["UserName"], key["Status"]) == ("cli-user", "Active")
    assert key["AccessKeyId"].startswith("AKIA")
    doc = tmp_path / "policy.json"
    doc.write_text(policy("Allow", GET, allowed_arn))
    assert cli_ok(s, "iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "read-one",
                  "--policy-document", f"file://{doc}") is None
    assert cli_ok(s, "iam", "list-user-policies", "--user-name", "cli-user") == {"PolicyNames": ["read-one"]}

    as_user = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    got = cli_ok(s, "secretsmanager", "get-secret-value", "--secret-id", "cli/allowed", env=as_user)
    assert (got["Name"], got["ARN"], got["SecretString"]) == ("cli/allowed", allowed_arn, "cli-value")
    ident = cli_ok(s, "sts", "get-caller-identity", env=as_user)
    assert (ident["Arn"], ident["Account"], ident["UserId"]) == (cli_user, account, user["UserId"])

    proc = s.cli("secretsmanager", "get-secret-value", "--secret-id", "cli/denied", env=as_user)
    assert (proc.returncode, proc.stdout) == (255, "")  # AWS CLI v1: 255 for a service error
    assert ("An error occurred (AccessDeniedException) when calling the GetSecretValue operation: "
            + denied(cli_user, GET, denied_arn)) in proc.stderr, proc.stderr
    assert "hidden" not in proc.stderr

    # The same user may not manage IAM: the CLI reports IAM's AccessDenied.
    proc = s.cli("iam", "create-user", "--user-name", "sneaky", env=as_user)
    assert proc.returncode == 255
    assert ("An error occurred (AccessDenied) when calling the CreateUser operation: "
            + denied(cli_user, "iam:CreateUser", user_arn(account, "sneaky"))) in proc.stderr, proc.stderr
    proc = s.cli("iam", "get-user", "--user-name", "sneaky")
    assert proc.returncode == 255
    assert ("An error occurred (NoSuchEntity) when calling the GetUser operation: "
            "The user with name sneaky cannot be found.") in proc.stderr, proc.stderr

    # Deactivated through the CLI, the key stops working.
    assert cli_ok(s, "iam", "update-access-key", "--user-name", "cli-user", "--access-key-id", key["AccessKeyId"],
                  "--status", "Inactive") is None
    proc = s.cli("secretsmanager", "get-secret-value", "--secret-id", "cli/allowed", env=as_user)
    assert proc.returncode == 255
    assert ("An error occurred (UnrecognizedClientException) when calling the GetSecretValue operation: "
            + MSG_UNRECOGNIZED) in proc.stderr, proc.stderr

    stop_and_scan(s, {"the CLI user's secret key": key["SecretAccessKey"]})


# --------------------------------------------------------------------------- 3. roles and STS


def trust(principal_arn):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}]}


def test_roles_are_assumed_through_sts(servers):
    s = servers.real(env=TRACE)
    account = account_of(s)
    root_sm, iam = s.client(), s.client("iam")
    shared_arn = root_sm.create_secret(Name="shared", SecretString="shared-value")["ARN"]
    private_arn = root_sm.create_secret(Name="private", SecretString="private-value")["ARN"]
    role_arn = f"arn:aws:iam::{account}:role/reader"
    session_arn = f"arn:aws:sts::{account}:assumed-role/reader/s1"

    iam.create_user(UserName="app")
    iam.create_user(UserName="stranger")
    app_key = iam.create_access_key(UserName="app")["AccessKey"]
    stranger_key = iam.create_access_key(UserName="stranger")["AccessKey"]

    trust_doc = trust(user_arn(account, "app"))
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust_doc))["Role"]
    assert (role["RoleName"], role["Arn"], role["Path"]) == ("reader", role_arn, "/")
    assert re.fullmatch(r"AROA[A-Z0-9]{16,17}", role["RoleId"]), role["RoleId"]
    got = iam.get_role(RoleName="reader")["Role"]
    assert (got["Arn"], got["RoleId"], got["AssumeRolePolicyDocument"]) == (role_arn, role["RoleId"], trust_doc)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["reader"]
    assert error_of(lambda: iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust_doc))) == (
        409, "EntityAlreadyExists", "Role with name reader already exists.")
    assert error_of(lambda: iam.get_role(RoleName="writer")) == (
        404, "NoSuchEntity", "The role with name writer cannot be found.")

    read_shared = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": GET, "Resource": shared_arn}]}
    iam.put_role_policy(RoleName="reader", PolicyName="read-shared", PolicyDocument=json.dumps(read_shared))
    stored = iam.get_role_policy(RoleName="reader", PolicyName="read-shared")
    assert (stored["RoleName"], stored["PolicyName"], stored["PolicyDocument"]) == (
        "reader", "read-shared", read_shared)
    assert iam.list_role_policies(RoleName="reader")["PolicyNames"] == ["read-shared"]
    assert error_of(lambda: iam.put_role_policy(RoleName="reader", PolicyName="bad", PolicyDocument="{nope")) == (
        400, "MalformedPolicyDocument", MSG_INVALID_JSON)

    # Only the principal the trust policy names may assume the role; the root user never.
    assert error_of(lambda: key_client(s, "sts", stranger_key).assume_role(
        RoleArn=role_arn, RoleSessionName="s1")) == (
        403, "AccessDenied",
        f"User: {user_arn(account, 'stranger')} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
    assert error_of(lambda: s.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="s1")) == (
        403, "AccessDenied", "Roles may not be assumed by root accounts.")

    before = now()
    assumed = key_client(s, "sts", app_key).assume_role(RoleArn=role_arn, RoleSessionName="s1", DurationSeconds=900)
    creds = assumed["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", creds["AccessKeyId"]), creds["AccessKeyId"]
    assert len(creds["SecretAccessKey"]) == 40
    assert len(creds["SessionToken"]) >= 32
    assert before + dt.timedelta(seconds=899) <= creds["Expiration"] <= now() + dt.timedelta(seconds=901)
    assert assumed["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:s1", "Arn": session_arn}

    sm = session_client(s, "secretsmanager", creds)
    assert value(sm, "shared") == "shared-value"
    assert error_of(lambda: sm.get_secret_value(SecretId="private")) == (
        400, "AccessDeniedException", denied(session_arn, GET, private_arn))
    ident = session_client(s, "sts", creds).get_caller_identity()
    assert (ident["Arn"], ident["Account"], ident["UserId"]) == (session_arn, account, f"{role['RoleId']}:s1")
    # The role's credentials are not the user's: app itself has no identity policy.
    assert error_of(lambda: key_client(s, "secretsmanager", app_key).get_secret_value(SecretId="shared")) == (
        400, "AccessDeniedException", denied(user_arn(account, "app"), GET, shared_arn))

    # A session token changed in one character (and the request signed with it) is not a token.
    token = creds["SessionToken"]
    at = len(token) // 2
    tampered = dict(creds, SessionToken=token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1:])
    assert error_of(lambda: session_client(s, "secretsmanager", tampered).get_secret_value(SecretId="shared")) == (
        400, "UnrecognizedClientException", MSG_UNRECOGNIZED)
    assert error_of(lambda: session_client(s, "sts", tampered).get_caller_identity()) == (
        403, "InvalidClientTokenId", MSG_UNRECOGNIZED)
    # Without its token, the temporary key is unknown.
    assert error_of(lambda: client(s, "secretsmanager", creds["AccessKeyId"], creds["SecretAccessKey"])
                    .get_secret_value(SecretId="shared")) == (400, "UnrecognizedClientException", MSG_UNRECOGNIZED)
    assert value(sm, "shared") == "shared-value"

    # The role goes (policies first), and its sessions stop working at once.
    assert error_of(lambda: iam.delete_role(RoleName="reader")) == (
        409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
    assert value(sm, "shared") == "shared-value"
    iam.delete_role_policy(RoleName="reader", PolicyName="read-shared")
    assert iam.list_role_policies(RoleName="reader")["PolicyNames"] == []
    assert error_of(lambda: sm.get_secret_value(SecretId="shared")) == (
        400, "AccessDeniedException", denied(session_arn, GET, shared_arn))
    iam.delete_role(RoleName="reader")
    assert error_of(lambda: iam.get_role(RoleName="reader")) == (
        404, "NoSuchEntity", "The role with name reader cannot be found.")
    assert iam.list_roles()["Roles"] == []
    assert error_of(lambda: sm.get_secret_value(SecretId="shared")) == (
        400, "UnrecognizedClientException", MSG_UNRECOGNIZED)
    assert error_of(lambda: session_client(s, "sts", creds).get_caller_identity()) == (
        403, "InvalidClientTokenId", MSG_UNRECOGNIZED)
    assert value(root_sm, "shared") == "shared-value"

    stop_and_scan(s, {
        "app's secret key": app_key["SecretAccessKey"],
        "the stranger's secret key": stranger_key["SecretAccessKey"],
        "the session's secret key": creds["SecretAccessKey"],
        "the session token": creds["SessionToken"],
    })


# --------------------------------------------------------------------------- 4. resource policies


def test_resource_policies_through_boto3(servers):
    s = servers.real(env=TRACE)
    account = account_of(s)
    root_sm, iam = s.client(), s.client("iam")
    arn = root_sm.create_secret(Name="granted", SecretString="granted-value")["ARN"]
    app = user_arn(account, "app")
    iam.create_user(UserName="app")
    key = iam.create_access_key(UserName="app")["AccessKey"]
    sm = key_client(s, "secretsmanager", key)

    got = root_sm.get_resource_policy(SecretId="granted")
    assert (got["ARN"], got["Name"]) == (arn, "granted")
    assert "ResourcePolicy" not in got
    assert error_of(lambda: sm.get_secret_value(SecretId="granted")) == (
        400, "AccessDeniedException", denied(app, GET, arn))

    # A resource policy naming the user grants it, with no identity policy at all.
    grant = policy("Allow", GET, "*", principal={"AWS": app})
    put = root_sm.put_resource_policy(SecretId="granted", ResourcePolicy=grant, BlockPublicPolicy=True)
    assert (put["ARN"], put["Name"]) == (arn, "granted")
    got = root_sm.get_resource_policy(SecretId=arn)
    assert (got["ARN"], got["Name"], got["ResourcePolicy"]) == (arn, "granted", grant)
    assert value(sm, "granted") == "granted-value"
    assert value(sm, arn) == "granted-value"
    # Only what it grants.
    assert error_of(lambda: sm.describe_secret(SecretId="granted")) == (
        400, "AccessDeniedException", denied(app, "secretsmanager:DescribeSecret", arn))
    assert iam.list_user_policies(UserName="app")["PolicyNames"] == []

    # Public, with BlockPublicPolicy: refused, and the policy in place stays.
    public = policy("Allow", GET, "*", principal="*")
    assert error_of(lambda: root_sm.put_resource_policy(
        SecretId="granted", ResourcePolicy=public, BlockPublicPolicy=True)) == (
        400, "PublicPolicyException", MSG_PUBLIC_POLICY)
    assert root_sm.get_resource_policy(SecretId="granted")["ResourcePolicy"] == grant
    # Not JSON: refused, and the policy in place stays.
    assert error_of(lambda: root_sm.put_resource_policy(SecretId="granted", ResourcePolicy="{nope")) == (
        400, "MalformedPolicyDocumentException", MSG_INVALID_JSON)
    assert root_sm.get_resource_policy(SecretId="granted")["ResourcePolicy"] == grant

    # Validation reports, and attaches nothing.
    checked = root_sm.validate_resource_policy(SecretId="granted", ResourcePolicy=public)
    assert checked["PolicyValidationPassed"] is False
    assert checked["ValidationErrors"] == [{"CheckName": "PUBLIC_ACCESS_CHECK", "ErrorMessage": MSG_PUBLIC_POLICY}]
    checked = root_sm.validate_resource_policy(ResourcePolicy=grant)
    assert (checked["PolicyValidationPassed"], checked["ValidationErrors"]) == (True, [])
    checked = root_sm.validate_resource_policy(ResourcePolicy="{nope")
    assert checked["PolicyValidationPassed"] is False
    assert [e["CheckName"] for e in checked["ValidationErrors"]] == ["SYNTAX_CHECK"]
    assert root_sm.get_resource_policy(SecretId="granted")["ResourcePolicy"] == grant

    # An explicit Deny in the resource policy beats an identity policy's Allow.
    iam.put_user_policy(UserName="app", PolicyName="read-all", PolicyDocument=policy("Allow", GET, "*"))
    deny = policy("Deny", GET, "*", principal={"AWS": app})
    root_sm.put_resource_policy(SecretId="granted", ResourcePolicy=deny)
    assert error_of(lambda: sm.get_secret_value(SecretId="granted")) == (
        400, "AccessDeniedException", denied(app, GET, arn, "resource-deny"))
    assert value(root_sm, "granted") == "granted-value"

    deleted = root_sm.delete_resource_policy(SecretId="granted")
    assert (deleted["ARN"], deleted["Name"]) == (arn, "granted")
    assert "ResourcePolicy" not in root_sm.get_resource_policy(SecretId="granted")
    assert value(sm, "granted") == "granted-value"  # the identity policy alone, now
    iam.delete_user_policy(UserName="app", PolicyName="read-all")
    assert error_of(lambda: sm.get_secret_value(SecretId="granted")) == (
        400, "AccessDeniedException", denied(app, GET, arn))

    stop_and_scan(s, {"app's secret key": key["SecretAccessKey"]})


# --------------------------------------------------------------------------- 5. at rest


def test_no_iam_credential_is_stored_or_printed_in_plaintext(servers):
    """Users' secret keys and session tokens never reach the disk or the logs; they still work after
    a restart, so the scan looked at where they live."""
    s1 = servers.real(env=TRACE)
    account = account_of(s1)
    root_sm, iam = s1.client(), s1.client("iam")
    root_sm.create_secret(Name="scan/db", SecretString="scan-value")
    iam.create_user(UserName="app")
    iam.put_user_policy(UserName="app", PolicyName="read", PolicyDocument=policy("Allow", GET, "*"))
    key = iam.create_access_key(UserName="app")["AccessKey"]
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust(user_arn(account, "app"))))
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=policy("Allow", GET, "*"))
    creds = key_client(s1, "sts", key).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/reader", RoleSessionName="s1", DurationSeconds=900)["Credentials"]
    assert value(key_client(s1, "secretsmanager", key), "scan/db") == "scan-value"
    assert value(session_client(s1, "secretsmanager", creds), "scan/db") == "scan-value"
    # A wrong secret key with the right id is logged as a failure without either key in it.
    wrong = client(s1, "secretsmanager", key["AccessKeyId"], "w" * 40)
    assert error_of(lambda: wrong.get_secret_value(SecretId="scan/db"))[1] == "InvalidSignatureException"

    secrets = {
        "the user's secret key": key["SecretAccessKey"],
        "the session's secret key": creds["SecretAccessKey"],
        "the session token": creds["SessionToken"],
    }
    stop_and_scan(s1, secrets)
    # The IAM data is on disk where the scan looked: the key id (not secret) is in the database files.
    blobs = b"".join(p.read_bytes() for p in s1.data_dir.glob("coffer.db*"))
    assert key["AccessKeyId"].encode() in blobs
    assert read_credentials(s1.data_dir / "credentials") == (s1.access_key, s1.secret_key)

    # After a restart the user's key and the session still work: what was scanned is what is used.
    s2 = servers.real(s1.data_dir, env=TRACE)
    assert value(key_client(s2, "secretsmanager", key), "scan/db") == "scan-value"
    assert value(session_client(s2, "secretsmanager", creds), "scan/db") == "scan-value"
    assert session_client(s2, "sts", creds).get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{account}:assumed-role/reader/s1")
    stop_and_scan(s2, secrets)
