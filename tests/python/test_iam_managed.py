"""IAM managed policies (with versions), AWS managed policies, groups, and their effect on
authorization, against the real `coffer` binary through boto3's iam, sts and secretsmanager clients,
unmodified (issue 22).

Each test starts its own real-mode server; the root user's credentials file makes the IAM entities
over the awsQuery wire. Every answer is checked field by field, and every error by HTTP status,
code and message.
"""

import json
import re

from conftest import need_boto3
from test_iam import account_of, client, denied, error_of, key_client, policy, session_client, user_arn, value

need_boto3()

GET = "secretsmanager:GetSecretValue"
DOC_READ = policy("Allow", [GET, "secretsmanager:DescribeSecret"], "*")
DOC_DENY = policy("Deny", GET, "*")
RW = "arn:aws:iam::aws:policy/SecretsManagerReadWrite"
RO = "arn:aws:iam::aws:policy/SecretsManagerReadOnly"


def policy_arn(account, name, path="/"):
    return f"arn:aws:iam::{account}:policy{path}{name}"


def trust(account):
    """A trust policy letting the account's principals assume the role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]})


def names(items, key):
    return [i[key] for i in items]


# --------------------------------------------------------------------------- managed policies


def test_customer_managed_policy_versions_and_attachments(servers):
    s = servers.real()
    account = account_of(s)
    iam = s.client("iam")
    arn = policy_arn(account, "read", "/team/")

    created = iam.create_policy(PolicyName="read", Path="/team/", PolicyDocument=DOC_READ,
                                Description="reads secrets", Tags=[{"Key": "k", "Value": "v"}])["Policy"]
    assert {k: created[k] for k in ("PolicyName", "Arn", "Path", "DefaultVersionId", "AttachmentCount",
                                    "PermissionsBoundaryUsageCount", "IsAttachable", "Description", "Tags")} == {
        "PolicyName": "read", "Arn": arn, "Path": "/team/", "DefaultVersionId": "v1", "AttachmentCount": 0,
        "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "Description": "reads secrets",
        "Tags": [{"Key": "k", "Value": "v"}]}
    assert re.fullmatch(r"ANPA[A-Z2-7]{16}", created["PolicyId"]), created["PolicyId"]
    assert created["CreateDate"] == created["UpdateDate"]
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got == created

    assert error_of(lambda: iam.create_policy(PolicyName="READ", PolicyDocument=DOC_READ)) == (
        409, "EntityAlreadyExists", "A policy called READ already exists. Duplicate names are not allowed.")
    assert error_of(lambda: iam.create_policy(PolicyName="bad", PolicyDocument="{nope")) == (
        400, "MalformedPolicyDocument", "This policy contains invalid Json")
    assert error_of(lambda: iam.create_policy(PolicyName="bad", Path="team", PolicyDocument=DOC_READ)) == (
        400, "ValidationError",
        "1 validation error detected: Value 'team' at 'path' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/")
    missing = policy_arn(account, "ghost")
    assert error_of(lambda: iam.get_policy(PolicyArn=missing)) == (
        404, "NoSuchEntity", f"Policy {missing} was not found.")
    assert error_of(lambda: iam.get_policy(PolicyArn="arn:aws:iam::x:user/not-a-policy")) == (
        400, "InvalidInput", "ARN arn:aws:iam::x:user/not-a-policy is not valid.")

    # Listing: the account's own (Local), AWS's, or both; ListPolicies shows no description or tags.
    local = iam.list_policies(Scope="Local")
    assert (names(local["Policies"], "Arn"), local["IsTruncated"]) == ([arn], False)
    assert "Description" not in local["Policies"][0] and "Tags" not in local["Policies"][0]
    aws = iam.list_policies(Scope="AWS")["Policies"]
    assert names(aws, "Arn") == [RO, RW]
    assert names(iam.list_policies()["Policies"], "PolicyName") == [
        "read", "SecretsManagerReadOnly", "SecretsManagerReadWrite"]
    assert names(iam.list_policies(PathPrefix="/team/")["Policies"], "Arn") == [arn]
    assert iam.list_policies(OnlyAttached=True)["Policies"] == []
    page = iam.list_policies(MaxItems=2)
    assert (len(page["Policies"]), page["IsTruncated"]) == (2, True)
    rest = iam.list_policies(Marker=page["Marker"])
    assert names(page["Policies"] + rest["Policies"], "PolicyName") == [
        "read", "SecretsManagerReadOnly", "SecretsManagerReadWrite"]

    # Versions: numbered, at most five, newest first, the document only from GetPolicyVersion.
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC_DENY)["PolicyVersion"]
    assert {k: v2[k] for k in ("VersionId", "IsDefaultVersion")} == {"VersionId": "v2", "IsDefaultVersion": False}
    assert "Document" not in v2
    v1 = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert (v1["VersionId"], v1["IsDefaultVersion"], v1["Document"]) == ("v1", True, json.loads(DOC_READ))
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC_READ, SetAsDefault=True)["PolicyVersion"]
    assert (v3["VersionId"], v3["IsDefaultVersion"]) == ("v3", True)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    listed = iam.list_policy_versions(PolicyArn=arn)
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed["Versions"]] == [
        ("v3", True), ("v2", False), ("v1", False)]
    assert "Document" not in listed["Versions"][0] and listed["IsTruncated"] is False
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC_READ)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC_READ)
    assert error_of(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC_READ)) == (
        409, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, "
        "you must delete an existing version.")
    assert error_of(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v3")) == (
        409, "DeleteConflict", "Cannot delete the default version of a policy.")
    assert error_of(lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v9")) == (
        404, "NoSuchEntity", f"Policy {arn} version v9 does not exist or is not attachable.")
    assert error_of(lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId="v9")) == (
        404, "NoSuchEntity", f"Policy {arn} version v9 does not exist or is not attachable.")
    assert error_of(lambda: iam.get_policy_version(PolicyArn=arn, VersionId="1")) == (
        400, "ValidationError",
        "1 validation error detected: Value '1' at 'versionId' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == [
        ("v5", False), ("v4", False), ("v3", False), ("v2", True)]
    # Version numbers are never reused.
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC_READ)["PolicyVersion"]["VersionId"] == "v6"

    # Attachments to users and roles; listed by name; counted on the policy.
    iam.create_user(UserName="alice")
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust(account))
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)  # again: no change, no error
    iam.attach_user_policy(UserName="alice", PolicyArn=RW)
    iam.attach_role_policy(RoleName="worker", PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName="alice")
    assert (attached["AttachedPolicies"], attached["IsTruncated"]) == (
        [{"PolicyName": "read", "PolicyArn": arn},
         {"PolicyName": "SecretsManagerReadWrite", "PolicyArn": RW}], False)
    assert iam.list_attached_user_policies(UserName="alice", PathPrefix="/team/")["AttachedPolicies"] == [
        {"PolicyName": "read", "PolicyArn": arn}]
    assert iam.list_attached_role_policies(RoleName="worker")["AttachedPolicies"] == [
        {"PolicyName": "read", "PolicyArn": arn}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2
    assert iam.get_policy(PolicyArn=RW)["Policy"]["AttachmentCount"] == 1
    assert names(iam.list_policies(OnlyAttached=True)["Policies"], "Arn") == [arn, RW]

    assert error_of(lambda: iam.attach_user_policy(UserName="alice", PolicyArn=missing)) == (
        404, "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.")
    assert error_of(lambda: iam.attach_user_policy(UserName="bob", PolicyArn=arn)) == (
        404, "NoSuchEntity", "The user with name bob cannot be found.")
    assert error_of(lambda: iam.attach_role_policy(RoleName="nobody", PolicyArn=arn)) == (
        404, "NoSuchEntity", "The role with name nobody cannot be found.")
    other_account = f"arn:aws:iam::999999999999:policy/read"
    assert error_of(lambda: iam.attach_role_policy(RoleName="worker", PolicyArn=other_account)) == (
        404, "NoSuchEntity", f"Policy {other_account} does not exist or is not attachable.")

    # Deletes refused while attached, as IAM's.
    assert error_of(lambda: iam.delete_policy(PolicyArn=arn)) == (
        409, "DeleteConflict", "Cannot delete a policy attached to entities.")
    assert error_of(lambda: iam.delete_user(UserName="alice")) == (
        409, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
    assert error_of(lambda: iam.delete_role(RoleName="worker")) == (
        409, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
    # AWS's policies are AWS's.
    assert error_of(lambda: iam.delete_policy(PolicyArn=RW)) == (
        403, "AccessDenied", f"Policy {RW} is an AWS managed policy and cannot be changed or deleted.")

    iam.detach_user_policy(UserName="alice", PolicyArn=arn)
    iam.detach_user_policy(UserName="alice", PolicyArn=RW)
    iam.detach_role_policy(RoleName="worker", PolicyArn=arn)
    assert error_of(lambda: iam.detach_role_policy(RoleName="worker", PolicyArn=arn)) == (
        404, "NoSuchEntity", f"Policy {arn} was not found.")
    assert iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"] == []
    iam.delete_user(UserName="alice")
    iam.delete_role(RoleName="worker")

    assert error_of(lambda: iam.delete_policy(PolicyArn=arn)) == (
        409, "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must "
        "delete the policy's versions. The default version is deleted with the policy.")
    for version in ("v3", "v4", "v6"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    iam.delete_policy(PolicyArn=arn)
    assert error_of(lambda: iam.get_policy(PolicyArn=arn)) == (404, "NoSuchEntity", f"Policy {arn} was not found.")
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_aws_managed_policies_are_in_every_account(servers):
    s = servers.real()
    iam = s.client("iam")
    rw = iam.get_policy(PolicyArn=RW)["Policy"]
    assert {k: rw[k] for k in ("PolicyName", "Arn", "Path", "DefaultVersionId", "AttachmentCount", "IsAttachable")} == {
        "PolicyName": "SecretsManagerReadWrite", "Arn": RW, "Path": "/", "DefaultVersionId": "v1",
        "AttachmentCount": 0, "IsAttachable": True}
    doc = iam.get_policy_version(PolicyArn=RO, VersionId="v1")["PolicyVersion"]["Document"]
    assert GET in doc["Statement"][0]["Action"]
    assert "secretsmanager:PutSecretValue" not in doc["Statement"][0]["Action"]
    assert error_of(lambda: iam.create_policy_version(PolicyArn=RW, PolicyDocument=DOC_READ)) == (
        403, "AccessDenied", f"Policy {RW} is an AWS managed policy and cannot be changed or deleted.")
    ghost = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert error_of(lambda: iam.get_policy(PolicyArn=ghost)) == (
        404, "NoSuchEntity", f"Policy {ghost} was not found.")


# --------------------------------------------------------------------------- groups


def test_groups_members_and_policies(servers):
    s = servers.real()
    account = account_of(s)
    iam = s.client("iam")
    group_arn = f"arn:aws:iam::{account}:group/ops/readers"

    group = iam.create_group(GroupName="readers", Path="/ops/")["Group"]
    assert {k: group[k] for k in ("GroupName", "Path", "Arn")} == {
        "GroupName": "readers", "Path": "/ops/", "Arn": group_arn}
    assert re.fullmatch(r"AGPA[A-Z2-7]{16}", group["GroupId"]), group["GroupId"]
    assert error_of(lambda: iam.create_group(GroupName="Readers")) == (
        409, "EntityAlreadyExists", "Group with name Readers already exists.")
    assert error_of(lambda: iam.get_group(GroupName="ghost")) == (
        404, "NoSuchEntity", "The group with name ghost cannot be found.")
    iam.create_group(GroupName="admins")
    listed = iam.list_groups()
    assert (names(listed["Groups"], "GroupName"), listed["IsTruncated"]) == (["admins", "readers"], False)
    assert names(iam.list_groups(PathPrefix="/ops/")["Groups"], "GroupName") == ["readers"]

    iam.create_user(UserName="bob")
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "a"}])
    iam.add_user_to_group(GroupName="readers", UserName="bob")
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    iam.add_user_to_group(GroupName="readers", UserName="alice")  # again: no change
    iam.add_user_to_group(GroupName="admins", UserName="bob")
    got = iam.get_group(GroupName="readers")
    assert got["Group"] == group
    assert (names(got["Users"], "UserName"), got["IsTruncated"]) == (["alice", "bob"], False)
    assert names(got["Users"], "Arn") == [user_arn(account, "alice"), user_arn(account, "bob")]
    assert "Tags" not in got["Users"][0]
    # Nor do ListUsers and ListRoles show tags, as IAM's listings leave them out.
    assert [sorted(u) for u in iam.list_users()["Users"] if u["UserName"] == "alice"] == [
        ["Arn", "CreateDate", "Path", "UserId", "UserName"]]
    assert iam.get_user(UserName="alice")["User"]["Tags"] == [{"Key": "team", "Value": "a"}]
    assert names(iam.list_groups_for_user(UserName="bob")["Groups"], "GroupName") == ["admins", "readers"]
    assert error_of(lambda: iam.add_user_to_group(GroupName="readers", UserName="carol")) == (
        404, "NoSuchEntity", "The user with name carol cannot be found.")
    assert error_of(lambda: iam.add_user_to_group(GroupName="nope", UserName="bob")) == (
        404, "NoSuchEntity", "The group with name nope cannot be found.")
    assert error_of(lambda: iam.list_groups_for_user(UserName="carol")) == (
        404, "NoSuchEntity", "The user with name carol cannot be found.")

    # Inline policies of a group.
    iam.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=DOC_READ)
    stored = iam.get_group_policy(GroupName="readers", PolicyName="read")
    assert (stored["GroupName"], stored["PolicyName"], stored["PolicyDocument"]) == (
        "readers", "read", json.loads(DOC_READ))
    assert iam.list_group_policies(GroupName="readers")["PolicyNames"] == ["read"]
    assert error_of(lambda: iam.get_group_policy(GroupName="readers", PolicyName="nope")) == (
        404, "NoSuchEntity", "The group policy with name nope cannot be found.")
    assert error_of(lambda: iam.put_group_policy(GroupName="readers", PolicyName="x", PolicyDocument="[")) == (
        400, "MalformedPolicyDocument", "This policy contains invalid Json")
    assert error_of(lambda: iam.put_group_policy(GroupName="readers", PolicyName="big", PolicyDocument=policy(
        "Allow", GET, ["arn:aws:secretsmanager:*:*:secret:" + "x" * 100 + str(i) for i in range(60)]))) == (
        409, "LimitExceeded", "Maximum policy size of 5120 bytes exceeded for group readers")

    # Attached policies of a group.
    iam.attach_group_policy(GroupName="readers", PolicyArn=RO)
    assert iam.list_attached_group_policies(GroupName="readers")["AttachedPolicies"] == [
        {"PolicyName": "SecretsManagerReadOnly", "PolicyArn": RO}]

    # Deletes refused as IAM refuses them.
    assert error_of(lambda: iam.delete_group(GroupName="readers")) == (
        409, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
    assert error_of(lambda: iam.delete_user(UserName="alice")) == (
        409, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
    iam.remove_user_from_group(GroupName="readers", UserName="alice")
    iam.remove_user_from_group(GroupName="readers", UserName="bob")
    assert error_of(lambda: iam.remove_user_from_group(GroupName="readers", UserName="bob")) == (
        404, "NoSuchEntity", "The user with name bob cannot be found.")
    assert iam.get_group(GroupName="readers")["Users"] == []
    assert error_of(lambda: iam.delete_group(GroupName="readers")) == (
        409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
    iam.delete_group_policy(GroupName="readers", PolicyName="read")
    assert error_of(lambda: iam.delete_group_policy(GroupName="readers", PolicyName="read")) == (
        404, "NoSuchEntity", "The group policy with name read cannot be found.")
    assert error_of(lambda: iam.delete_group(GroupName="readers")) == (
        409, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
    iam.detach_group_policy(GroupName="readers", PolicyArn=RO)
    iam.delete_group(GroupName="readers")
    assert names(iam.list_groups()["Groups"], "GroupName") == ["admins"]
    iam.delete_user(UserName="alice")


# --------------------------------------------------------------------------- authorization


def test_group_managed_policy_grants_and_versions_switch_access(servers):
    s = servers.real()
    account = account_of(s)
    iam, root_sm = s.client("iam"), s.client()
    secret_arn = root_sm.create_secret(Name="app/db", SecretString="db-value")["ARN"]
    dave = user_arn(account, "dave")

    iam.create_user(UserName="dave")
    key = iam.create_access_key(UserName="dave")["AccessKey"]
    sm = key_client(s, "secretsmanager", key)
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(dave, GET, secret_arn))

    # No inline policy: the access comes from a managed policy attached to a group dave is in.
    arn = iam.create_policy(PolicyName="app-read", PolicyDocument=DOC_READ)["Policy"]["Arn"]
    iam.create_group(GroupName="app")
    iam.attach_group_policy(GroupName="app", PolicyArn=arn)
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(dave, GET, secret_arn))
    iam.add_user_to_group(GroupName="app", UserName="dave")
    assert value(sm, "app/db") == "db-value"

    # A new default version that denies takes effect at once; switching back restores access.
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC_DENY, SetAsDefault=True)
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(dave, GET, secret_arn, "identity-deny"))
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert value(sm, "app/db") == "db-value"

    # A group's inline Deny beside the attached Allow wins.
    iam.put_group_policy(GroupName="app", PolicyName="deny", PolicyDocument=DOC_DENY)
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(dave, GET, secret_arn, "identity-deny"))
    iam.delete_group_policy(GroupName="app", PolicyName="deny")
    assert value(sm, "app/db") == "db-value"

    # Detaching removes the access; so does leaving the group.
    iam.detach_group_policy(GroupName="app", PolicyArn=arn)
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(dave, GET, secret_arn))
    iam.attach_user_policy(UserName="dave", PolicyArn=arn)
    assert value(sm, "app/db") == "db-value"
    iam.detach_user_policy(UserName="dave", PolicyArn=arn)
    iam.attach_group_policy(GroupName="app", PolicyArn=RO)
    assert value(sm, "app/db") == "db-value"
    # The read-only AWS managed policy grants no write.
    assert error_of(lambda: sm.put_secret_value(SecretId="app/db", SecretString="x")) == (
        400, "AccessDeniedException", denied(dave, "secretsmanager:PutSecretValue", secret_arn))
    iam.remove_user_from_group(GroupName="app", UserName="dave")
    assert error_of(lambda: sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(dave, GET, secret_arn))


def test_role_session_gets_the_roles_attached_policies(servers):
    s = servers.real()
    account = account_of(s)
    iam, root_sm = s.client("iam"), s.client()
    root_sm.create_secret(Name="svc", SecretString="svc-value")
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust(account))
    iam.attach_role_policy(RoleName="reader", PolicyArn=RW)
    # Root users may not assume roles: a user allowed sts:AssumeRole by a managed policy does.
    iam.create_user(UserName="ops")
    assume = iam.create_policy(PolicyName="assume", PolicyDocument=policy("Allow", "sts:AssumeRole", "*"))
    iam.attach_user_policy(UserName="ops", PolicyArn=assume["Policy"]["Arn"])
    key = iam.create_access_key(UserName="ops")["AccessKey"]
    creds = key_client(s, "sts", key).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/reader", RoleSessionName="s1")["Credentials"]
    sm = session_client(s, "secretsmanager", creds)
    assert value(sm, "svc") == "svc-value"
    iam.detach_role_policy(RoleName="reader", PolicyArn=RW)
    session = f"arn:aws:sts::{account}:assumed-role/reader/s1"
    secret_arn = root_sm.describe_secret(SecretId="svc")["ARN"]
    assert error_of(lambda: value(sm, "svc")) == (
        400, "AccessDeniedException", denied(session, GET, secret_arn))


# --------------------------------------------------------------------------- dev mode --enforce-iam


def test_dev_enforce_iam_enforces_coffers_keys_and_lets_any_other_key_be_root(servers):
    from conftest import DEV_ACCOUNT
    s = servers.dev(extra_args=("--enforce-iam",))
    root = s.client()  # a 12-digit key coffer never issued: that account's root
    iam, sm = s.client("iam"), root
    secret_arn = sm.create_secret(Name="app/db", SecretString="db-value")["ARN"]
    assert secret_arn.split(":")[4] == DEV_ACCOUNT
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    ci = user_arn(DEV_ACCOUNT, "ci")
    ci_sm = key_client(s, "secretsmanager", key)
    # The user's key is coffer's: its signature is checked and its policies apply.
    assert error_of(lambda: ci_sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(ci, GET, secret_arn))
    assert key_client(s, "sts", key).get_caller_identity()["Arn"] == ci
    wrong = client(s, "secretsmanager", key["AccessKeyId"], "x" * 40)
    assert error_of(lambda: wrong.get_secret_value(SecretId="app/db"))[1] == "InvalidSignatureException"
    iam.attach_user_policy(UserName="ci", PolicyArn=RO)
    assert value(ci_sm, "app/db") == "db-value"
    assert error_of(lambda: ci_sm.put_secret_value(SecretId="app/db", SecretString="x")) == (
        400, "AccessDeniedException", denied(ci, "secretsmanager:PutSecretValue", secret_arn))
    iam.detach_user_policy(UserName="ci", PolicyArn=RO)
    assert error_of(lambda: ci_sm.get_secret_value(SecretId="app/db")) == (
        400, "AccessDeniedException", denied(ci, GET, secret_arn))
    # Any key coffer did not issue (test/test) still acts as an account's root, as in --dev.
    other = client(s, "secretsmanager", "test", "test")
    assert other.create_secret(Name="x", SecretString="v")["ARN"].split(":")[4] == "123456789012"
    assert client(s, "sts", "test", "test").get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"


def test_plain_dev_mode_does_not_enforce_and_enforce_iam_needs_dev(servers, tmp_path):
    import subprocess

    from conftest import coffer_bin
    s = servers.dev()
    iam = s.client("iam")
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    # Without --enforce-iam every key is a root user: the user's key is not even looked up.
    assert key_client(s, "sts", key).get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"
    done = subprocess.run([coffer_bin(), "serve", "--enforce-iam", "--data-dir", str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "--dev" in done.stderr


# --------------------------------------------------------------------------- STS GetSessionToken


def test_get_session_token_for_users_and_root(servers):
    import datetime as dt

    from test_iam import TRACE, stop_and_scan
    s = servers.real(env=TRACE)
    account = account_of(s)
    iam, root_sm, root_sts = s.client("iam"), s.client(), s.client("sts")
    secret_arn = root_sm.create_secret(Name="app/db", SecretString="db-value")["ARN"]
    iam.create_user(UserName="eve")
    iam.attach_user_policy(UserName="eve", PolicyArn=RO)
    key = iam.create_access_key(UserName="eve")["AccessKey"]
    eve_sts = key_client(s, "sts", key)
    eve = user_arn(account, "eve")

    def lasts(creds, seconds):
        left = (creds["Expiration"] - dt.datetime.now(dt.timezone.utc)).total_seconds()
        return seconds - 120 <= left <= seconds + 5

    # An IAM user: 12 hours by default, 900 s to 36 hours.
    creds = eve_sts.get_session_token()["Credentials"]
    assert sorted(creds) == ["AccessKeyId", "Expiration", "SecretAccessKey", "SessionToken"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"]), creds["AccessKeyId"]
    assert lasts(creds, 43200)
    assert lasts(eve_sts.get_session_token(DurationSeconds=900)["Credentials"], 900)
    assert lasts(eve_sts.get_session_token(DurationSeconds=129600)["Credentials"], 129600)
    # boto3 checks the range itself; without its check the server answers as STS does.
    import boto3
    from botocore.config import Config

    from conftest import REGION
    unchecked = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        region_name=REGION).client("sts", endpoint_url=s.endpoint, config=Config(
            parameter_validation=False, retries={"total_max_attempts": 1}))
    for bad, rule in [(899, "greater than or equal to 900"), (129601, "less than or equal to 129600")]:
        assert error_of(lambda: unchecked.get_session_token(DurationSeconds=bad)) == (
            400, "ValidationError", f"1 validation error detected: Value '{bad}' at 'durationSeconds' "
            f"failed to satisfy constraint: Member must have value {rule}")

    # The session is the user: its identity and its policies.
    sm, sts = session_client(s, "secretsmanager", creds), session_client(s, "sts", creds)
    ident = sts.get_caller_identity()
    assert (ident["Arn"], ident["Account"]) == (eve, account)
    assert value(sm, "app/db") == "db-value"
    assert error_of(lambda: sm.put_secret_value(SecretId="app/db", SecretString="x")) == (
        400, "AccessDeniedException", denied(eve, "secretsmanager:PutSecretValue", secret_arn))
    # Without MFA (coffer has none) it cannot call IAM, nor make another session.
    assert error_of(lambda: session_client(s, "iam", creds).get_user(UserName="eve")) == (
        403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    assert error_of(lambda: sts.get_session_token()) == (
        403, "AccessDenied", "Cannot call GetSessionToken with session credentials")
    # A tampered token is refused.
    forged = dict(creds, SessionToken=creds["SessionToken"][:-8] + "AAAAAAA=")
    assert error_of(lambda: session_client(s, "sts", forged).get_caller_identity())[:2] == (
        403, "InvalidClientTokenId")

    # The root user: at most one hour, a longer request gets one hour.
    root_creds = root_sts.get_session_token(DurationSeconds=7200)["Credentials"]
    assert lasts(root_creds, 3600)
    assert session_client(s, "sts", root_creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:root"
    assert value(session_client(s, "secretsmanager", root_creds), "app/db") == "db-value"

    # A role session may not call it.
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust(account))
    iam.put_user_policy(UserName="eve", PolicyName="assume", PolicyDocument=policy("Allow", "sts:AssumeRole", "*"))
    role_creds = eve_sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/r", RoleSessionName="s1")["Credentials"]
    assert error_of(lambda: session_client(s, "sts", role_creds).get_session_token()) == (
        403, "AccessDenied", "Cannot call GetSessionToken with session credentials")

    # Deleting the user ends its sessions, even if a user of that name is made again.
    iam.detach_user_policy(UserName="eve", PolicyArn=RO)
    iam.delete_user_policy(UserName="eve", PolicyName="assume")
    iam.delete_access_key(UserName="eve", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="eve")
    iam.create_user(UserName="eve")
    assert error_of(lambda: value(sm, "app/db"))[:2] == (400, "UnrecognizedClientException")
    # No secret key or session token reached the disk (audit trail included) or the logs.
    stop_and_scan(s, {"user secret key": key["SecretAccessKey"], "session secret key": creds["SecretAccessKey"],
                      "session token": creds["SessionToken"], "root session token": root_creds["SessionToken"],
                      "root session secret key": root_creds["SecretAccessKey"]})


# --------------------------------------------------------------------------- unknowable condition keys


def test_policies_with_organization_or_vpc_keys_are_refused_when_put(servers):
    s = servers.real()
    iam, sm = s.client("iam"), s.client()
    sm.create_secret(Name="k", SecretString="v")
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")

    def with_key(key, principal=False):
        statement = {"Effect": "Allow", "Action": GET, "Resource": "*",
                     "Condition": {"StringEquals": {key: "o-abc123"}}}
        if principal:
            statement["Principal"] = {"AWS": "*"}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    def message(key):
        return (f"The condition key {key} is not supported by coffer: it has no AWS Organizations or VPCs, "
                "so the condition could never be evaluated. Remove the condition or use a key coffer supports.")

    org, vpce = "aws:PrincipalOrgID", "aws:SourceVpce"
    assert error_of(lambda: iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=with_key(org))) == (
        400, "MalformedPolicyDocument", message(org))
    assert error_of(lambda: iam.put_group_policy(GroupName="g", PolicyName="p", PolicyDocument=with_key(vpce))) == (
        400, "MalformedPolicyDocument", message(vpce))
    assert error_of(lambda: iam.create_policy(PolicyName="p", PolicyDocument=with_key("aws:principalorgid"))) == (
        400, "MalformedPolicyDocument", message(org))
    assert error_of(lambda: sm.put_resource_policy(SecretId="k", ResourcePolicy=with_key(org, True))) == (
        400, "MalformedPolicyDocumentException", message(org))
    assert iam.list_user_policies(UserName="u")["PolicyNames"] == []
    assert iam.list_policies(Scope="Local")["Policies"] == []


# --------------------------------------------------------------------------- session tags


def test_session_tags_become_principal_tags_and_transitive_tags_pass_on(servers):
    s = servers.real()
    account = account_of(s)
    iam, root_sm = s.client("iam"), s.client()
    blue = root_sm.create_secret(Name="blue", SecretString="blue-value",
                                 Tags=[{"Key": "team", "Value": "blue"}])["ARN"]
    both = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]})
    by_team = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": GET, "Resource": "*",
         "Condition": {"StringEquals": {"secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}"}}},
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]})
    for name, trust_doc in [("tagged", both), ("untaggable", trust(account)), ("next", both)]:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc, Tags=[{"Key": "team", "Value": "red"}])
        iam.put_role_policy(RoleName=name, PolicyName="by-team", PolicyDocument=by_team)
    iam.create_user(UserName="op")
    iam.put_user_policy(UserName="op", PolicyName="assume", PolicyDocument=policy(
        "Allow", ["sts:AssumeRole", "sts:TagSession"], "*"))
    key = iam.create_access_key(UserName="op")["AccessKey"]
    sts = key_client(s, "sts", key)
    role = f"arn:aws:iam::{account}:role/tagged"

    # Without session tags the role's own tag (red) applies; a session tag (blue) wins over it.
    plain = sts.assume_role(RoleArn=role, RoleSessionName="plain")["Credentials"]
    assert error_of(lambda: value(session_client(s, "secretsmanager", plain), "blue")) == (
        400, "AccessDeniedException",
        denied(f"arn:aws:sts::{account}:assumed-role/tagged/plain", GET, blue))
    answer = sts.assume_role(RoleArn=role, RoleSessionName="blue",
                             Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"])
    assert answer["PackedPolicySize"] >= 0
    tagged = answer["Credentials"]
    assert value(session_client(s, "secretsmanager", tagged), "blue") == "blue-value"

    # Tagging needs sts:TagSession in the trust policy too.
    untaggable = f"arn:aws:iam::{account}:role/untaggable"
    assert error_of(lambda: sts.assume_role(RoleArn=untaggable, RoleSessionName="x1",
                                            Tags=[{"Key": "team", "Value": "blue"}])) == (
        403, "AccessDenied",
        f"User: {user_arn(account, 'op')} is not authorized to perform: sts:TagSession on resource: {untaggable}")
    # Keys differ ignoring case; a transitive key must be a tag.
    assert error_of(lambda: sts.assume_role(RoleArn=role, RoleSessionName="x2", Tags=[
        {"Key": "team", "Value": "a"}, {"Key": "TEAM", "Value": "b"}])) == (
        400, "ValidationError", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    assert error_of(lambda: sts.assume_role(RoleArn=role, RoleSessionName="x3", Tags=[
        {"Key": "team", "Value": "a"}], TransitiveTagKeys=["env"])) == (
        400, "ValidationError", "The transitive tag key env is not among the session tags of the request.")
    assert error_of(lambda: sts.assume_role(RoleArn=role, RoleSessionName="x4", Tags=[
        {"Key": f"k{i}", "Value": "v"} for i in range(51)]))[:2] == (400, "ValidationError")

    # Role chaining: the transitive tag passes to the next session and cannot be replaced.
    chained_sts = session_client(s, "sts", tagged)
    nxt = f"arn:aws:iam::{account}:role/next"
    chained = chained_sts.assume_role(RoleArn=nxt, RoleSessionName="chained")["Credentials"]
    assert value(session_client(s, "secretsmanager", chained), "blue") == "blue-value"
    assert error_of(lambda: chained_sts.assume_role(RoleArn=nxt, RoleSessionName="x5", Tags=[
        {"Key": "Team", "Value": "red"}])) == (
        400, "ValidationError", "The session tag Team conflicts with a transitive tag key of the calling session.")
    # A tag that is not transitive stops at the first session.
    once = sts.assume_role(RoleArn=role, RoleSessionName="once", Tags=[{"Key": "team", "Value": "blue"}])["Credentials"]
    after = session_client(s, "sts", once).assume_role(RoleArn=nxt, RoleSessionName="after")["Credentials"]
    assert error_of(lambda: value(session_client(s, "secretsmanager", after), "blue"))[:2] == (
        400, "AccessDeniedException")


def test_a_role_is_assumed_only_when_its_trust_policy_allows(servers):
    """A role's trust policy is required, as on AWS: the caller's own policies allowing
    sts:AssumeRole on every role do not let it assume one whose trust policy names someone else."""
    s = servers.real()
    account = account_of(s)
    iam = s.client("iam")
    iam.create_user(UserName="named")
    iam.create_user(UserName="other")
    only_named = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": user_arn(account, "named")}}]})
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=only_named)
    arn = iam.create_policy(PolicyName="assume-any", PolicyDocument=policy("Allow", "sts:AssumeRole", "*"))["Policy"]["Arn"]
    role = f"arn:aws:iam::{account}:role/r"
    for name in ("named", "other"):
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    named = key_client(s, "sts", iam.create_access_key(UserName="named")["AccessKey"])
    other = key_client(s, "sts", iam.create_access_key(UserName="other")["AccessKey"])
    assert named.assume_role(RoleArn=role, RoleSessionName="ok")["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{account}:assumed-role/r/ok")
    assert error_of(lambda: other.assume_role(RoleArn=role, RoleSessionName="no")) == (
        403, "AccessDenied",
        f"User: {user_arn(account, 'other')} is not authorized to perform: sts:AssumeRole on resource: {role}")


def test_attach_is_authorized_on_the_entity_with_iam_policy_arn(servers):
    """IAM authorizes Attach*Policy on the user, role or group, with the policy's ARN in
    `iam:PolicyARN`: a delegated administrator may attach exactly the policies it is allowed to."""
    s = servers.real()
    account = account_of(s)
    iam = s.client("iam")
    iam.create_user(UserName="admin")
    iam.create_user(UserName="dev")
    iam.put_user_policy(UserName="admin", PolicyName="delegate", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["iam:AttachUserPolicy", "iam:DetachUserPolicy"],
            "Resource": f"arn:aws:iam::{account}:user/*",
            "Condition": {"ArnEquals": {"iam:PolicyARN": RO}}}]}))
    admin = key_client(s, "iam", iam.create_access_key(UserName="admin")["AccessKey"])
    admin.attach_user_policy(UserName="dev", PolicyArn=RO)
    assert iam.list_attached_user_policies(UserName="dev")["AttachedPolicies"] == [
        {"PolicyName": "SecretsManagerReadOnly", "PolicyArn": RO}]
    dev = user_arn(account, "dev")
    assert error_of(lambda: admin.attach_user_policy(UserName="dev", PolicyArn=RW)) == (
        403, "AccessDenied", denied(user_arn(account, "admin"), "iam:AttachUserPolicy", dev))
    # A user that does not exist is refused alike, so that names cannot be probed.
    assert error_of(lambda: admin.attach_user_policy(UserName="ghost", PolicyArn=RW)) == (
        403, "AccessDenied",
        denied(user_arn(account, "admin"), "iam:AttachUserPolicy", user_arn(account, "ghost")))
    assert error_of(lambda: admin.attach_user_policy(UserName="ghost", PolicyArn=RO)) == (
        404, "NoSuchEntity", "The user with name ghost cannot be found.")
    admin.detach_user_policy(UserName="dev", PolicyArn=RO)
    assert iam.list_attached_user_policies(UserName="dev")["AttachedPolicies"] == []
