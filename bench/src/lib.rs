//! What the harness's tools share: the names of the secrets `coffer-seed` creates and the load
//! generator reads, so that both agree without passing lists around.

/// How many name groups a seeded data directory has: the `name` filter `svc-NNNN/` selects one
/// of them, that is 1/1000 of the secrets whatever their count.
pub const GROUPS: u64 = 1000;

/// The name of seeded secret number `index`: `svc-GGGG/secret-IIIIIIIIII`, where the group is
/// `index mod 1000`. Consecutive secrets go to different groups, so each group's secrets are
/// spread evenly over the whole creation order (as secrets of many services created over time
/// are), rather than created in one run.
pub fn seeded_name(index: u64) -> String {
    format!("svc-{:04}/secret-{index:010}", index % GROUPS)
}

/// The name prefix the `name` filter uses to select group `group` (1/1000 of the secrets).
pub fn group_prefix(group: u64) -> String {
    format!("svc-{:04}/", group % GROUPS)
}

/// `k` distinct indices spread evenly over `0..count` (all of them when `k >= count`), for reads
/// that touch the whole set rather than its first secrets. Index `i` of the `k` is
/// `i * step + i mod step` with `step = count / k`, so the chosen secrets also fall in
/// different groups instead of all in `svc-0000/`.
pub fn spread(count: u64, k: u64) -> Vec<u64> {
    if count == 0 || k == 0 {
        return Vec::new();
    }
    if k >= count {
        return (0..count).collect();
    }
    let step = count / k;
    // Strictly increasing (i mod step < step) and below k * step <= count.
    (0..k).map(|i| i * step + i % step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_groups() {
        assert_eq!(seeded_name(421_337), "svc-0337/secret-0000421337");
        assert!(seeded_name(421_337).starts_with(&group_prefix(337)));
        let spread = spread(1_000_000, 1000);
        assert_eq!(spread.len(), 1000);
        assert_eq!(spread[1], 1001);
        assert!(spread.windows(2).all(|w| w[0] < w[1]) && spread[999] < 1_000_000);
        let groups: std::collections::HashSet<u64> = spread.iter().map(|i| i % GROUPS).collect();
        assert_eq!(groups.len(), 1000);
        assert_eq!(super::spread(1000, 1000), (0..1000).collect::<Vec<_>>());
        assert_eq!(super::spread(10, 1000).len(), 10);
    }
}
