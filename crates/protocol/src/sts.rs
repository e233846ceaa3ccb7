//! The STS subset coffer answers on its own endpoint: `GetCallerIdentity`, in the awsQuery
//! protocol (a form-encoded request, an XML response).
//!
//! SDKs and AWS's caching agent call it to check that credentials work, so its response and
//! its error shape must parse with their XML parsers exactly as real STS output does.

/// The STS API version every awsQuery request names and every response's namespace carries.
pub const STS_VERSION: &str = "2011-06-15";

/// The XML namespace of STS responses.
const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// An STS request, as far as coffer understands one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsRequest {
    /// `Action=GetCallerIdentity`.
    GetCallerIdentity,
    /// Any other action, by name; answered with an error, never a panic.
    Unsupported(String),
}

/// Reads the action of an awsQuery request body.
///
/// Returns `None` when the body is not form-encoded (`application/x-www-form-urlencoded`,
/// parameters such as `; charset=utf-8` allowed) or names no `Action`, so that the caller
/// can treat it as not an STS request at all.
pub fn parse_action(content_type: Option<&str>, body: &[u8]) -> Option<StsRequest> {
    let media_type = content_type?.split(';').next()?.trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return None;
    }
    action_from_pairs(serde_urlencoded::from_bytes(body).ok()?)
}

/// Reads the action of an awsQuery request sent in the query string, as presigned
/// `GetCallerIdentity` URLs are (the kind EKS-style tokens carry).
pub fn parse_query_action(query: Option<&str>) -> Option<StsRequest> {
    action_from_pairs(serde_urlencoded::from_str(query?).ok()?)
}

fn action_from_pairs(pairs: Vec<(String, String)>) -> Option<StsRequest> {
    let (_, action) = pairs.into_iter().find(|(name, _)| name == "Action")?;
    Some(match action.as_str() {
        "GetCallerIdentity" => StsRequest::GetCallerIdentity,
        _ => StsRequest::Unsupported(action),
    })
}

/// The body of a `GetCallerIdentity` response, laid out as STS lays it out.
pub fn get_caller_identity_xml(
    arn: &str,
    user_id: &str,
    account: &str,
    request_id: &str,
) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"{STS_NAMESPACE}\">\n  \
         <GetCallerIdentityResult>\n    \
         <Arn>{}</Arn>\n    \
         <UserId>{}</UserId>\n    \
         <Account>{}</Account>\n  \
         </GetCallerIdentityResult>\n  \
         <ResponseMetadata>\n    \
         <RequestId>{}</RequestId>\n  \
         </ResponseMetadata>\n\
         </GetCallerIdentityResponse>\n",
        escape(arn),
        escape(user_id),
        escape(account),
        escape(request_id),
    )
}

/// The body of an awsQuery error response (a client error, so `Type` is `Sender`).
pub fn error_xml(code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{STS_NAMESPACE}\">\n  \
         <Error>\n    \
         <Type>Sender</Type>\n    \
         <Code>{}</Code>\n    \
         <Message>{}</Message>\n  \
         </Error>\n  \
         <RequestId>{}</RequestId>\n\
         </ErrorResponse>\n",
        escape(code),
        escape(message),
        escape(request_id),
    )
}

/// Escapes the five XML special characters, so that no value can close an element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_caller_identity_is_recognised_in_a_form_body() {
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        assert_eq!(
            parse_action(
                Some("application/x-www-form-urlencoded; charset=utf-8"),
                body
            ),
            Some(StsRequest::GetCallerIdentity)
        );
        assert_eq!(
            parse_action(Some("Application/X-WWW-Form-Urlencoded"), body),
            Some(StsRequest::GetCallerIdentity)
        );
    }

    #[test]
    fn other_actions_are_unsupported_and_decoded() {
        assert_eq!(
            parse_action(
                Some("application/x-www-form-urlencoded"),
                b"Version=2011-06-15&Action=Assume%52ole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx"
            ),
            Some(StsRequest::Unsupported("AssumeRole".to_owned()))
        );
        // A form body spells a space as `+`.
        assert_eq!(
            parse_action(
                Some("application/x-www-form-urlencoded"),
                b"Action=Get+Caller"
            ),
            Some(StsRequest::Unsupported("Get Caller".to_owned()))
        );
    }

    #[test]
    fn no_action_or_no_form_is_not_sts() {
        let form = Some("application/x-www-form-urlencoded");
        assert_eq!(parse_action(form, b"Version=2011-06-15"), None);
        assert_eq!(parse_action(form, b""), None);
        assert_eq!(
            parse_action(
                Some("application/x-amz-json-1.1"),
                b"Action=GetCallerIdentity"
            ),
            None
        );
        assert_eq!(parse_action(None, b"Action=GetCallerIdentity"), None);
    }

    #[test]
    fn the_action_may_come_in_the_query_string() {
        assert_eq!(
            parse_query_action(Some(
                "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60"
            )),
            Some(StsRequest::GetCallerIdentity)
        );
        assert_eq!(parse_query_action(Some("X-Amz-Expires=60")), None);
        assert_eq!(parse_query_action(None), None);
    }

    #[test]
    fn get_caller_identity_xml_matches_the_sts_layout() {
        // The layout of the example response in the STS API Reference (GetCallerIdentity).
        assert_eq!(
            get_caller_identity_xml(
                "arn:aws:iam::123456789012:user/Alice",
                "AKIAI44QH8DHBEXAMPLE",
                "123456789012",
                "01234567-89ab-cdef-0123-456789abcdef"
            ),
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n\
             \x20 <GetCallerIdentityResult>\n\
             \x20   <Arn>arn:aws:iam::123456789012:user/Alice</Arn>\n\
             \x20   <UserId>AKIAI44QH8DHBEXAMPLE</UserId>\n\
             \x20   <Account>123456789012</Account>\n\
             \x20 </GetCallerIdentityResult>\n\
             \x20 <ResponseMetadata>\n\
             \x20   <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n\
             \x20 </ResponseMetadata>\n\
             </GetCallerIdentityResponse>\n"
        );
    }

    #[test]
    fn values_are_escaped() {
        let xml = get_caller_identity_xml("a<b>&\"c'", "u", "1", "r");
        assert!(
            xml.contains("<Arn>a&lt;b&gt;&amp;&quot;c&apos;</Arn>"),
            "{xml}"
        );
        let xml = error_xml("Code</Code><Code>X", "it's <bad> & \"worse\"", "r&1");
        assert!(
            xml.contains("<Code>Code&lt;/Code&gt;&lt;Code&gt;X</Code>"),
            "{xml}"
        );
        assert!(xml.contains("<Message>it&apos;s &lt;bad&gt; &amp; &quot;worse&quot;</Message>"));
        assert!(xml.contains("<RequestId>r&amp;1</RequestId>"));
    }

    #[test]
    fn error_xml_matches_the_aws_query_error_shape() {
        // The shape real STS answers with (e.g. for a missing token). Both this and the
        // GetCallerIdentity body, with escaped values, were fed to botocore 1.44.5's own parser
        // and read back exactly:
        //
        //     from botocore.parsers import QueryParser
        //     op = botocore.session.get_session().get_service_model('sts') \
        //         .operation_model('GetCallerIdentity')
        //     QueryParser().parse({'body': xml, 'headers': {}, 'status_code': 400},
        //                         op.output_shape)
        //     # {'Error': {'Type': 'Sender', 'Code': ..., 'Message': 'it\'s <bad> & "worse"'},
        //     #  'ResponseMetadata': {'RequestId': 'r&1', ...}}
        assert_eq!(
            error_xml(
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
                "89b682e5-ac18-4fac-a917-2155723ed59b"
            ),
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n\
             \x20 <Error>\n\
             \x20   <Type>Sender</Type>\n\
             \x20   <Code>MissingAuthenticationToken</Code>\n\
             \x20   <Message>Request is missing Authentication Token</Message>\n\
             \x20 </Error>\n\
             \x20 <RequestId>89b682e5-ac18-4fac-a917-2155723ed59b</RequestId>\n\
             </ErrorResponse>\n"
        );
    }
}
