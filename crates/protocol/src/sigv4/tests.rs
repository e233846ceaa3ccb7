//! Tests against AWS's published SigV4 test suite, against vectors generated with botocore,
//! and for every failure class.
//!
//! The suite vectors are the `header-signed-request.txt` files of
//! `awslabs/aws-c-auth/tests/aws-signing-test-suite/v4/<case>/` (AKIDEXAMPLE, us-east-1,
//! service `service`, 20150830T123600Z), pasted as raw HTTP text and parsed by [`raw`].

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;
use crate::error::ErrorCode;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// 20150830T123600Z, the time of every vector.
fn suite_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap()
}

/// A request owned by the test, from which [`RequestParts`] are borrowed.
struct Raw {
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            path: &self.path,
            query: self.query.as_deref(),
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn parse_at(&self, now: DateTime<Utc>) -> Result<SignedRequest, AuthError> {
        parse(&self.parts(), now)
    }

    fn set(&mut self, name: &str, value: &str) {
        self.headers.insert(
            HeaderName::try_from(name.to_ascii_lowercase()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
}

/// Parses a request written as the test suite writes them: a request line, `Name:value`
/// header lines (a repeated name adds a value), a blank line, the body.
fn raw(text: &str) -> Raw {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let mut words = request_line.splitn(2, ' ');
    let method = words.next().unwrap().to_owned();
    let target = words.next().unwrap().rsplit_once(' ').unwrap().0;
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (target.to_owned(), None),
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        headers.append(
            HeaderName::try_from(name.to_ascii_lowercase()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    Raw {
        method,
        path,
        query,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn key_for(request: &SignedRequest, secret: &str) -> SigningKey {
    derive_signing_key(
        secret,
        &request.scope.date,
        &request.scope.region,
        &request.scope.service,
    )
}

/// Parses at the vector's own time and verifies with the suite's secret key.
fn assert_verifies(text: &str) -> SignedRequest {
    let request = raw(text);
    let signed = request.parse_at(suite_time()).unwrap();
    signed.verify(&key_for(&signed, SECRET)).unwrap();
    signed
}

// ------------------------------------------------------------------ AWS's published suite

#[test]
fn get_vanilla_canonical_request_string_to_sign_and_signature() {
    let request = raw(
        "GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, \
         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\n\n",
    );
    let canonical = canonical::canonical_request(&canonical::CanonicalInput {
        method: "GET",
        path: "/",
        query: "",
        headers: &request.headers,
        signed_headers: &["host", "x-amz-date"],
        signed_headers_line: "host;x-amz-date",
        payload_hash: EMPTY_SHA256,
        skip_signature: false,
    });
    // get-vanilla.creq
    assert_eq!(
        String::from_utf8(canonical).unwrap(),
        format!("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY_SHA256}")
    );
    let signed = request.parse_at(suite_time()).unwrap();
    // get-vanilla.sts
    assert_eq!(
        signed.string_to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
         bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    assert_eq!(signed.access_key_id, AKID);
    assert_eq!(
        signed.scope,
        CredentialScope {
            date: "20150830".into(),
            region: "us-east-1".into(),
            service: "service".into()
        }
    );
    assert_eq!(signed.request_time, suite_time());
    assert!(!signed.presigned);
    assert_eq!(signed.session_token, None);
    signed.verify(&key_for(&signed, SECRET)).unwrap();
    // The signature itself: the one the suite publishes, computed here from the key.
    assert_eq!(
        hex::encode(*key_for(&signed, SECRET).sign(signed.string_to_sign.as_bytes())),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn suite_get_vanilla_query_order_key_case() {
    assert_verifies(
        "GET /?Param2=value2&Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
    assert_eq!(
        canonical::canonical_query("Param2=value2&Param1=value1", false),
        "Param1=value1&Param2=value2"
    );
}

#[test]
fn suite_get_vanilla_query_order_encoded() {
    // Commit 914018699e36e644949332fadd8bd4eaaaeedd6d of aws-c-auth.
    assert_verifies(
        "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1 HTTP/1.1\nHost:example.amazonaws.com\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
}

#[test]
fn suite_get_vanilla_utf8_query() {
    assert_verifies(
        "GET /?\u{1234}=bar HTTP/1.1\nHost:example.amazonaws.com\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
}

#[test]
fn suite_get_query_plus_keeps_the_plus() {
    // smithy-lang/smithy-rs aws/rust-runtime/aws-sigv4/aws-signing-test-suite/v4/get-query-plus.
    assert_verifies(
        "GET /?c+d HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=ae684ce3aadc299e3ac7d9216fcc039c7edf40dea57cf5b3005821dd2f176654\n\n",
    );
    assert_eq!(canonical::canonical_query("c+d", false), "c%2Bd=");
}

#[test]
fn suite_get_header_value_trim() {
    assert_verifies(
        "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1: value1\nMy-Header2: \"a   b   c\"\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
}

#[test]
fn suite_get_header_key_duplicate_and_value_order() {
    // Several values of one header are joined with commas in the order received.
    assert_verifies(
        "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value2\nMy-Header1:value2\nMy-Header1:value1\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
    assert_verifies(
        "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value4\nMy-Header1:value1\nMy-Header1:value3\nMy-Header1:value2\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
}

#[test]
fn suite_get_vanilla_with_session_token() {
    let signed = assert_verifies(
        "GET / HTTP/1.1\nHost:example.amazonaws.com\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8\n\
         X-Amz-Date:20150830T123600Z\n\
         X-Amz-Security-Token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\n",
    );
    assert_eq!(
        signed.session_token.as_deref(),
        Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267")
    );
}

#[test]
fn suite_get_slashes_normalized() {
    assert_verifies(
        "GET //example// HTTP/1.1\nHost:example.amazonaws.com\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
    assert_eq!(canonical::canonical_uri("//example//"), "/example/");
}

#[test]
fn suite_paths_given_unencoded_are_encoded_once() {
    // The suite writes these paths unencoded (`/example space/`, `/ሴ`) and expects them
    // encoded once; a path received over HTTP is already encoded once, and its second
    // encoding is checked with botocore's vector below.
    assert_verifies(
        "GET /example space/ HTTP/1.1\nHost:example.amazonaws.com\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
    assert_verifies(
        "GET /\u{1234} HTTP/1.1\nHost:example.amazonaws.com\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
    assert_verifies(
        "GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\nHost:example.amazonaws.com\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f\n\
         X-Amz-Date:20150830T123600Z\n\n",
    );
}

#[test]
fn suite_post_x_www_form_urlencoded() {
    // Commit 71a25bdee47398379c389e60bfdd74fc031dc20a of aws-c-auth, which also signs
    // x-amz-content-sha256 (the SHA-256 of `Param1=value1`).
    assert_verifies(
        "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\nHost:example.amazonaws.com\nContent-Length:13\n\
         x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b\n\
         X-Amz-Date:20150830T123600Z\n\nParam1=value1",
    );
}

#[test]
fn suite_presigned_get_vanilla_query_order_key_case() {
    // query-signed-request.txt, commit b081db5425ea8fec2f29f942ef010fcf75442d01 of aws-c-auth.
    let signed = assert_verifies(
        "GET /?Param2=value2&Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5 HTTP/1.1\n\
         Host:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\n",
    );
    assert!(signed.presigned);
}

// ------------------------------------------------------------------ botocore's vectors

// Generated with botocore 1.44.5 (`/tmp/bc/bin/python`):
//
//     import datetime; from unittest import mock
//     import botocore.auth as auth
//     from botocore.awsrequest import AWSRequest
//     from botocore.credentials import Credentials
//     T = datetime.datetime(2015, 8, 30, 12, 36, 0)
//     def go(cls, creds, method, url, headers, data, service, **kw):
//         req = AWSRequest(method=method, url=url, headers=headers, data=data)
//         with mock.patch.object(auth, 'get_current_datetime', lambda: T):
//             cls(creds, service, 'us-east-1', **kw).add_auth(req)
//             p = req.prepare()
//         print(p.url, dict(p.headers), p.body)
//     ak, sk = 'AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
//     body = b'{"SecretId": "MyTestSecret"}'
//     hdrs = lambda: {'Content-Type': 'application/x-amz-json-1.1',
//                     'X-Amz-Target': 'secretsmanager.GetSecretValue',
//                     'Host': 'secretsmanager.us-east-1.amazonaws.com'}
//     sm = 'https://secretsmanager.us-east-1.amazonaws.com/'
//     go(auth.SigV4Auth, Credentials(ak, sk), 'POST', sm, hdrs(), body, 'secretsmanager')
//     go(auth.SigV4Auth, Credentials(ak, sk, 'FQoGZXIvYXdzEXAMPLETOKEN/+='), 'POST', sm, hdrs(),
//        body, 'secretsmanager')
//     go(auth.SigV4Auth, Credentials(ak, sk), 'GET',
//        sm + 'a%20b/%E1%88%B4/./c/../d?b=2&a=x%2Fy&a=1',
//        {'Host': 'secretsmanager.us-east-1.amazonaws.com'}, b'', 'secretsmanager')
//     go(auth.SigV4QueryAuth, Credentials(ak, sk), 'GET', sm,
//        {'Host': 'secretsmanager.us-east-1.amazonaws.com'}, b'', 'secretsmanager', expires=900)
//     go(auth.SigV4QueryAuth, Credentials(ak, sk, 'FQoGZXIvYXdzEXAMPLETOKEN/+='), 'POST', sm,
//        hdrs(), body, 'secretsmanager', expires=300)
//     go(auth.SigV4QueryAuth, Credentials(ak, sk), 'GET',
//        'https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15',
//        {'Host': 'sts.amazonaws.com'}, b'', 'sts', expires=60)

const SM_BODY: &str = r#"{"SecretId": "MyTestSecret"}"#;
const TOKEN: &str = "FQoGZXIvYXdzEXAMPLETOKEN/+=";

fn botocore_post(token: bool) -> Raw {
    let (signed_headers, signature) = if token {
        (
            "content-type;host;x-amz-date;x-amz-security-token;x-amz-target",
            "c0ec311da398885858a94c9fbe63c9f133979e2984600ab47517f35acaae457d",
        )
    } else {
        (
            "content-type;host;x-amz-date;x-amz-target",
            "30dcdb8002abeeaafff0559fae12ec67c965950090ea426661d643972314b2aa",
        )
    };
    let mut text = format!(
        "POST / HTTP/1.1\nContent-Type:application/x-amz-json-1.1\n\
         X-Amz-Target:secretsmanager.GetSecretValue\nHost:secretsmanager.us-east-1.amazonaws.com\n\
         X-Amz-Date:20150830T123600Z\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request, SignedHeaders={signed_headers}, Signature={signature}\n\
         Content-Length:28\n"
    );
    if token {
        text.push_str(&format!("X-Amz-Security-Token:{TOKEN}\n"));
    }
    text.push('\n');
    text.push_str(SM_BODY);
    raw(&text)
}

#[test]
fn botocore_json_post_without_session_token() {
    let request = botocore_post(false);
    let signed = request.parse_at(suite_time()).unwrap();
    assert_eq!(signed.scope.service, "secretsmanager");
    signed.expect_service("secretsmanager").unwrap();
    signed.verify(&key_for(&signed, SECRET)).unwrap();
    assert_eq!(signed.session_token, None);
}

#[test]
fn botocore_json_post_with_session_token() {
    let request = botocore_post(true);
    let signed = request.parse_at(suite_time()).unwrap();
    signed.verify(&key_for(&signed, SECRET)).unwrap();
    assert_eq!(signed.session_token.as_deref(), Some(TOKEN));
}

#[test]
fn botocore_double_encodes_and_normalises_the_path() {
    let request = raw(
        "GET /a%20b/%E1%88%B4/./c/../d?b=2&a=x%2Fy&a=1 HTTP/1.1\nHost:secretsmanager.us-east-1.amazonaws.com\n\
         X-Amz-Date:20150830T123600Z\n\
         Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=064c98969d7a2fb50ff8211069e74a323999baf0ad952bcb3c7fc0b05e0ee467\n\n",
    );
    let signed = request.parse_at(suite_time()).unwrap();
    signed.verify(&key_for(&signed, SECRET)).unwrap();
    assert_eq!(
        canonical::canonical_uri("/a%20b/%E1%88%B4/./c/../d"),
        "/a%2520b/%25E1%2588%25B4/d"
    );
    assert_eq!(
        canonical::canonical_query("b=2&a=x%2Fy&a=1", false),
        "a=1&a=x%2Fy&b=2"
    );
}

#[test]
fn botocore_presigned_get() {
    let request = raw(
        "GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsecretsmanager%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=2c3cb250b92985bcbf36f708a1870f02366e65924c65c41ac6db9e5b13252403 HTTP/1.1\n\
         Host:secretsmanager.us-east-1.amazonaws.com\n\n",
    );
    let signed = request.parse_at(suite_time()).unwrap();
    assert!(signed.presigned);
    assert_eq!(signed.access_key_id, AKID);
    signed.verify(&key_for(&signed, SECRET)).unwrap();
}

#[test]
fn botocore_presigned_json_post_with_session_token() {
    // botocore moves the JSON body into the query string and signs an empty body.
    let request = raw(
        "POST /?SecretId=MyTestSecret&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsecretsmanager%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-target&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLETOKEN%2F%2B%3D&X-Amz-Signature=b62010baa220a899379bf47a1747d5c864f2ae758f90664bf3c550e105db2c1a HTTP/1.1\n\
         Content-Type:application/x-amz-json-1.1\nX-Amz-Target:secretsmanager.GetSecretValue\n\
         Host:secretsmanager.us-east-1.amazonaws.com\nContent-Length:0\n\n"
    );
    let signed = request.parse_at(suite_time()).unwrap();
    assert_eq!(signed.session_token.as_deref(), Some(TOKEN));
    signed.verify(&key_for(&signed, SECRET)).unwrap();
}

fn botocore_sts_presigned() -> Raw {
    raw("GET /?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=1d10ef2bc2bb1b02201752f1912e9eb7a5df0d0d7bd2cc98b1f5557b7a9254be HTTP/1.1\n\
         Host:sts.amazonaws.com\n\n")
}

#[test]
fn botocore_presigned_sts_get_caller_identity() {
    let signed = botocore_sts_presigned().parse_at(suite_time()).unwrap();
    signed.expect_service("sts").unwrap();
    signed.verify(&key_for(&signed, SECRET)).unwrap();
}

// ------------------------------------------------------------------ tampering

#[test]
fn a_wrong_key_does_not_verify() {
    let signed = botocore_post(false).parse_at(suite_time()).unwrap();
    let error = signed
        .verify(&key_for(
            &signed,
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
        ))
        .unwrap_err();
    assert_eq!(error, AuthError::SignatureDoesNotMatch);
    // A key for another scope is as wrong as another secret.
    let other_region = derive_signing_key(SECRET, "20150830", "us-west-2", "secretsmanager");
    assert_eq!(
        signed.verify(&other_region),
        Err(AuthError::SignatureDoesNotMatch)
    );
}

#[test]
fn a_tampered_body_does_not_verify() {
    let mut request = botocore_post(false);
    request.body = br#"{"SecretId": "OtherSecret!"}"#.to_vec();
    let signed = request.parse_at(suite_time()).unwrap();
    assert_eq!(
        signed.verify(&key_for(&signed, SECRET)),
        Err(AuthError::SignatureDoesNotMatch)
    );
}

#[test]
fn a_tampered_signed_header_does_not_verify() {
    let mut request = botocore_post(false);
    request.set("X-Amz-Target", "secretsmanager.DeleteSecret");
    let signed = request.parse_at(suite_time()).unwrap();
    assert_eq!(
        signed.verify(&key_for(&signed, SECRET)),
        Err(AuthError::SignatureDoesNotMatch)
    );
}

#[test]
fn a_tampered_query_does_not_verify() {
    let mut request = botocore_sts_presigned();
    request.query = request
        .query
        .map(|query| query.replace("Action=GetCallerIdentity", "Action=AssumeRole"));
    let signed = request.parse_at(suite_time()).unwrap();
    assert_eq!(
        signed.verify(&key_for(&signed, SECRET)),
        Err(AuthError::SignatureDoesNotMatch)
    );
}

#[test]
fn a_signature_that_is_not_hex_matches_nothing() {
    let mut request = botocore_post(false);
    request.set(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=zz",
    );
    let signed = request.parse_at(suite_time()).unwrap();
    assert_eq!(
        signed.verify(&key_for(&signed, SECRET)),
        Err(AuthError::SignatureDoesNotMatch)
    );
}

#[test]
fn a_declared_payload_hash_must_be_the_body_hash() {
    let mut request = botocore_post(false);
    request.set("X-Amz-Content-Sha256", EMPTY_SHA256);
    assert_eq!(
        request.parse_at(suite_time()).unwrap_err(),
        AuthError::PayloadHashMismatch
    );
    // The right digest, in either case, is accepted (it is not among the signed headers
    // here, so the signature still matches).
    request.set(
        "X-Amz-Content-Sha256",
        &canonical::sha256_hex(SM_BODY.as_bytes()).to_uppercase(),
    );
    let signed = request.parse_at(suite_time()).unwrap();
    signed.verify(&key_for(&signed, SECRET)).unwrap();
    // S3's UNSIGNED-PAYLOAD is not a digest: parsing goes on and the body is still signed.
    request.set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
    request.parse_at(suite_time()).unwrap();
}

// ------------------------------------------------------------------ clock

#[test]
fn header_form_clock_skew_boundaries() {
    let request = botocore_post(false);
    let skew = MAX_CLOCK_SKEW;
    let second = TimeDelta::seconds(1);
    // The server's clock 15 minutes after or before the request time: still fine.
    for now in [suite_time() + skew, suite_time() - skew] {
        let signed = request.parse_at(now).unwrap();
        signed.verify(&key_for(&signed, SECRET)).unwrap();
    }
    let late = suite_time() + skew + second;
    let error = request.parse_at(late).unwrap_err();
    assert_eq!(
        error,
        AuthError::SignatureExpired {
            request_time: suite_time(),
            now: late
        }
    );
    assert_eq!(
        error.to_string(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z \
         (20150830T125101Z - 15 min.)"
    );
    let early = suite_time() - skew - second;
    let error = request.parse_at(early).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z \
         (20150830T122059Z + 15 min.)"
    );
    assert_eq!(error.code(), ErrorCode::InvalidSignatureException);
}

#[test]
fn presigned_validity_window() {
    // botocore's STS URL: X-Amz-Date 20150830T123600Z, X-Amz-Expires 60.
    let request = botocore_sts_presigned();
    let second = TimeDelta::seconds(1);
    for now in [
        suite_time() - MAX_CLOCK_SKEW,
        suite_time(),
        suite_time() + TimeDelta::seconds(60),
    ] {
        request.parse_at(now).unwrap();
    }
    let expired = suite_time() + TimeDelta::seconds(60) + second;
    let error = request.parse_at(expired).unwrap_err();
    assert_eq!(
        error,
        AuthError::PresignedExpired {
            expired_at: suite_time() + TimeDelta::seconds(60),
            now: expired
        }
    );
    assert_eq!(error.to_string(), "Request has expired");
    assert_eq!(error.code(), ErrorCode::InvalidSignatureException);
    let early = suite_time() - MAX_CLOCK_SKEW - second;
    assert!(matches!(
        request.parse_at(early),
        Err(AuthError::SignatureNotYetCurrent { .. })
    ));
}

#[test]
fn presigned_expires_must_be_one_second_to_seven_days() {
    let url = |expires: &str| {
        raw(&format!(
            "GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=00 HTTP/1.1\nHost:sts.amazonaws.com\n\n"
        ))
    };
    url("604800").parse_at(suite_time()).unwrap();
    url("1").parse_at(suite_time()).unwrap();
    for (value, message) in [
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
        ("0", "X-Amz-Expires must be greater than 0"),
        ("-5", "X-Amz-Expires must be non-negative"),
        ("soon", "X-Amz-Expires should be a number"),
    ] {
        let error = url(value).parse_at(suite_time()).unwrap_err();
        assert_eq!(
            error,
            AuthError::InvalidExpires {
                value: value.to_owned()
            }
        );
        assert_eq!(error.to_string(), message);
        assert_eq!(error.code(), ErrorCode::IncompleteSignatureException);
    }
}

// ------------------------------------------------------------------ each error class

fn vanilla_with_authorization(authorization: &str) -> Raw {
    let mut request =
        raw("GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\n");
    request.set("Authorization", authorization);
    request
}

fn api_error_of(request: &Raw) -> crate::ApiError {
    request.parse_at(suite_time()).unwrap_err().to_api_error()
}

#[test]
fn no_authentication_at_all() {
    let request = raw("POST / HTTP/1.1\nHost:example.amazonaws.com\n\n{}");
    let error = request.parse_at(suite_time()).unwrap_err();
    assert_eq!(error, AuthError::MissingAuthenticationToken);
    let api = error.to_api_error();
    assert_eq!(api.code, ErrorCode::MissingAuthenticationTokenException);
    assert_eq!(api.message, "Request is missing Authentication Token");
    assert_eq!(api.code.http_status(), 400);
    // Query parameters without X-Amz-Algorithm are not an attempt at presigning.
    let request = raw("GET /?X-Amz-Credential=AKID HTTP/1.1\nHost:example.amazonaws.com\n\n");
    assert_eq!(
        request.parse_at(suite_time()).unwrap_err(),
        AuthError::MissingAuthenticationToken
    );
}

#[test]
fn incomplete_authorization_header() {
    let api = api_error_of(&vanilla_with_authorization(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
    ));
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        "Authorization header requires 'Signature' parameter. Authorization header requires \
         'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 \
         Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
    );

    // Another scheme: every part missing, and the value (perhaps a password) not echoed.
    let mut request = raw("GET / HTTP/1.1\nHost:example.amazonaws.com\n\n");
    request.set("Authorization", "Basic dXNlcjpwYXNzd29yZA==");
    let api = api_error_of(&request);
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        "Authorization header requires 'Credential' parameter. Authorization header requires \
         'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. \
         Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    );
}

#[test]
fn missing_date_header() {
    let mut request = raw("GET / HTTP/1.1\nHost:example.amazonaws.com\n\n");
    let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                  SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    request.set("Authorization", header);
    let error = request.parse_at(suite_time()).unwrap_err();
    assert_eq!(
        error,
        AuthError::MissingAuthorizationParts {
            missing: MissingParts {
                date: true,
                ..MissingParts::default()
            },
            authorization: Some(header.to_owned())
        }
    );
    assert_eq!(
        error.to_string(),
        format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
             header. Authorization={header}"
        )
    );
}

#[test]
fn a_date_header_in_http_format_is_accepted() {
    // botocore replaces X-Amz-Date with an HTTP Date header when the caller set one.
    let mut request = raw("GET / HTTP/1.1\nHost:example.amazonaws.com\n\n");
    request.set("Date", "Sun, 30 Aug 2015 12:36:00 GMT");
    request.set(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=date;host, Signature=00",
    );
    let signed = request.parse_at(suite_time()).unwrap();
    assert_eq!(signed.request_time, suite_time());
    assert!(signed.string_to_sign.contains("\n20150830T123600Z\n"));
    // X-Amz-Date itself must be in the basic format.
    request.set("X-Amz-Date", "Sun, 30 Aug 2015 12:36:00 GMT");
    assert!(matches!(
        request.parse_at(suite_time()),
        Err(AuthError::MalformedDate { .. })
    ));
}

#[test]
fn a_word_without_equals_sign() {
    let header =
        "AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                  SignedHeaders=host;x-amz-date, Signature=00";
    let api = api_error_of(&vanilla_with_authorization(header));
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        format!(
            "'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request' not a valid key=value pair \
             (missing equal-sign) in Authorization header: '{header}'."
        )
    );
}

#[test]
fn unsupported_algorithms() {
    let api = api_error_of(&vanilla_with_authorization(
        "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/service/aws4_request, \
         SignedHeaders=host, Signature=00",
    ));
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
    );
    let request =
        raw("GET /?X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=x HTTP/1.1\nHost:h\n\n");
    assert_eq!(
        request.parse_at(suite_time()).unwrap_err(),
        AuthError::UnsupportedAlgorithm {
            algorithm: "AWS4-HMAC-SHA1".to_owned()
        }
    );
}

fn with_credential(credential: &str) -> Raw {
    vanilla_with_authorization(&format!(
        "AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature=00"
    ))
}

#[test]
fn bad_credential_scopes() {
    let api = api_error_of(&with_credential("AKIDEXAMPLE/20150830/us-east-1/service"));
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        "Credential must have exactly 5 slash-delimited elements, e.g. \
         keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/service'"
    );
    let api = api_error_of(&with_credential(
        "AKIDEXAMPLE/20150830/us-east-1/service/aws5_request",
    ));
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
    );
    let api = api_error_of(&with_credential(
        "AKIDEXAMPLE/20150830/US_EAST/service/aws4_request",
    ));
    assert_eq!(api.code, ErrorCode::InvalidSignatureException);
    assert_eq!(
        api.message,
        "Credential should be scoped to a valid region, not 'US_EAST'. "
    );
    let api = api_error_of(&with_credential(
        "AKIDEXAMPLE/20150831/us-east-1/service/aws4_request",
    ));
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
         HTTP: '20150831' != '20150830', from '20150830T123600Z'."
    );
}

#[test]
fn a_scope_for_another_service() {
    let signed = botocore_sts_presigned().parse_at(suite_time()).unwrap();
    let error = signed.expect_service("secretsmanager").unwrap_err();
    assert_eq!(
        error,
        AuthError::WrongService {
            expected: "secretsmanager".to_owned(),
            received: "sts".to_owned()
        }
    );
    let api = error.to_api_error();
    assert_eq!(api.code, ErrorCode::InvalidSignatureException);
    assert_eq!(
        api.message,
        "Credential should be scoped to correct service: 'secretsmanager'. "
    );
}

#[test]
fn a_scope_for_a_service_coffer_does_not_serve() {
    let signature = "0".repeat(64);
    let signed = vanilla_with_authorization(&format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature={signature}"
    ))
    .parse_at(suite_time())
    .unwrap();
    let error = signed.expect_service("secretsmanager").unwrap_err();
    assert_eq!(
        error,
        AuthError::UnservedService {
            service: "ssm".to_owned()
        }
    );
    let api = error.to_api_error();
    assert_eq!(api.code, ErrorCode::UnknownOperationException);
    assert_eq!(
        api.message,
        "coffer does not serve the ssm API: this endpoint answers Secrets Manager, STS, IAM and KMS only."
    );
}

#[test]
fn a_malformed_date() {
    let mut request = with_credential("AKIDEXAMPLE/20150830/us-east-1/service/aws4_request");
    request.set("X-Amz-Date", "2015-08-30T12:36:00Z");
    let api = api_error_of(&request);
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See \
         http://en.wikipedia.org/wiki/ISO_8601"
    );
}

#[test]
fn host_must_be_signed() {
    let api = api_error_of(&vanilla_with_authorization(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=x-amz-date, Signature=00",
    ));
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
    let mut request = botocore_sts_presigned();
    request.query = request
        .query
        .map(|query| query.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date"));
    assert_eq!(
        request.parse_at(suite_time()).unwrap_err(),
        AuthError::HostNotSigned
    );
}

#[test]
fn presigned_requests_need_every_parameter() {
    let mut request = botocore_sts_presigned();
    request.query = request
        .query
        .map(|query| query.replace("&X-Amz-Expires=60", ""));
    let api = api_error_of(&request);
    assert_eq!(api.code, ErrorCode::IncompleteSignatureException);
    assert_eq!(
        api.message,
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
         X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
    );
}

#[test]
fn a_wrong_signature_has_aws_message() {
    let api = AuthError::SignatureDoesNotMatch.to_api_error();
    assert_eq!(api.code, ErrorCode::InvalidSignatureException);
    assert_eq!(
        api.message,
        "The request signature we calculated does not match the signature you provided. Check \
         your AWS Secret Access Key and signing method. Consult the service documentation for \
         details."
    );
    assert_eq!(
        AuthError::PayloadHashMismatch.to_api_error().code,
        ErrorCode::InvalidSignatureException
    );
}

#[test]
fn secrets_never_reach_debug_output() {
    let key = derive_signing_key(SECRET, "20150830", "us-east-1", "service");
    assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
    let signed = botocore_post(true).parse_at(suite_time()).unwrap();
    let debug = format!("{signed:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
    assert!(!debug.contains("30dcdb80"), "{debug}");
    assert!(debug.contains("AKIDEXAMPLE"), "{debug}");
    let params = SigningParams {
        access_key_id: AKID,
        secret_access_key: SECRET,
        session_token: Some(TOKEN),
        region: "us-east-1",
        service: "service",
        time: suite_time(),
    };
    let debug = format!("{params:?}");
    assert!(!debug.contains(SECRET) && !debug.contains(TOKEN), "{debug}");
    let request = botocore_post(true);
    let debug = format!("{:?}", request.parts());
    assert!(
        !debug.contains("MyTestSecret") && !debug.contains(TOKEN),
        "{debug}"
    );
}

// ------------------------------------------------------------------ round trips

fn params(token: Option<&'static str>) -> SigningParams<'static> {
    SigningParams {
        access_key_id: AKID,
        secret_access_key: SECRET,
        session_token: token,
        region: "eu-west-1",
        service: "secretsmanager",
        time: suite_time(),
    }
}

fn unsigned_post() -> Raw {
    let mut request = raw(&format!(
        "POST / HTTP/1.1\nHost:localhost:8080\nContent-Type:application/x-amz-json-1.1\n\
         X-Amz-Target:secretsmanager.GetSecretValue\nUser-Agent:test/1.0\n\n{SM_BODY}"
    ));
    request.path = "/".into();
    request
}

#[test]
fn sign_headers_matches_botocore() {
    // The same request as botocore's first vector gets the same Authorization header.
    let request = raw(&format!(
        "POST / HTTP/1.1\nContent-Type:application/x-amz-json-1.1\n\
         X-Amz-Target:secretsmanager.GetSecretValue\nHost:secretsmanager.us-east-1.amazonaws.com\n\n{SM_BODY}"
    ));
    let added = sign_headers(
        &request.parts(),
        &SigningParams {
            region: "us-east-1",
            ..params(None)
        },
    );
    assert_eq!(
        added,
        vec![
            ("X-Amz-Date".to_owned(), "20150830T123600Z".to_owned()),
            (
                "Authorization".to_owned(),
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
                 Signature=30dcdb8002abeeaafff0559fae12ec67c965950090ea426661d643972314b2aa"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn presign_query_matches_botocore() {
    let request = raw(
        "GET /?Action=GetCallerIdentity&Version=2011-06-15 HTTP/1.1\nHost:sts.amazonaws.com\n\n",
    );
    let query = presign_query(
        &request.parts(),
        &SigningParams {
            region: "us-east-1",
            service: "sts",
            ..params(None)
        },
        60,
    );
    assert_eq!(
        query,
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=1d10ef2bc2bb1b02201752f1912e9eb7a5df0d0d7bd2cc98b1f5557b7a9254be"
    );
}

#[test]
fn sign_headers_round_trips_with_and_without_token() {
    for token in [None, Some(TOKEN)] {
        let mut request = unsigned_post();
        for (name, value) in sign_headers(&request.parts(), &params(token)) {
            request.set(&name, &value);
        }
        let signed = request.parse_at(suite_time()).unwrap();
        assert_eq!(signed.session_token.as_deref(), token);
        assert_eq!(signed.scope.region, "eu-west-1");
        signed.verify(&key_for(&signed, SECRET)).unwrap();
        // The user agent is not signed, as in botocore, so a proxy may change it.
        request.set("User-Agent", "proxy/2.0");
        let signed = request.parse_at(suite_time()).unwrap();
        signed.verify(&key_for(&signed, SECRET)).unwrap();
    }
}

#[test]
fn presign_query_round_trips_with_and_without_token() {
    for token in [None, Some(TOKEN)] {
        let mut request = unsigned_post();
        request.query = Some("b=2&a=1".into());
        let appended = presign_query(&request.parts(), &params(token), 900);
        request.query = Some(format!("b=2&a=1&{appended}"));
        let signed = request.parse_at(suite_time()).unwrap();
        assert!(signed.presigned);
        assert_eq!(signed.session_token.as_deref(), token);
        signed.verify(&key_for(&signed, SECRET)).unwrap();
        // The body is signed in the presigned form too.
        request.body = b"{}".to_vec();
        let signed = request.parse_at(suite_time()).unwrap();
        assert_eq!(
            signed.verify(&key_for(&signed, SECRET)),
            Err(AuthError::SignatureDoesNotMatch)
        );
    }
}

proptest::proptest! {
    #[test]
    fn any_signed_request_verifies_and_any_changed_body_does_not(
        path in "(/[a-zA-Z0-9 %._~-]{0,12}){1,4}",
        query in proptest::option::of("[a-zA-Z0-9]{1,5}=[a-zA-Z0-9 %+/]{0,8}(&[a-z]{1,3}=[a-z0-9]{0,4}){0,3}"),
        body in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
        header in "[ -~]{0,20}",
    ) {
        // A path with a raw `%` that is not an escape is still signed and verified alike.
        let mut request = Raw {
            method: "POST".into(),
            path: path.replace(' ', "%20"),
            query: query.map(|q| q.replace(' ', "%20")),
            headers: HeaderMap::new(),
            body,
        };
        request.set("Host", "localhost");
        request.set("X-Custom", &header);
        for (name, value) in sign_headers(&request.parts(), &params(None)) {
            request.set(&name, &value);
        }
        let signed = request.parse_at(suite_time()).unwrap();
        proptest::prop_assert!(signed.verify(&key_for(&signed, SECRET)).is_ok());
        request.body.push(b'x');
        let signed = request.parse_at(suite_time()).unwrap();
        proptest::prop_assert_eq!(
            signed.verify(&key_for(&signed, SECRET)),
            Err(AuthError::SignatureDoesNotMatch)
        );
    }
}

#[test]
fn an_unsigned_amz_header_is_refused_and_other_unsigned_headers_are_not() {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    let body = br#"{"SecretId":"a"}"#;
    let time = Utc::now();
    let sign = |headers: &HeaderMap| {
        let parts = RequestParts {
            method: "POST",
            path: "/",
            query: None,
            headers,
            body,
        };
        sign_headers(
            &parts,
            &SigningParams {
                access_key_id: "AKIDEXAMPLE",
                secret_access_key: "secret",
                session_token: None,
                region: "us-east-1",
                service: "secretsmanager",
                time,
            },
        )
    };
    let mut signed = headers.clone();
    for (name, value) in sign(&headers) {
        signed.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    let parse_with = |extra: &[(&'static str, &'static str)]| {
        let mut all = signed.clone();
        for (name, value) in extra {
            all.insert(*name, HeaderValue::from_static(value));
        }
        let parts = RequestParts {
            method: "POST",
            path: "/",
            query: None,
            headers: &all,
            body,
        };
        parse(&parts, time).map(|_| ())
    };
    assert_eq!(parse_with(&[]), Ok(()));
    assert_eq!(
        parse_with(&[("x-forwarded-for", "10.0.0.1"), ("user-agent", "x")]),
        Ok(())
    );
    let err = parse_with(&[("x-amz-target", "secretsmanager.DeleteSecret")]).unwrap_err();
    assert_eq!(
        err,
        AuthError::HeadersNotSigned {
            names: "x-amz-target".into()
        }
    );
    assert_eq!(err.code(), ErrorCode::IncompleteSignatureException);
    assert_eq!(
        err.to_string(),
        "There were headers present in the request which were not signed: x-amz-target"
    );
}
