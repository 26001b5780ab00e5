//! Which of N shards audits an input line (`--shard-index I --shard-count N`, issue 14). The
//! rule is stable and documented (docs/SHARDS.md) so that a domain lands on the same shard in
//! every run and on every machine, and any tool can recompute it:
//!
//! - a line whose domain parses: CRC-32 (IEEE, as zlib's `crc32`) of the registrable domain
//!   (public-suffix list; the host itself when it has none), ASCII lower case, modulo N — so a
//!   domain and its repeats meet on one shard, which recognises the repeats;
//! - any other line (not UTF-8, a malformed CSV row, a value that is not a domain):
//!   (line number − 1) modulo N.
//!
//! Every line belongs to exactly one shard; `input_line` keeps the whole input's numbering.

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u32,
    /// How many shards the input is split into.
    pub count: u32,
}

/// A shard that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// `--shard-count 0`.
    #[error("the shard count must be at least 1")]
    NoShards,
    /// The index is not below the count.
    #[error("shard index {index} is not below the shard count {count} (indexes run from 0)")]
    OutOfRange {
        /// The index given.
        index: u32,
        /// The count given.
        count: u32,
    },
}

impl Shard {
    /// The whole input: one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if index >= count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Shard { index, count })
    }

    /// The shard of a line whose domain (ASCII, lower case) parsed.
    pub fn of_domain(domain: &str, count: u32) -> u32 {
        let registrable = psl::domain_str(domain).unwrap_or(domain);
        crc32fast::hash(registrable.as_bytes()) % count.max(1)
    }

    /// The shard of a line without a domain.
    pub fn of_line(line: u64, count: u32) -> u32 {
        let n = line.saturating_sub(1) % u64::from(count.max(1));
        u32::try_from(n).unwrap_or(0)
    }

    /// Whether this shard audits `domain`.
    pub fn holds_domain(&self, domain: &str) -> bool {
        self.count == 1 || Self::of_domain(domain, self.count) == self.index
    }

    /// Whether this shard takes line `line`, which has no domain.
    pub fn holds_line(&self, line: u64) -> bool {
        self.count == 1 || Self::of_line(line, self.count) == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_crc32_of_the_registrable_domain() {
        // zlib.crc32(b"example.cn") == 0x6d2c1c1a would be any tool's check; here the
        // registrable domain decides, so a subdomain meets its parent.
        let n = 7;
        assert_eq!(
            Shard::of_domain("example.cn", n),
            crc32fast::hash(b"example.cn") % n
        );
        assert_eq!(
            Shard::of_domain("shop.example.cn", n),
            Shard::of_domain("example.cn", n)
        );
        assert_eq!(Shard::of_line(1, 4), 0);
        assert_eq!(Shard::of_line(6, 4), 1);
        assert_eq!(
            Shard::new(4, 4),
            Err(ShardError::OutOfRange { index: 4, count: 4 })
        );
        assert_eq!(Shard::new(0, 0), Err(ShardError::NoShards));
        assert!(Shard::WHOLE.holds_domain("a.cn") && Shard::WHOLE.holds_line(9));
    }
}
