//! Listing operations: ListSecrets, ListSecretVersionIds, BatchGetSecretValue, with AWS's
//! filters, sort orders and pagination.
//!
//! Pagination uses a cursor, not an offset: the NextToken names the last item returned (its
//! sort key and its id), and the next page starts strictly after it in the same total order.
//! A secret created or deleted between two pages therefore never makes another one appear
//! twice or be skipped.

use base64::Engine as _;

use super::access::{Authority, Target};
use super::{SecretValueOutput, Service};
use crate::error::{Error, Result};
use crate::filter::{self, Filter, FilterView};
use crate::model::{SecretRecord, VersionMeta};
use crate::names::SecretId;
use crate::store::{ListOrder, PageQuery, SortValue};

/// ListSecrets' SortBy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// CreatedDate (the default).
    #[default]
    CreatedDate,
    /// LastAccessedDate.
    LastAccessedDate,
    /// LastChangedDate.
    LastChangedDate,
    /// Name.
    Name,
}

impl SortBy {
    /// Parses the wire value.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "created-date" => Self::CreatedDate,
            "last-accessed-date" => Self::LastAccessedDate,
            "last-changed-date" => Self::LastChangedDate,
            "name" => Self::Name,
            _ => return None,
        })
    }

    fn tag(self) -> &'static str {
        match self {
            Self::CreatedDate => "c",
            Self::LastAccessedDate => "a",
            Self::LastChangedDate => "l",
            Self::Name => "n",
        }
    }
}

/// ListSecrets' SortOrder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Ascending (the default: without SortBy and SortOrder AWS lists by creation date, oldest
    /// first, as recorded against the service; BatchGetSecretValue with Filters likewise).
    #[default]
    Asc,
    /// Descending.
    Desc,
}

impl SortOrder {
    /// Parses the wire value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "asc" => Some(Self::Asc),
            "desc" => Some(Self::Desc),
            _ => None,
        }
    }
}

/// ListSecrets' input.
#[derive(Debug, Default)]
pub struct ListSecretsInput {
    /// Include secrets scheduled for deletion.
    pub include_planned_deletion: bool,
    /// Page size (1–100; default 100).
    pub max_results: Option<usize>,
    /// The cursor from the previous page.
    pub next_token: Option<String>,
    /// Filters, AND-ed.
    pub filters: Vec<Filter>,
    /// Sort key.
    pub sort_by: SortBy,
    /// Sort direction.
    pub sort_order: SortOrder,
}

/// ListSecrets' output.
#[derive(Debug)]
pub struct ListSecretsOutput {
    /// One page of secrets.
    pub secrets: Vec<SecretRecord>,
    /// The cursor for the next page.
    pub next_token: Option<String>,
}

/// ListSecretVersionIds' input.
#[derive(Debug, Default)]
pub struct ListSecretVersionIdsInput {
    /// The SecretId.
    pub secret_id: String,
    /// Page size (1–100; default 100).
    pub max_results: Option<usize>,
    /// The cursor from the previous page.
    pub next_token: Option<String>,
    /// Include versions without labels.
    pub include_deprecated: bool,
}

/// ListSecretVersionIds' output.
#[derive(Debug)]
pub struct ListSecretVersionIdsOutput {
    /// The secret (for its ARN and name).
    pub secret: SecretRecord,
    /// One page of versions, newest first.
    pub versions: Vec<VersionMeta>,
    /// The cursor for the next page.
    pub next_token: Option<String>,
}

/// BatchGetSecretValue's input: either ids or filters (the protocol layer refuses both).
#[derive(Debug, Default)]
pub struct BatchGetInput {
    /// SecretIdList.
    pub secret_ids: Vec<String>,
    /// Filters.
    pub filters: Vec<Filter>,
    /// Page size with filters (1–20; default 20).
    pub max_results: Option<usize>,
    /// The cursor from the previous page.
    pub next_token: Option<String>,
}

/// One secret BatchGetSecretValue could not return.
#[derive(Debug)]
pub struct BatchItemError {
    /// The SecretId as the caller gave it (or the secret's name, for filters).
    pub secret_id: String,
    /// Why.
    pub error: Error,
}

/// BatchGetSecretValue's output.
#[derive(Debug, Default)]
pub struct BatchGetOutput {
    /// The values read.
    pub values: Vec<SecretValueOutput>,
    /// The secrets that failed.
    pub errors: Vec<BatchItemError>,
    /// The cursor for the next page (filters only).
    pub next_token: Option<String>,
}

impl SortBy {
    fn order(self) -> ListOrder {
        match self {
            Self::CreatedDate => ListOrder::Created,
            Self::LastAccessedDate => ListOrder::LastAccessed,
            Self::LastChangedDate => ListOrder::LastChanged,
            Self::Name => ListOrder::Name,
        }
    }
}

/// How many secrets ListSecrets asks the store for at a time when filters the store does not
/// apply may reject some of them.
const FILTERED_BATCH: usize = 500;

/// Encodes a cursor: which listing it belongs to, and the last item's key and id.
fn encode_cursor(kind: &str, key: &SortValue, id: &str) -> String {
    let key = match key {
        SortValue::Millis(Some(m)) => format!("m{m}"),
        SortValue::Millis(None) => "m".to_owned(),
        SortValue::Text(t) => format!("t{t}"),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}\n{key}\n{id}"))
}

fn decode_cursor(kind: &str, token: &str) -> Result<(SortValue, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| Error::InvalidNextToken)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::InvalidNextToken)?;
    let mut parts = text.splitn(3, '\n');
    let (Some(found_kind), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::InvalidNextToken);
    };
    if found_kind != kind {
        return Err(Error::InvalidNextToken);
    }
    let key = if let Some(rest) = key.strip_prefix('m') {
        if rest.is_empty() {
            SortValue::Millis(None)
        } else {
            SortValue::Millis(Some(rest.parse().map_err(|_| Error::InvalidNextToken)?))
        }
    } else if let Some(rest) = key.strip_prefix('t') {
        SortValue::Text(rest.to_owned())
    } else {
        return Err(Error::InvalidNextToken);
    };
    Ok((key, id.to_owned()))
}

/// Sorts `items` by (key, id) in `order`, skips past the cursor, and cuts a page.
fn paginate<T>(
    mut items: Vec<T>,
    key_of: impl Fn(&T) -> (SortValue, String),
    order: SortOrder,
    kind: &str,
    next_token: Option<&str>,
    page_size: usize,
) -> Result<(Vec<T>, Option<String>)> {
    let mut keyed: Vec<((SortValue, String), T)> =
        items.drain(..).map(|item| (key_of(&item), item)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if order == SortOrder::Desc {
        keyed.reverse();
    }
    let start = match next_token {
        None => 0,
        Some(token) => {
            let cursor = decode_cursor(kind, token)?;
            keyed
                .iter()
                .position(|(k, _)| match order {
                    SortOrder::Asc => *k > cursor,
                    SortOrder::Desc => *k < cursor,
                })
                .unwrap_or(keyed.len())
        }
    };
    let rest: Vec<((SortValue, String), T)> = keyed.into_iter().skip(start).collect();
    let more = rest.len() > page_size;
    let page: Vec<((SortValue, String), T)> = rest.into_iter().take(page_size).collect();
    let next = if more {
        page.last()
            .map(|((key, id), _)| encode_cursor(kind, key, id))
    } else {
        None
    };
    Ok((page.into_iter().map(|(_, item)| item).collect(), next))
}

/// Whether a secret passes the filters.
fn passes(filters: &[Filter], record: &SecretRecord) -> bool {
    filter::matches(
        filters,
        &FilterView {
            name: &record.name,
            description: record.description.as_deref(),
            tags: &record.tags,
            primary_region: None,
            owning_service: None,
        },
    )
}

impl Service {
    /// ListSecrets. The store hands over secrets in the page's order, a batch at a time, from
    /// the cursor on; the filters are applied here, until the page is full or the store has
    /// nothing more. A `name` filter is also passed down, so that the store can read only
    /// the names it selects.
    pub async fn list_secrets(
        &self,
        who: &(impl Authority + ?Sized),
        input: &ListSecretsInput,
    ) -> Result<ListSecretsOutput> {
        self.authorize(who, "secretsmanager:ListSecrets", Target::Any, |_| {})?;
        let kind = format!("ls{}", input.sort_by.tag());
        let mut cursor = match &input.next_token {
            Some(token) => Some(decode_cursor(&kind, token)?),
            None => None,
        };
        let page_size = input.max_results.unwrap_or(100);
        let order = input.sort_by.order();
        let name_prefixes = filter::name_prefixes(&input.filters);
        // With no filter, or only the name filter the store applies, every secret read is
        // kept: read one more than the page, to know whether another page follows.
        let store_applies_all =
            input.filters.is_empty() || (input.filters.len() == 1 && name_prefixes.is_some());
        let batch = if store_applies_all {
            page_size + 1
        } else {
            FILTERED_BATCH.max(page_size + 1)
        };
        let mut secrets: Vec<SecretRecord> = Vec::new();
        loop {
            let read = self
                .store
                .list_secret_page(
                    who.scope(),
                    &PageQuery {
                        include_deleted: input.include_planned_deletion,
                        order,
                        descending: input.sort_order == SortOrder::Desc,
                        after: cursor.as_ref().map(|(value, id)| (value, id.as_str())),
                        name_prefixes,
                        limit: batch,
                    },
                )
                .await?;
            let exhausted = read.len() < batch;
            if let Some(last) = read.last() {
                cursor = Some((order.value_of(last), last.id.clone()));
            }
            secrets.extend(read.into_iter().filter(|r| passes(&input.filters, r)));
            if secrets.len() > page_size || exhausted {
                break;
            }
        }
        let next_token = if secrets.len() > page_size {
            secrets.truncate(page_size);
            secrets
                .last()
                .map(|last| encode_cursor(&kind, &order.value_of(last), &last.id))
        } else {
            None
        };
        Ok(ListSecretsOutput {
            secrets,
            next_token,
        })
    }

    /// ListSecretVersionIds: newest first.
    pub async fn list_secret_version_ids(
        &self,
        who: &(impl Authority + ?Sized),
        input: &ListSecretVersionIdsInput,
    ) -> Result<ListSecretVersionIdsOutput> {
        let secret = self
            .find_authorized(
                who,
                "secretsmanager:ListSecretVersionIds",
                &SecretId::parse(&input.secret_id),
                &|_| {},
            )
            .await?;
        let versions: Vec<VersionMeta> = secret
            .versions
            .iter()
            .filter(|v| input.include_deprecated || !v.stages.is_empty())
            .cloned()
            .collect();
        let (versions, next_token) = paginate(
            versions,
            |v| (SortValue::date(Some(v.created)), v.version_id.clone()),
            SortOrder::Desc,
            "lv",
            input.next_token.as_deref(),
            input.max_results.unwrap_or(100),
        )?;
        Ok(ListSecretVersionIdsOutput {
            secret,
            versions,
            next_token,
        })
    }

    /// BatchGetSecretValue: per-secret failures go to `errors`; the call itself succeeds.
    pub async fn batch_get_secret_value(
        &self,
        who: &(impl Authority + ?Sized),
        input: &BatchGetInput,
    ) -> Result<BatchGetOutput> {
        // The call needs BatchGetSecretValue; each secret needs GetSecretValue, and a denial
        // is that secret's error, not the call's (with filters, ListSecrets too).
        self.authorize(
            who,
            "secretsmanager:BatchGetSecretValue",
            Target::Any,
            |_| {},
        )?;
        let mut out = BatchGetOutput::default();
        if !input.secret_ids.is_empty() {
            for secret_id in &input.secret_ids {
                let result = match self
                    .find_authorized(
                        who,
                        "secretsmanager:GetSecretValue",
                        &SecretId::parse(secret_id),
                        &|_| {},
                    )
                    .await
                {
                    Ok(record) => self.read_value(who, &record, None, None).await,
                    Err(e) => Err(e),
                };
                match result {
                    Ok(value) => out.values.push(value),
                    Err(error @ (Error::Store(_) | Error::Internal(_))) => return Err(error),
                    Err(error) => out.errors.push(BatchItemError {
                        secret_id: secret_id.clone(),
                        error,
                    }),
                }
            }
            return Ok(out);
        }
        let listed = self
            .list_secrets(
                who,
                &ListSecretsInput {
                    include_planned_deletion: false,
                    max_results: Some(input.max_results.unwrap_or(20)),
                    next_token: input.next_token.clone(),
                    filters: input.filters.clone(),
                    // ListSecrets' default order, as AWS lists a filtered batch.
                    sort_by: SortBy::default(),
                    sort_order: SortOrder::default(),
                },
            )
            .await?;
        out.next_token = listed.next_token;
        for record in &listed.secrets {
            let read = match self.authorize(
                who,
                "secretsmanager:GetSecretValue",
                Target::Secret(record),
                |_| {},
            ) {
                Ok(()) => self.read_value(who, record, None, None).await,
                Err(denied) => Err(denied),
            };
            match read {
                Ok(value) => out.values.push(value),
                Err(error @ (Error::Store(_) | Error::Internal(_))) => return Err(error),
                Err(error) => out.errors.push(BatchItemError {
                    secret_id: record.name.clone(),
                    error,
                }),
            }
        }
        Ok(out)
    }
}
