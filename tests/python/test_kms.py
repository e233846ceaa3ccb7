"""coffer's KMS subset (`TrentService.*` on the same endpoint) through boto3's kms client and the
AWS CLI, unmodified: keys, aliases, states, Encrypt/Decrypt/GenerateDataKey, and secrets sealed
under a customer key. Exact responses and errors."""

import base64
import datetime as dt
import json
import re
import uuid

import pytest

from conftest import DEV_ACCOUNT, REGION, need_boto3

need_boto3()
from botocore.exceptions import ClientError  # noqa: E402

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MSG_ENCRYPTION_FAILURE = (
    "Secrets Manager can't encrypt the protected secret text using the provided KMS key. "
    "Check that the KMS key is available, enabled, and not in an invalid state."
)
MSG_DECRYPTION_FAILURE = "Secrets Manager can't decrypt the protected secret text using the provided KMS key."


def account_of(server):
    if server.data_dir is None:
        return DEV_ACCOUNT
    return server.client("sts").get_caller_identity()["Account"]


def error_of(call):
    """Run `call`, which must fail; returns (HTTP status, code, message)."""
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
    )


def without_metadata(response):
    response = dict(response)
    response.pop("ResponseMetadata", None)
    return response


def key_arn(account, key_id):
    return f"arn:aws:kms:{REGION}:{account}:key/{key_id}"


def test_key_metadata_aliases_and_states(server):
    kms = server.client("kms")
    account = account_of(server)
    before = dt.datetime.now(dt.timezone.utc)
    created = without_metadata(kms.create_key(Description="team a"))
    meta = created["KeyMetadata"]
    key_id = meta["KeyId"]
    assert UUID.match(key_id)
    arn = key_arn(account, key_id)
    assert before - dt.timedelta(seconds=5) <= meta.pop("CreationDate") <= dt.datetime.now(dt.timezone.utc)
    assert meta == {
        "AWSAccountId": account,
        "KeyId": key_id,
        "Arn": arn,
        "Enabled": True,
        "Description": "team a",
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": False,
    }

    alias = f"alias/team-{uuid.uuid4().hex[:8]}"
    alias_arn = f"arn:aws:kms:{REGION}:{account}:{alias}"
    assert without_metadata(kms.create_alias(AliasName=alias, TargetKeyId=key_id)) == {}
    # Every form of KeyId names the same key.
    for form in (key_id, arn, alias, alias_arn):
        assert kms.describe_key(KeyId=form)["KeyMetadata"]["Arn"] == arn
    assert {"KeyId": key_id, "KeyArn": arn} in kms.list_keys()["Keys"]
    listed = kms.list_aliases(KeyId=key_id)
    assert listed["Truncated"] is False
    [entry] = listed["Aliases"]
    assert entry["CreationDate"] == entry["LastUpdatedDate"]
    assert {k: v for k, v in entry.items() if not k.endswith("Date")} == {
        "AliasName": alias,
        "AliasArn": alias_arn,
        "TargetKeyId": key_id,
    }

    assert error_of(lambda: kms.create_alias(AliasName=alias, TargetKeyId=key_id)) == (
        400,
        "AlreadyExistsException",
        f"An alias with the name {alias_arn} already exists",
    )
    assert error_of(lambda: kms.create_alias(AliasName="team-b", TargetKeyId=key_id)) == (
        400, "ValidationException", "Invalid identifier")
    assert error_of(lambda: kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key_id)) == (
        400, "NotAuthorizedException", "")
    assert error_of(lambda: kms.create_alias(AliasName="alias/x", TargetKeyId=alias)) == (
        400, "ValidationException", "Aliases must refer to keys. Not aliases")
    assert error_of(lambda: kms.create_alias(AliasName="alias/has space", TargetKeyId=key_id)) == (
        400,
        "ValidationException",
        "1 validation error detected: Value 'alias/has space' at 'aliasName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    )
    missing_alias = f"arn:aws:kms:{REGION}:{account}:alias/none-{uuid.uuid4().hex[:6]}"
    assert error_of(lambda: kms.describe_key(KeyId=missing_alias)) == (
        400, "NotFoundException", f"Alias {missing_alias} is not found.")
    missing_key = str(uuid.uuid4())
    assert error_of(lambda: kms.describe_key(KeyId=missing_key)) == (
        400, "NotFoundException", f"Key '{key_arn(account, missing_key)}' does not exist")
    assert error_of(lambda: kms.describe_key(KeyId="not-a-key")) == (
        400, "NotFoundException", "Invalid keyId not-a-key")
    # A second key, the alias moved to it, then deleted.
    other = kms.create_key()["KeyMetadata"]
    assert other["Description"] == ""
    kms.update_alias(AliasName=alias, TargetKeyId=other["KeyId"])
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == other["KeyId"]
    kms.delete_alias(AliasName=alias)
    assert error_of(lambda: kms.delete_alias(AliasName=alias)) == (
        400, "NotFoundException", f"Alias {alias_arn} is not found.")
    assert kms.list_aliases(KeyId=key_id)["Aliases"] == []

    # Disable, enable, schedule the deletion, cancel it: the key comes back disabled.
    kms.disable_key(KeyId=key_id)
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"]) == ("Disabled", False)
    kms.enable_key(KeyId=arn)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    for days, bound in ((6, "greater than or equal to 7"), (31, "less than or equal to 30")):
        assert error_of(lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)) == (
            400,
            "ValidationException",
            f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to "
            f"satisfy constraint: Member must have value {bound}",
        )
    assert error_of(lambda: kms.cancel_key_deletion(KeyId=key_id)) == (
        400, "KMSInvalidStateException", f"{arn} is not pending deletion.")
    scheduled = without_metadata(kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7))
    deletion = scheduled.pop("DeletionDate")
    assert dt.timedelta(days=7) - dt.timedelta(minutes=1) < deletion - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=7)
    assert scheduled == {"KeyId": arn, "KeyState": "PendingDeletion", "PendingWindowInDays": 7}
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (described["KeyState"], described["DeletionDate"], described["PendingDeletionWindowInDays"]) == (
        "PendingDeletion", deletion, 7)
    assert error_of(lambda: kms.enable_key(KeyId=key_id)) == (
        400, "KMSInvalidStateException", f"{arn} is pending deletion.")
    assert error_of(lambda: kms.schedule_key_deletion(KeyId=key_id)) == (
        400, "KMSInvalidStateException", f"{arn} is pending deletion.")
    assert without_metadata(kms.cancel_key_deletion(KeyId=key_id)) == {"KeyId": arn}
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "Disabled"
    assert "DeletionDate" not in described and "PendingDeletionWindowInDays" not in described


def test_only_symmetric_encryption_keys_are_created(server):
    kms = server.client("kms")
    message = (
        "{} is not supported: coffer's KMS creates symmetric encryption keys (KeySpec "
        "SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT) with key material it generates."
    )
    assert error_of(lambda: kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")) == (
        400, "UnsupportedOperationException", message.format("KeySpec RSA_2048"))
    assert error_of(lambda: kms.create_key(KeyUsage="GENERATE_VERIFY_MAC")) == (
        400, "UnsupportedOperationException", message.format("KeyUsage GENERATE_VERIFY_MAC"))
    assert error_of(lambda: kms.create_key(Origin="EXTERNAL")) == (
        400, "UnsupportedOperationException", message.format("Origin EXTERNAL"))
    assert error_of(lambda: kms.create_key(KeySpec="RSA_1024")) == (
        400,
        "ValidationException",
        "1 validation error detected: Value 'RSA_1024' at 'keySpec' failed to satisfy constraint: "
        "Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, "
        "ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, "
        "HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519]",
    )


def test_encrypt_decrypt_and_data_keys(server):
    kms = server.client("kms")
    account = account_of(server)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    arn = key_arn(account, key_id)
    context = {"purpose": "test", "tenant": "a"}
    encrypted = without_metadata(kms.encrypt(KeyId=key_id, Plaintext=b"attack at dawn", EncryptionContext=context))
    blob = encrypted.pop("CiphertextBlob")
    assert encrypted == {"KeyId": arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}
    assert b"attack at dawn" not in blob
    # Decrypt needs no KeyId: the blob names its key.
    assert without_metadata(kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)) == {
        "KeyId": arn,
        "Plaintext": b"attack at dawn",
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context, KeyId=arn)["Plaintext"] == b"attack at dawn"
    assert error_of(lambda: kms.decrypt(CiphertextBlob=blob)) == (400, "InvalidCiphertextException", "")
    assert error_of(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "other", "tenant": "a"})) == (
        400, "InvalidCiphertextException", "")
    assert error_of(lambda: kms.decrypt(CiphertextBlob=b"\x01not a coffer blob")) == (
        400, "InvalidCiphertextException", "")
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    assert error_of(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext=context, KeyId=other)) == (
        400,
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
    assert error_of(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x" * 4097)) == (
        400,
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096",
    )

    data_key = without_metadata(kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=context))
    assert (len(data_key["Plaintext"]), data_key["KeyId"]) == (32, arn)
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext=context)["Plaintext"] == data_key["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key_id, NumberOfBytes=64)["Plaintext"]) == 64
    assert len(kms.generate_data_key(KeyId=key_id, KeySpec="AES_128")["Plaintext"]) == 16
    bare = without_metadata(kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_256"))
    assert sorted(bare) == ["CiphertextBlob", "KeyId"]
    assert len(kms.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]) == 32
    for kwargs in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}):
        assert error_of(lambda: kms.generate_data_key(KeyId=key_id, **kwargs)) == (
            400, "ValidationException", "Please specify either number of bytes or key spec.")
    assert error_of(lambda: kms.generate_data_key(KeyId=key_id, NumberOfBytes=1025)) == (
        400,
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy "
        "constraint: Member must have value less than or equal to 1024",
    )

    # A disabled key refuses everything; a key pending deletion too.
    kms.disable_key(KeyId=key_id)
    for call in (lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"),
                 lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext=context),
                 lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")):
        assert error_of(call) == (400, "DisabledException", f"{arn} is disabled.")
    kms.schedule_key_deletion(KeyId=key_id)
    assert error_of(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)) == (
        400, "KMSInvalidStateException", f"{arn} is pending deletion.")
    kms.cancel_key_deletion(KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == b"attack at dawn"


def test_a_secret_under_a_customer_key(real_server):
    sm = real_server.client()
    kms = real_server.client("kms")
    account = account_of(real_server)
    key_id = kms.create_key(Description="secrets of team a")["KeyMetadata"]["KeyId"]
    alias = f"alias/secrets-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    name = f"kms-{uuid.uuid4().hex[:8]}"
    created = sm.create_secret(Name=name, SecretString="s3cr3t", KmsKeyId=alias)
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == alias
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["KmsKeyIds"] for v in versions] == [[alias]]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "s3cr3t"

    # Disabled: nothing can be read or written; enabled again: readable.
    kms.disable_key(KeyId=key_id)
    assert error_of(lambda: sm.get_secret_value(SecretId=name)) == (400, "DecryptionFailure", MSG_DECRYPTION_FAILURE)
    assert error_of(lambda: sm.put_secret_value(SecretId=name, SecretString="next")) == (
        400, "EncryptionFailure", MSG_ENCRYPTION_FAILURE)
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "s3cr3t"

    # The alias moved to another key: the old version still opens (it records its key), the new
    # one is sealed under the alias's new key.
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.update_alias(AliasName=alias, TargetKeyId=second)
    sm.put_secret_value(SecretId=name, SecretString="next")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "next"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "s3cr3t"
    kms.disable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "next"
    assert error_of(lambda: sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")) == (
        400, "DecryptionFailure", MSG_DECRYPTION_FAILURE)
    kms.enable_key(KeyId=key_id)

    # UpdateSecret to a key ARN: the next version is sealed under it.
    arn = key_arn(account, key_id)
    sm.update_secret(SecretId=name, KmsKeyId=arn, SecretString="third")
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == arn
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert error_of(lambda: sm.get_secret_value(SecretId=name)) == (400, "DecryptionFailure", MSG_DECRYPTION_FAILURE)
    kms.cancel_key_deletion(KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "third"

    # A key that does not exist, in real mode: EncryptionFailure, nothing created.
    assert error_of(lambda: sm.create_secret(Name=f"{name}-x", SecretString="v", KmsKeyId=str(uuid.uuid4()))) == (
        400, "EncryptionFailure", MSG_ENCRYPTION_FAILURE)
    assert error_of(lambda: sm.describe_secret(SecretId=f"{name}-x"))[1] == "ResourceNotFoundException"


def test_using_a_customer_key_needs_kms_permissions(real_server):
    iam = real_server.client("iam")
    kms = real_server.client("kms")
    sm = real_server.client()
    user = f"kms-user-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    access = iam.create_access_key(UserName=user)["AccessKey"]
    iam.put_user_policy(UserName=user, PolicyName="sm", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}],
    }))
    app = real_server.client(access_key=access["AccessKeyId"], secret_key=access["SecretAccessKey"])
    app_kms = real_server.client("kms", access_key=access["AccessKeyId"], secret_key=access["SecretAccessKey"])
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    name = f"kms-perm-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="v1", KmsKeyId=key_id)
    # Secrets Manager's permissions alone do not open a customer key's secret.
    assert error_of(lambda: app.get_secret_value(SecretId=name)) == (
        400, "AccessDeniedException", "Access to KMS is not allowed")
    assert error_of(lambda: app.put_secret_value(SecretId=name, SecretString="v2")) == (
        400, "AccessDeniedException", "Access to KMS is not allowed")
    assert error_of(lambda: app.create_secret(Name=f"{name}-b", SecretString="v", KmsKeyId=key_id)) == (
        400, "AccessDeniedException", "Access to KMS is not allowed")
    account = account_of(real_server)
    status, code, _ = error_of(lambda: app_kms.describe_key(KeyId=key_id))
    assert (status, code) == (400, "AccessDeniedException")
    iam.put_user_policy(UserName=user, PolicyName="kms", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn(account, key_id),
        }],
    }))
    assert app.get_secret_value(SecretId=name)["SecretString"] == "v1"
    app.put_secret_value(SecretId=name, SecretString="v2")
    assert app.get_secret_value(SecretId=name)["SecretString"] == "v2"


def test_kms_through_the_aws_cli(servers, tmp_path):
    server = servers.real()

    def aws(*args):
        done = server.cli(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    key = aws("kms", "create-key", "--description", "from the cli")["KeyMetadata"]
    assert (key["KeyState"], key["Description"]) == ("Enabled", "from the cli")
    aws("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", key["KeyId"])
    assert aws("kms", "describe-key", "--key-id", "alias/cli")["KeyMetadata"]["Arn"] == key["Arn"]
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"from a file")
    encrypted = aws("kms", "encrypt", "--key-id", "alias/cli", "--plaintext", f"fileb://{plain}")
    blob = tmp_path / "blob.bin"
    blob.write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))
    decrypted = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}")
    assert (base64.b64decode(decrypted["Plaintext"]), decrypted["KeyId"]) == (b"from a file", key["Arn"])
    aws("kms", "disable-key", "--key-id", key["KeyId"])
    done = server.cli("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}")
    assert done.returncode == 255
    assert done.stderr.strip() == (
        f"An error occurred (DisabledException) when calling the Decrypt operation: {key['Arn']} is disabled."
    )
    aliases = aws("kms", "list-aliases")["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/cli"]


def test_kms_calls_are_audited_without_plaintext(servers):
    server = servers.real()
    kms = server.client("kms")
    sm = server.client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    secret_plaintext = b"kms-audit-plaintext-4f1d"
    blob = kms.encrypt(KeyId=key_id, Plaintext=secret_plaintext)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == secret_plaintext
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"]
    error_of(lambda: kms.describe_key(KeyId=str(uuid.uuid4())))
    sm.create_secret(Name="audited", SecretString="kms-audit-secret-9c2e", KmsKeyId=key_id)
    server.stop()
    events = [json.loads(line) for line in (server.data_dir / "audit.jsonl").read_text().splitlines()]
    kms_events = [(e["eventName"], e.get("errorCode"), e["readOnly"]) for e in events
                  if e["eventSource"] == "kms.amazonaws.com"]
    assert kms_events == [
        ("CreateKey", None, False),
        ("Encrypt", None, True),
        ("Decrypt", None, True),
        ("GenerateDataKey", None, True),
        ("DescribeKey", "NotFoundException", True),
    ]
    encrypt = next(e for e in events if e["eventName"] == "Encrypt")
    assert encrypt["requestParameters"] == {"keyId": key_id}
    text = b"".join(p.read_bytes() for p in server.data_dir.iterdir() if p.is_file())
    for secret in (secret_plaintext, base64.b64encode(secret_plaintext), base64.b64encode(data_key),
                   b"kms-audit-secret-9c2e"):
        assert secret not in text


def test_dev_mode_creates_an_unknown_key_on_first_use(dev_server):
    sm = dev_server.client()
    kms = dev_server.client("kms")
    key_id = str(uuid.uuid4())
    alias = f"alias/made-up-{uuid.uuid4().hex[:6]}"
    name = f"dev-kms-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="v1", KmsKeyId=key_id)
    sm.create_secret(Name=f"{name}-alias", SecretString="v1", KmsKeyId=alias)
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == key_id
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["Enabled"] is True
    kms.disable_key(KeyId=key_id)
    assert error_of(lambda: sm.get_secret_value(SecretId=name)) == (400, "DecryptionFailure", MSG_DECRYPTION_FAILURE)
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v1"
    # A form that cannot be created here (a multi-Region key id) is still taken, as before.
    mrk = "mrk-" + "0" * 32
    sm.create_secret(Name=f"{name}-mrk", SecretString="v1", KmsKeyId=mrk)
    assert sm.get_secret_value(SecretId=f"{name}-mrk")["SecretString"] == "v1"


def test_rotation_on_demand_keeps_what_the_old_material_encrypted(real_server):
    kms = real_server.client("kms")
    sm = real_server.client()
    account = account_of(real_server)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    name = f"rot-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString="before", KmsKeyId=key_id)
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    assert without_metadata(kms.rotate_key_on_demand(KeyId=key_id)) == {"KeyId": key_arn(account, key_id)}
    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"new")["CiphertextBlob"]
    assert old_blob[:37] == new_blob[:37] and old_blob[37:41] != new_blob[37:41]  # same key, next generation
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"
    assert kms.decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"new"
    sm.put_secret_value(SecretId=name, SecretString="after")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "after"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "before"
    kms.disable_key(KeyId=key_id)
    assert error_of(lambda: kms.rotate_key_on_demand(KeyId=key_id)) == (
        400, "DisabledException", f"{key_arn(account, key_id)} is disabled.")


def test_key_tags_and_policy(server):
    kms = server.client("kms")
    account = account_of(server)
    key_id = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "b"}])
    assert without_metadata(kms.list_resource_tags(KeyId=key_id)) == {
        "Tags": [{"TagKey": "team", "TagValue": "b"}, {"TagKey": "env", "TagValue": "prod"}],
        "Truncated": False,
    }
    kms.untag_resource(KeyId=key_id, TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "env", "TagValue": "prod"}]
    policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")
    assert policy["PolicyName"] == "default"
    assert json.loads(policy["Policy"]) == {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }
    mine = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=mine)
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == mine
    assert error_of(lambda: kms.get_key_policy(KeyId=key_id, PolicyName="other")) == (
        400, "NotFoundException", "No such policy exists")
    status, code, _ = error_of(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy="{nope"))
    assert (status, code) == (400, "MalformedPolicyDocumentException")


def test_kms_requests_are_signed_for_kms(dev_server):
    """A KMS target signed for another service, and an action coffer does not serve."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    def call(target, service):
        request = AWSRequest(method="POST", url=dev_server.endpoint + "/", data=b"{}", headers={
            "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
        SigV4Auth(Credentials(DEV_ACCOUNT, "dev-secret-key"), service, REGION).add_auth(request)
        raw = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
        try:
            with urllib.request.urlopen(raw, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    assert call("TrentService.ListKeys", "kms")[0] == 200
    assert call("TrentService.ListKeys", "secretsmanager") == (400, {
        "__type": "InvalidSignatureException",
        "Message": "Credential should be scoped to correct service: 'kms'. ",
    })
    assert call("TrentService.ConnectCustomKeyStore", "kms") == (400, {
        "__type": "UnknownOperationException", "Message": ""})
