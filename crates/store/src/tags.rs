//! The stored form of an IAM principal's tags: a JSON array of `[key, value]` pairs, in the
//! order given. One column instead of a table, because tags are always read and written with
//! their principal.

/// Encodes tags.
pub(crate) fn encode(tags: &[(String, String)]) -> String {
    let pairs: Vec<[&str; 2]> = tags.iter().map(|(k, v)| [k.as_str(), v.as_str()]).collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".to_owned())
}

/// Decodes tags; `None` when the text is not what [`encode`] writes.
pub(crate) fn decode(text: &str) -> Option<Vec<(String, String)>> {
    let pairs: Vec<[String; 2]> = serde_json::from_str(text).ok()?;
    Some(pairs.into_iter().map(|[k, v]| (k, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_order_and_escapes() {
        let tags = vec![
            ("b\"q".to_owned(), "1".to_owned()),
            ("a".to_owned(), String::new()),
        ];
        assert_eq!(decode(&encode(&tags)), Some(tags));
        assert_eq!(decode("not json"), None);
    }
}
