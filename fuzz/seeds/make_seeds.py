#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/seeds/<target>/ from the test suites'
own inputs (the SigV4 suite vectors, the policy table, the IAM and validation tests) and
botocore-shaped requests. scripts/fuzz seed merges them into fuzz/corpus/<target>/ with
libFuzzer's -merge=1, which keeps only the inputs that add coverage."""
import hashlib
import json
import pathlib
import re
import sys
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "seeds" / "out"

OPERATIONS = [
    "AssociateCrossAccountReplica", "BatchGetSecretValue", "CancelRotateSecret", "CreateSecret",
    "DeleteResourcePolicy", "DeleteSecret", "DescribeSecret", "DisassociateCrossAccountReplica",
    "GetRandomPassword", "GetResourcePolicy", "GetSecretValue", "ListResourcePolicies",
    "ListSecretVersionIds", "ListSecrets", "PutResourcePolicy", "PutSecretValue",
    "RemoveRegionsFromReplication", "ReplicateSecretToRegions", "RestoreSecret", "RotateSecret",
    "StopReplicationToReplica", "TagResource", "UntagResource", "UpdateSecret",
    "UpdateSecretVersionStage", "ValidateResourcePolicy",
]
IAM_ACTIONS = [
    "CreateUser", "GetUser", "ListUsers", "DeleteUser", "CreateAccessKey", "ListAccessKeys",
    "UpdateAccessKey", "DeleteAccessKey", "PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy",
    "ListUserPolicies", "CreateRole", "GetRole", "DeleteRole", "ListRoles", "PutRolePolicy",
    "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
]
ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})

# One botocore-shaped body per operation, every member of the model used at least once.
BOTOCORE = {
    "AssociateCrossAccountReplica": {"SecretId": ARN, "ReplicaSecretArn": ARN},
    "BatchGetSecretValue": [{"SecretIdList": ["a", ARN]}, {"Filters": [{"Key": "name", "Values": ["prod", "!dev"]}], "MaxResults": 20, "NextToken": "t"}],
    "CancelRotateSecret": {"SecretId": "MyTestSecret"},
    "CreateSecret": [
        {"Name": "prod/db", "ClientRequestToken": "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1", "Description": "d", "KmsKeyId": "alias/aws/secretsmanager", "SecretString": "{\"user\":\"u\"}", "Tags": [{"Key": "k", "Value": "v"}], "AddReplicaRegions": [{"Region": "us-west-2", "KmsKeyId": "k"}], "ForceOverwriteReplicaSecret": False},
        {"Name": "bin", "SecretBinary": "AAECAw=="},
    ],
    "DeleteResourcePolicy": {"SecretId": ARN},
    "DeleteSecret": [{"SecretId": "a", "RecoveryWindowInDays": 7}, {"SecretId": "a", "ForceDeleteWithoutRecovery": True}],
    "DescribeSecret": {"SecretId": ARN},
    "DisassociateCrossAccountReplica": {"SecretId": ARN},
    "GetRandomPassword": {"PasswordLength": 32, "ExcludeCharacters": "\"'", "ExcludeNumbers": False, "ExcludePunctuation": True, "ExcludeUppercase": False, "ExcludeLowercase": False, "IncludeSpace": True, "RequireEachIncludedType": True},
    "GetResourcePolicy": {"SecretId": "a"},
    "GetSecretValue": [{"SecretId": "MyTestSecret"}, {"SecretId": ARN, "VersionId": "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1", "VersionStage": "AWSPREVIOUS"}],
    "ListResourcePolicies": {"MaxResults": 10, "NextToken": "t", "Filters": [{"Key": "name", "Values": ["a"]}]},
    "ListSecretVersionIds": {"SecretId": "a", "MaxResults": 100, "NextToken": "t", "IncludeDeprecated": True},
    "ListSecrets": {"IncludePlannedDeletion": True, "MaxResults": 100, "NextToken": "t", "Filters": [{"Key": "tag-key", "Values": ["env"]}, {"Key": "all", "Values": ["x"]}], "SortOrder": "asc", "SortBy": "name"},
    "PutResourcePolicy": {"SecretId": "a", "ResourcePolicy": POLICY, "BlockPublicPolicy": True},
    "PutSecretValue": [{"SecretId": "a", "ClientRequestToken": "EXAMPLE2-90ab-cdef-fedc-ba987SECRET2", "SecretString": "s", "VersionStages": ["AWSCURRENT", "x"], "RotationToken": "r"}, {"SecretId": "a", "SecretBinary": "AA=="}],
    "RemoveRegionsFromReplication": {"SecretId": "a", "RemoveReplicaRegions": ["us-west-2"]},
    "ReplicateSecretToRegions": {"SecretId": "a", "AddReplicaRegions": [{"Region": "eu-west-1"}], "ForceOverwriteReplicaSecret": True},
    "RestoreSecret": {"SecretId": "a"},
    "RotateSecret": {"SecretId": "a", "ClientRequestToken": "EXAMPLE2-90ab-cdef-fedc-ba987SECRET2", "RotationLambdaARN": "arn:aws:lambda:us-east-1:111122223333:function:f", "RotationRules": {"AutomaticallyAfterDays": 30, "Duration": "2h", "ScheduleExpression": "rate(10 days)"}, "RotateImmediately": False, "ExternalSecretRotationMetadata": [{"Key": "k", "Value": "v"}], "ExternalSecretRotationRoleArn": "arn:aws:iam::111122223333:role/r"},
    "StopReplicationToReplica": {"SecretId": "a"},
    "TagResource": {"SecretId": "a", "Tags": [{"Key": "k", "Value": "v"}, {"Key": "aws:x", "Value": ""}]},
    "UntagResource": {"SecretId": "a", "TagKeys": ["k", "j"]},
    "UpdateSecret": {"SecretId": "a", "ClientRequestToken": "EXAMPLE2-90ab-cdef-fedc-ba987SECRET2", "Description": "d", "KmsKeyId": "k", "SecretString": "s", "Type": "t"},
    "UpdateSecretVersionStage": {"SecretId": "a", "VersionStage": "AWSCURRENT", "RemoveFromVersionId": "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1", "MoveToVersionId": "EXAMPLE2-90ab-cdef-fedc-ba987SECRET2"},
    "ValidateResourcePolicy": {"SecretId": "a", "ResourcePolicy": POLICY},
}


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    directory = OUT / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def rust_string_literals(text):
    """Every ordinary (non-raw) Rust string literal, unescaped."""
    out = []
    for match in re.finditer(r'(?<![r#\w])"((?:[^"\\]|\\.|\\\n)*)"', text, re.S):
        body = match.group(1)
        body = re.sub(r"\\\n\s*", "", body)
        body = re.sub(r"\\u\{([0-9a-fA-F]+)\}", lambda m: chr(int(m.group(1), 16)), body)
        body = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), body)
        body = (body.replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")
                .replace('\\"', '"').replace("\\0", "\0").replace("\\\\", "\\"))
        out.append(body)
    return out


def raw_string_literals(text):
    return [m.group(1) for m in re.finditer(r'r#"(.*?)"#', text, re.S)]


def read(path):
    return (ROOT / path).read_text()


# aws_json_request: the selector byte, then the body.
for index, name in enumerate(OPERATIONS):
    bodies = BOTOCORE[name]
    for body in bodies if isinstance(bodies, list) else [bodies]:
        write("aws_json_request", bytes([index]) + json.dumps(body).encode())
    write("aws_json_request", bytes([index]) + b"{}")
for literal in raw_string_literals(read("crates/protocol/src/validate/tests.rs")):
    if literal.startswith("{"):
        for index in range(len(OPERATIONS)):
            write("aws_json_request", bytes([index]) + literal.encode())

# sigv4: the suite's and botocore's requests, as the tests write them.
for literal in rust_string_literals(read("crates/protocol/src/sigv4/tests.rs")):
    if re.match(r"(GET|POST|PUT|DELETE) ", literal):
        write("sigv4", literal)

# query_form: the selector byte (20: AssumeRole; 21: routed by the form's Action), the form.
for match in re.finditer(r"IamAction::(\w+),\s*&\[(.*?)\]\s*\)", read("crates/protocol/src/iam/tests.rs"), re.S):
    action, items = match.group(1), match.group(2)
    pairs = re.findall(r'\(\s*"([^"]*)",\s*"([^"]*)"\s*\)', items)
    if action in IAM_ACTIONS:
        form = urllib.parse.urlencode([("Action", action), ("Version", "2010-05-08")] + pairs)
        write("query_form", bytes([IAM_ACTIONS.index(action)]) + form.encode())
        write("query_form", bytes([21]) + form.encode())
for literal in rust_string_literals(read("crates/protocol/src/sts.rs") + read("crates/protocol/src/query/mod.rs")):
    if "Action=" in literal or "RoleArn" in literal:
        write("query_form", bytes([20]) + literal.encode())
        write("query_form", bytes([21]) + literal.encode())
assume = urllib.parse.urlencode([
    ("Action", "AssumeRole"), ("Version", "2011-06-15"),
    ("RoleArn", "arn:aws:iam::111122223333:role/Reader"), ("RoleSessionName", "sess1"),
    ("DurationSeconds", "900"), ("Policy", POLICY), ("ExternalId", "ext"),
    ("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "blue"),
    ("TransitiveTagKeys.member.1", "team"), ("SerialNumber", "arn:aws:iam::111122223333:mfa/u"),
    ("TokenCode", "123456"), ("SourceIdentity", "me"), ("PolicyArns.member.1.arn", "arn:x"),
])
write("query_form", bytes([20]) + assume.encode())
write("query_form", bytes([21]) + assume.encode())

# policy: the kind byte (0 identity, 1 resource, 2 trust), the document.
def wrap(fragment):
    if '"Statement"' in fragment:
        return [fragment]
    if '"Effect"' in fragment:
        return ['{"Version":"2012-10-17","Statement":[' + fragment + "]}"]
    # A condition block.
    return ['{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":' + fragment + "}]}",
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":' + fragment + "}]}"]

for path in ["crates/core/src/policy/tests.rs", "crates/core/src/policy/json.rs", "crates/core/src/policy/document.rs", "crates/core/src/policy/condition.rs", "crates/core/src/policy/matching.rs"]:
    for literal in raw_string_literals(read(path)):
        if literal.lstrip().startswith("{"):
            for document in wrap(literal):
                for kind in range(3):
                    write("policy", bytes([kind]) + document.encode())
for kind in range(3):
    write("policy", bytes([kind]) + POLICY.encode())

# arn_secret_id.
for text in [
    "MyTestSecret", "prod/db", ARN, ARN[:-7], "arn:aws:secretsmanager:us-east-1:444455556666:secret:x-AbCdEf",
    "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db", "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:a",
    "arn:aws:iam::111122223333:role/Reader", "arn:", "arn:aws:secretsmanager:us-east-1:111122223333:secrets:a",
    "a-AbCdE", "111122223333", "us-east-1", "a" * 513, "name+=.@_-/",
]:
    write("arn_secret_id", text)

# agent_request: the configuration byte, then the request head.
TOKEN_LINE = "X-Aws-Parameters-Secrets-Token:t0ken-value"
for config in (0, 0x80):
    for head in [
        f"GET /secretsmanager/get?secretId=prod%2Fdb&versionStage=AWSPREVIOUS HTTP/1.1\nHost:localhost:2773\n{TOKEN_LINE}",
        f"GET /secretsmanager/get?secretId={urllib.parse.quote(ARN, safe='')}&versionId=EXAMPLE1&refreshNow=true HTTP/1.1\n{TOKEN_LINE}",
        f"GET /v1/prod%2Fdb?refreshNow=0 HTTP/1.1\n{TOKEN_LINE}",
        f"GET /v1/a?secretId=b HTTP/1.1\n{TOKEN_LINE}",
        f"GET /v1/a HTTP/1.1\n{TOKEN_LINE}\nX-Forwarded-For:1.2.3.4",
        "GET /v1/a HTTP/1.1\nX-Vault-Token:t0ken-value",
        "GET /v1/a HTTP/1.1\nX-Vault-Token:wrong",
        "GET /ping HTTP/1.1", "POST /ping HTTP/1.1", "GET /metrics HTTP/1.1",
        f"POST /secretsmanager/get?secretId=a HTTP/1.1\n{TOKEN_LINE}",
        f"GET /elsewhere HTTP/1.1\n{TOKEN_LINE}",
    ]:
        write("agent_request", bytes([config]) + head.encode())

for target in sorted(p.name for p in OUT.iterdir()):
    print(target, len(list((OUT / target).iterdir())))
