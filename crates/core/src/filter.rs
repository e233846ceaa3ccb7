//! ListSecrets (and BatchGetSecretValue) filters: which secrets a list of `Filters` selects.
//!
//! The semantics, and where they come from:
//! - Several filters are AND-ed: a secret must satisfy each. Real AWS behaves so even for two
//!   filters on the same key (two `tag-key` filters return only secrets carrying both keys, as
//!   reported against the live service in hashicorp/terraform-provider-aws #32516).
//! - The values of one filter are OR-ed: the secret must satisfy at least one of them (moto's
//!   implementation and tests, which were revised against AWS; the API reference allows up to 10
//!   values per filter).
//! - A value that starts with `!` is negated (API reference, `Filter.Values`). A negated value is
//!   one more alternative of the same OR: `["one", "!two"]` selects secrets that match `one` *or*
//!   do not match `two`. moto's test `test_with_filter_with_negation` expects `["one", "!two"]` on
//!   descriptions to return "one two" and "one and two", which only the OR reading does. A negated
//!   value is the plain logical negation of the positive one over the whole secret: `!prod` on
//!   `tag-key` holds when no tag key starts with `prod`, including for a secret with no tags (AWS
//!   does not document this case; this is our decision, and the most useful reading of "not").
//! - `name`, `tag-key`, `tag-value` and `primary-region` are case-sensitive prefix matches on the
//!   attribute (API reference, `Filter.Key`; the user guide's "Find secrets" page: "Tag key: Prod
//!   returns secrets with the tag Production and Prod1, but not secrets with the tag prod or
//!   1 Prod").
//! - `owning-service` is a prefix match. The API reference says case-sensitive while the current
//!   user guide says "not case-sensitive" with the example `my-ser` matching `my-service`, and
//!   moto, which checks against AWS, matches it case-insensitively; we follow the user guide.
//! - `description` and `all` match word by word and ignore case (user guide: "Matches the words in
//!   secret descriptions, not case-sensitive", and `all` "breaks the filter value string into
//!   words and then searches all attributes for matches"). The filter value and the attribute are
//!   both cut into words by [`split_words`]; the value matches an attribute when every word of the
//!   value is a prefix of some word of that one attribute (the AWS announcement of the search
//!   feature: searching "secrets for" returns secrets whose name, description, tag key or tag value
//!   "includes both 'secrets' and 'for' in the same field"; the API reference calls description a
//!   "prefix match"). A value with no words at all (say `/`) matches nothing.
//! - `all` searches the name, the description, every tag key and every tag value (user guide: "name,
//!   description, tag key, and tag value").
//! - A filter with no values selects nothing: there is no value for the secret to match.

/// The attribute a filter looks at, as the `Key` of a ListSecrets filter names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterKey {
    /// `description`: words of the description, case-insensitive.
    Description,
    /// `name`: prefix of the name, case-sensitive.
    Name,
    /// `tag-key`: prefix of any tag key, case-sensitive.
    TagKey,
    /// `tag-value`: prefix of any tag value, case-sensitive.
    TagValue,
    /// `primary-region`: prefix of the primary region of a replica, case-sensitive.
    PrimaryRegion,
    /// `owning-service`: prefix of the service that manages the secret, case-insensitive.
    OwningService,
    /// `all`: words of the name, description, tag keys and tag values, case-insensitive.
    All,
}

impl FilterKey {
    /// Parses the wire spelling of a filter key; `None` for anything AWS does not define.
    pub fn parse(s: &str) -> Option<FilterKey> {
        Some(match s {
            "description" => FilterKey::Description,
            "name" => FilterKey::Name,
            "tag-key" => FilterKey::TagKey,
            "tag-value" => FilterKey::TagValue,
            "primary-region" => FilterKey::PrimaryRegion,
            "owning-service" => FilterKey::OwningService,
            "all" => FilterKey::All,
            _ => return None,
        })
    }

    /// The wire spelling of this key.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterKey::Description => "description",
            FilterKey::Name => "name",
            FilterKey::TagKey => "tag-key",
            FilterKey::TagValue => "tag-value",
            FilterKey::PrimaryRegion => "primary-region",
            FilterKey::OwningService => "owning-service",
            FilterKey::All => "all",
        }
    }
}

/// One ListSecrets filter: a key and the values it looks for (OR-ed; `!` negates a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The attribute to look at.
    pub key: FilterKey,
    /// The values; the secret must match at least one of them.
    pub values: Vec<String>,
}

/// The parts of a secret a filter can see.
#[derive(Debug, Clone, Copy)]
pub struct FilterView<'a> {
    /// The secret's name.
    pub name: &'a str,
    /// The secret's description, if it has one.
    pub description: Option<&'a str>,
    /// The secret's tags as (key, value) pairs.
    pub tags: &'a [(String, String)],
    /// The primary region, for a replica.
    pub primary_region: Option<&'a str>,
    /// The service that manages the secret, for a managed secret.
    pub owning_service: Option<&'a str>,
}

/// Whether `secret` satisfies every filter of `filters` (an empty list selects everything).
pub fn matches(filters: &[Filter], secret: &FilterView<'_>) -> bool {
    filters.iter().all(|filter| filter_matches(filter, secret))
}

/// The name prefixes every secret that `filters` selects starts with one of: the values of the
/// first `name` filter, when it has values and none of them is negated. `None` when the filters
/// do not restrict names so (a store reading by name range would then have to read them all).
pub fn name_prefixes(filters: &[Filter]) -> Option<&[String]> {
    filters
        .iter()
        .find(|f| {
            f.key == FilterKey::Name
                && !f.values.is_empty()
                && f.values.iter().all(|v| !v.starts_with('!'))
        })
        .map(|f| f.values.as_slice())
}

/// Whether `secret` satisfies at least one value of `filter`.
fn filter_matches(filter: &Filter, secret: &FilterView<'_>) -> bool {
    filter
        .values
        .iter()
        .any(|value| match value.strip_prefix('!') {
            Some(negated) => !value_matches(filter.key, negated, secret),
            None => value_matches(filter.key, value, secret),
        })
}

/// Whether one positive (not negated) value matches `secret` under `key`.
fn value_matches(key: FilterKey, value: &str, secret: &FilterView<'_>) -> bool {
    match key {
        FilterKey::Name => secret.name.starts_with(value),
        FilterKey::TagKey => secret.tags.iter().any(|(k, _)| k.starts_with(value)),
        FilterKey::TagValue => secret.tags.iter().any(|(_, v)| v.starts_with(value)),
        FilterKey::PrimaryRegion => secret.primary_region.is_some_and(|r| r.starts_with(value)),
        FilterKey::OwningService => secret
            .owning_service
            .is_some_and(|s| s.to_lowercase().starts_with(&value.to_lowercase())),
        FilterKey::Description => {
            let wanted = lowercase_words(value);
            secret.description.is_some_and(|d| words_match(&wanted, d))
        }
        FilterKey::All => {
            let wanted = lowercase_words(value);
            // Every word has to be found in one field, so each field is tried on its own.
            std::iter::once(secret.name)
                .chain(secret.description)
                .chain(secret.tags.iter().map(|(k, _)| k.as_str()))
                .chain(secret.tags.iter().map(|(_, v)| v.as_str()))
                .any(|field| words_match(&wanted, field))
        }
    }
}

/// The words of `text`, lowercased for case-insensitive comparison.
fn lowercase_words(text: &str) -> Vec<String> {
    split_words(text)
        .into_iter()
        .map(|w| w.to_lowercase())
        .collect()
}

/// Whether every word of `wanted` (already lowercased) is a prefix of some word of `text`.
fn words_match(wanted: &[String], text: &str) -> bool {
    if wanted.is_empty() {
        return false;
    }
    let have = lowercase_words(text);
    wanted
        .iter()
        .all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
}

/// Cuts `text` into words the way Secrets Manager's search does, keeping each word's case.
///
/// The user guide ("Find secrets"): search "ignores special characters, such as space, /, _, =, #,
/// and only uses numbers and letters", and "the words are separated by any change from uppercase
/// to lowercase, from letter to number, or from number/letter to punctuation", so
/// `credsDatabase#892` gives `creds`, `Database` and `892`. Concretely a word ends
/// - at any character that is neither a letter nor a digit (which is dropped);
/// - between a lowercase and an uppercase letter (`credsDatabase` → `creds`, `Database`);
/// - between a letter and a digit, either way (`db2prod` → `db`, `2`, `prod`);
/// - before the last capital of a run of capitals followed by a lowercase letter, so that an
///   acronym stays whole (`HTTPServer` → `HTTP`, `Server`).
pub fn split_words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous = None;
            continue;
        }
        if let Some(p) = previous {
            let next = chars.get(i + 1).copied();
            let camel = p.is_lowercase() && c.is_uppercase();
            let letter_digit = p.is_alphabetic() != c.is_alphabetic();
            let acronym_end =
                p.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase);
            if camel || letter_digit || acronym_end {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
        previous = Some(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An owned secret to build [`FilterView`]s from in tests.
    #[derive(Default, Clone)]
    struct Secret {
        name: String,
        description: Option<String>,
        tags: Vec<(String, String)>,
        primary_region: Option<String>,
        owning_service: Option<String>,
    }

    impl Secret {
        fn named(name: &str) -> Self {
            Secret {
                name: name.to_owned(),
                ..Secret::default()
            }
        }
        fn desc(mut self, d: &str) -> Self {
            self.description = Some(d.to_owned());
            self
        }
        fn tag(mut self, k: &str, v: &str) -> Self {
            self.tags.push((k.to_owned(), v.to_owned()));
            self
        }
        fn region(mut self, r: &str) -> Self {
            self.primary_region = Some(r.to_owned());
            self
        }
        fn owner(mut self, s: &str) -> Self {
            self.owning_service = Some(s.to_owned());
            self
        }
        fn view(&self) -> FilterView<'_> {
            FilterView {
                name: &self.name,
                description: self.description.as_deref(),
                tags: &self.tags,
                primary_region: self.primary_region.as_deref(),
                owning_service: self.owning_service.as_deref(),
            }
        }
    }

    fn f(key: &str, values: &[&str]) -> Filter {
        Filter {
            key: FilterKey::parse(key).expect("known key"),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn keys_parse_and_print() {
        for key in [
            "description",
            "name",
            "tag-key",
            "tag-value",
            "primary-region",
            "owning-service",
            "all",
        ] {
            assert_eq!(FilterKey::parse(key).map(FilterKey::as_str), Some(key));
        }
        for bad in ["Name", "tag_key", "", "tags", "NAME", " name"] {
            assert_eq!(FilterKey::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn split_words_table() {
        let cases: &[(&str, &[&str])] = &[
            ("credsDatabase#892", &["creds", "Database", "892"]),
            ("My_Secret", &["My", "Secret"]),
            ("prod/db/password", &["prod", "db", "password"]),
            ("a+b=c.d@e-f g", &["a", "b", "c", "d", "e", "f", "g"]),
            ("DatabaseSecret", &["Database", "Secret"]),
            ("databaseSecret", &["database", "Secret"]),
            ("HTTPServer", &["HTTP", "Server"]),
            ("db2prod", &["db", "2", "prod"]),
            ("Prod1", &["Prod", "1"]),
            ("ALLCAPS", &["ALLCAPS"]),
            ("team abcd", &["team", "abcd"]),
            ("  --//  ", &[]),
            ("", &[]),
            ("x", &["x"]),
            (
                "rotating  credentials\tnow",
                &["rotating", "credentials", "now"],
            ),
            ("Ünïcode wörds", &["Ünïcode", "wörds"]),
        ];
        for (text, expected) in cases {
            assert_eq!(split_words(text), *expected, "split_words({text:?})");
        }
    }

    #[test]
    fn no_filters_select_everything() {
        assert!(matches(&[], &Secret::named("anything").view()));
    }

    /// One case: filters, the secret, and whether it is selected.
    struct Case {
        what: &'static str,
        filters: Vec<Filter>,
        secret: Secret,
        expected: bool,
    }

    fn case(what: &'static str, filters: Vec<Filter>, secret: Secret, expected: bool) -> Case {
        Case {
            what,
            filters,
            secret,
            expected,
        }
    }

    #[test]
    fn name_prefixes_are_the_first_wholly_positive_name_filter() {
        let prefixes = |filters: &[Filter]| name_prefixes(filters).map(<[String]>::to_vec);
        assert_eq!(prefixes(&[]), None);
        assert_eq!(prefixes(&[f("tag-key", &["a"])]), None);
        assert_eq!(
            prefixes(&[f("tag-key", &["a"]), f("name", &["x/", "y"])]),
            Some(vec!["x/".to_owned(), "y".to_owned()])
        );
        // A negated value admits names without the prefix; no values admit none (but say
        // nothing about ranges): neither restricts names to ranges.
        assert_eq!(prefixes(&[f("name", &["x/", "!y"])]), None);
        assert_eq!(prefixes(&[f("name", &[])]), None);
        assert_eq!(
            prefixes(&[f("name", &["!y"]), f("name", &["z"])]),
            Some(vec!["z".to_owned()])
        );
    }

    #[test]
    fn filter_table() {
        let word = "qvxhk";
        let upper = "QVXHK";
        let prefix = "coffer-acc/run1/ls-name-ab12/";
        let cases = vec![
            // name: prefix, case-sensitive (acceptance list/filter_name_*).
            case(
                "name prefix",
                vec![f("name", &[prefix])],
                Secret::named(&format!("{prefix}a")),
                true,
            ),
            case(
                "name equal",
                vec![f("name", &["prod/db"])],
                Secret::named("prod/db"),
                true,
            ),
            case(
                "name containing but not starting with the prefix",
                vec![f("name", &[prefix])],
                Secret::named(&format!("x{prefix}decoy")),
                false,
            ),
            case(
                "name upper-cased prefix",
                vec![f("name", &[&prefix.to_uppercase()])],
                Secret::named(&format!("{prefix}a")),
                false,
            ),
            case(
                "name docs: Data vs DatabaseSecret",
                vec![f("name", &["Data"])],
                Secret::named("DatabaseSecret"),
                true,
            ),
            case(
                "name docs: Data vs databaseSecret",
                vec![f("name", &["Data"])],
                Secret::named("databaseSecret"),
                false,
            ),
            case(
                "name docs: Data vs MyData",
                vec![f("name", &["Data"])],
                Secret::named("MyData"),
                false,
            ),
            case(
                "name empty value",
                vec![f("name", &[""])],
                Secret::named("x"),
                true,
            ),
            // tag-key / tag-value: prefix of any tag, case-sensitive (acceptance list/filter_tag_*).
            case(
                "tag-key prefix",
                vec![f("tag-key", &[word])],
                Secret::named("a").tag(&format!("{word}-env"), "a"),
                true,
            ),
            case(
                "tag-key upper",
                vec![f("tag-key", &[upper])],
                Secret::named("a").tag(&format!("{word}-env"), "a"),
                false,
            ),
            case(
                "tag-key does not look at values",
                vec![f("tag-key", &[word])],
                Secret::named("a").tag("unrelated", word),
                false,
            ),
            case(
                "tag-key second tag",
                vec![f("tag-key", &["Prod"])],
                Secret::named("a").tag("x", "y").tag("Prod1", ""),
                true,
            ),
            case(
                "tag-key docs: Prod vs prod",
                vec![f("tag-key", &["Prod"])],
                Secret::named("a").tag("prod", "v"),
                false,
            ),
            case(
                "tag-key docs: Prod vs 1 Prod",
                vec![f("tag-key", &["Prod"])],
                Secret::named("a").tag("1 Prod", "v"),
                false,
            ),
            case(
                "tag-key no tags",
                vec![f("tag-key", &["a"])],
                Secret::named("a"),
                false,
            ),
            case(
                "tag-value prefix",
                vec![f("tag-value", &[word])],
                Secret::named("a").tag("k", &format!("{word}alpha")),
                true,
            ),
            case(
                "tag-value does not look at keys",
                vec![f("tag-value", &[word])],
                Secret::named("a").tag(word, "other"),
                false,
            ),
            case(
                "tag-value case-sensitive",
                vec![f("tag-value", &["Prod"])],
                Secret::named("a").tag("k", "production"),
                false,
            ),
            case(
                "tag-value empty value matches an empty tag value",
                vec![f("tag-value", &[""])],
                Secret::named("a").tag("k", ""),
                true,
            ),
            // description: words, case-insensitive (acceptance list/filter_description_*).
            case(
                "description word",
                vec![f("description", &[word])],
                Secret::named("a").desc(&format!("rotating {word} credentials")),
                true,
            ),
            case(
                "description upper-cased text",
                vec![f("description", &[word])],
                Secret::named("a").desc(&format!("{upper} service")),
                true,
            ),
            case(
                "description unrelated",
                vec![f("description", &[word])],
                Secret::named("a").desc("nothing relevant here"),
                false,
            ),
            case(
                "description word prefix",
                vec![f("description", &["cred"])],
                Secret::named("a").desc("rotating credentials"),
                true,
            ),
            case(
                "description inside a word",
                vec![f("description", &["tating"])],
                Secret::named("a").desc("rotating credentials"),
                false,
            ),
            case(
                "description docs: My basic description",
                vec![f("description", &["My Description"])],
                Secret::named("a").desc("My basic description"),
                true,
            ),
            case(
                "description docs: Description of my secret",
                vec![f("description", &["My Description"])],
                Secret::named("a").desc("Description of my secret"),
                true,
            ),
            case(
                "description needs every word",
                vec![f("description", &["one two"])],
                Secret::named("a").desc("one"),
                false,
            ),
            case(
                "description camel case in text",
                vec![f("description", &["database"])],
                Secret::named("a").desc("credsDatabase#892"),
                true,
            ),
            case(
                "description camel case in value",
                vec![f("description", &["credsDatabase"])],
                Secret::named("a").desc("creds for the database"),
                true,
            ),
            case(
                "description absent",
                vec![f("description", &["a"])],
                Secret::named("a"),
                false,
            ),
            case(
                "description empty",
                vec![f("description", &["a"])],
                Secret::named("a").desc(""),
                false,
            ),
            case(
                "description value without words",
                vec![f("description", &["/"])],
                Secret::named("a").desc("a / b"),
                false,
            ),
            case(
                "description does not look at the name",
                vec![f("description", &["prod"])],
                Secret::named("prod").desc("x"),
                false,
            ),
            // all: words of name, description, tag keys and values (acceptance list/filter_all_*).
            case(
                "all: word as a name segment",
                vec![f("all", &[upper])],
                Secret::named(&format!("cofferacc/r1/lsallzz/{word}")),
                true,
            ),
            case(
                "all: word in a tag value",
                vec![f("all", &[upper])],
                Secret::named("cofferacc/r1/lsallzz/tagged").tag("owner", &format!("team {word}")),
                true,
            ),
            case(
                "all: neither",
                vec![f("all", &[upper])],
                Secret::named("cofferacc/r1/lsallzz/plain").desc("unrelated"),
                false,
            ),
            case(
                "all: tag key",
                vec![f("all", &["env"])],
                Secret::named("a").tag("Environment", "x"),
                true,
            ),
            case(
                "all: description",
                vec![f("all", &["ROTATING"])],
                Secret::named("a").desc("rotating credentials"),
                true,
            ),
            case(
                "all: docs My_Secret",
                vec![f("all", &["My_Secret"])],
                Secret::named("my-secret-value"),
                true,
            ),
            case(
                "all: words must share one field",
                vec![f("all", &["alpha beta"])],
                Secret::named("alpha").desc("beta"),
                false,
            ),
            case(
                "all: words in one field",
                vec![f("all", &["alpha beta"])],
                Secret::named("x").desc("beta and alpha"),
                true,
            ),
            case(
                "all: does not look at the region",
                vec![f("all", &["us"])],
                Secret::named("a").region("us-east-1"),
                false,
            ),
            // primary-region and owning-service.
            case(
                "primary-region prefix",
                vec![f("primary-region", &["us-east"])],
                Secret::named("a").region("us-east-1"),
                true,
            ),
            case(
                "primary-region case-sensitive",
                vec![f("primary-region", &["US-EAST"])],
                Secret::named("a").region("us-east-1"),
                false,
            ),
            case(
                "primary-region absent",
                vec![f("primary-region", &["us"])],
                Secret::named("a"),
                false,
            ),
            case(
                "owning-service prefix",
                vec![f("owning-service", &["my-ser"])],
                Secret::named("a").owner("my-service"),
                true,
            ),
            case(
                "owning-service ignores case",
                vec![f("owning-service", &["RDS"])],
                Secret::named("a").owner("rds"),
                true,
            ),
            case(
                "owning-service absent",
                vec![f("owning-service", &["rds"])],
                Secret::named("a"),
                false,
            ),
            // Several values: OR.
            case(
                "values OR: second",
                vec![f("name", &["foo", "bar"])],
                Secret::named("bar"),
                true,
            ),
            case(
                "values OR: none",
                vec![f("name", &["foo", "bar"])],
                Secret::named("baz"),
                false,
            ),
            // Negation.
            case(
                "negated name excluded",
                vec![f("name", &["!prod/"])],
                Secret::named("prod/db"),
                false,
            ),
            case(
                "negated name kept",
                vec![f("name", &["!prod/"])],
                Secret::named("dev/db"),
                true,
            ),
            case(
                "negated tag-key: no tag starts with it",
                vec![f("tag-key", &["!temp"])],
                Secret::named("a").tag("owner", "x"),
                true,
            ),
            case(
                "negated tag-key: one tag starts with it",
                vec![f("tag-key", &["!temp"])],
                Secret::named("a").tag("owner", "x").tag("temporary", "y"),
                false,
            ),
            case(
                "negated tag-key: no tags at all",
                vec![f("tag-key", &["!temp"])],
                Secret::named("a"),
                true,
            ),
            case(
                "negated description absent",
                vec![f("description", &["!x"])],
                Secret::named("a"),
                true,
            ),
            case(
                "negated all",
                vec![f("all", &["!secret"])],
                Secret::named("my/Secret"),
                false,
            ),
            case(
                "negation OR positive: positive hit",
                vec![f("description", &["one", "!two"])],
                Secret::named("a").desc("one two"),
                true,
            ),
            case(
                "negation OR positive: negation hit",
                vec![f("description", &["one", "!two"])],
                Secret::named("a").desc("unrelated"),
                true,
            ),
            case(
                "negation OR positive: neither",
                vec![f("description", &["one", "!two"])],
                Secret::named("a").desc("two"),
                false,
            ),
            case(
                "only the first ! negates",
                vec![f("name", &["!!a"])],
                Secret::named("!a"),
                false,
            ),
            case(
                "a ! inside a value is literal",
                vec![f("name", &["a!"])],
                Secret::named("a!b"),
                true,
            ),
            // Several filters: AND (acceptance list/filter_negation).
            case(
                "tag-key AND NOT name: kept",
                vec![f("tag-key", &[word]), f("name", &["!g/b"])],
                Secret::named("g/a").tag(word, "v"),
                true,
            ),
            case(
                "tag-key AND NOT name: negated away",
                vec![f("tag-key", &[word]), f("name", &["!g/b"])],
                Secret::named("g/b").tag(word, "v"),
                false,
            ),
            case(
                "tag-key AND NOT name: no tag",
                vec![f("tag-key", &[word]), f("name", &["!g/b"])],
                Secret::named("g/c"),
                false,
            ),
            case(
                "two filters on one key are both required",
                vec![f("tag-key", &["created-by"]), f("tag-key", &["aws:rds"])],
                Secret::named("a").tag("created-by", "x"),
                false,
            ),
            case(
                "two filters on one key, both present",
                vec![f("tag-key", &["created-by"]), f("tag-key", &["aws:rds"])],
                Secret::named("a")
                    .tag("created-by", "x")
                    .tag("aws:rds:primaryDBClusterArn", "y"),
                true,
            ),
            case(
                "name AND description",
                vec![f("name", &["prod/"]), f("description", &["database"])],
                Secret::named("prod/x").desc("Database password"),
                true,
            ),
            case(
                "name AND description, description fails",
                vec![f("name", &["prod/"]), f("description", &["database"])],
                Secret::named("prod/x").desc("API key"),
                false,
            ),
            // A filter with no values selects nothing.
            case("no values", vec![f("name", &[])], Secret::named("a"), false),
        ];
        assert!(cases.len() >= 30);
        let mut failures = Vec::new();
        for c in &cases {
            if matches(&c.filters, &c.secret.view()) != c.expected {
                failures.push(c.what);
            }
        }
        assert!(failures.is_empty(), "cases that failed: {failures:#?}");
    }
}
