//! What "the fast extractor agrees with the reference" means.

use beian_types::{FooterFacts, FooterRegion};

/// Equal facts; where the fast path stopped at the anchor search (`NotSearched`), the
/// reference must have found nothing at all, whatever region it located.
pub(crate) fn agree(fast: &FooterFacts, reference: &FooterFacts) -> bool {
    if fast.region == FooterRegion::NotSearched {
        let mut r = reference.clone();
        r.region = FooterRegion::NotSearched;
        return *fast == r;
    }
    fast == reference
}
