//! Reassembly of split uploads (Flag D = 1, PNUM/PNO), keyed by MN, CN and DataTime.
//!
//! Each segment has its own QN (and gets its own 9014), so segments are merged by
//! (MN, CN, DataTime) and never by QN.

use std::collections::{BTreeMap, HashMap};

use crate::packet::{CpItem, Packet};

/// Identifies one split upload.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SplitKey {
    /// Device id.
    pub mn: String,
    /// Command code.
    pub cn: String,
    /// The segments' common DataTime (empty if absent).
    pub data_time: String,
}

impl SplitKey {
    /// The key of a packet.
    #[must_use]
    pub fn of(p: &Packet) -> Self {
        Self {
            mn: p.mn().unwrap_or("").to_owned(),
            cn: p.cn().to_owned(),
            data_time: p.data_time().unwrap_or("").to_owned(),
        }
    }
}

/// A complete split upload, segments ordered by PNO.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembled {
    /// The upload's key.
    pub key: SplitKey,
    /// Segments 1..=PNUM in order.
    pub segments: Vec<Packet>,
}

impl Assembled {
    /// All CP items of all segments in PNO order, with each later segment's `DataTime` dropped.
    pub fn cp_items(&self) -> impl Iterator<Item = CpItem<'_>> {
        self.segments.iter().enumerate().flat_map(|(i, s)| {
            s.cp_items()
                .filter(move |it| i == 0 || it.key != "DataTime")
        })
    }
}

/// An upload that timed out (or was evicted) before all segments arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Incomplete {
    /// The upload's key.
    pub key: SplitKey,
    /// PNUM as declared by the first segment seen.
    pub pnum: u16,
    /// The segments that did arrive, ordered by PNO.
    pub segments: Vec<Packet>,
}

/// The outcome of offering a packet to the [`Reassembler`].
#[derive(Debug, Clone, PartialEq)]
pub enum Offer {
    /// The packet is not split; use it as is.
    NotSplit(Packet),
    /// Stored; `received` of `pnum` segments are in.
    Pending {
        /// Segments held so far.
        received: usize,
        /// Segments expected.
        pnum: u16,
    },
    /// A segment already held (or of an upload already completed); dropped.
    Duplicate,
    /// PNO is 0 or above PNUM; not stored.
    Invalid(Packet),
    /// The last missing segment arrived.
    Complete(Assembled),
}

#[derive(Debug)]
struct Group {
    pnum: u16,
    parts: BTreeMap<u16, Packet>,
    first_seen: u64,
}

/// Collects split-upload segments; time is supplied by the caller (milliseconds, monotonic).
#[derive(Debug)]
pub struct Reassembler {
    groups: HashMap<SplitKey, Group>,
    completed: HashMap<SplitKey, u64>,
    timeout_ms: u64,
    max_groups: usize,
    evicted: Vec<Incomplete>,
}

impl Reassembler {
    /// A reassembler that gives up on an upload `timeout_ms` after its first segment and
    /// holds at most `max_groups` incomplete uploads (the oldest is evicted beyond that).
    #[must_use]
    pub fn new(timeout_ms: u64, max_groups: usize) -> Self {
        Self {
            groups: HashMap::new(),
            completed: HashMap::new(),
            timeout_ms,
            max_groups: max_groups.max(1),
            evicted: Vec::new(),
        }
    }

    /// Number of incomplete uploads held.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.groups.len()
    }

    /// Offers a decoded packet received at `now_ms`.
    pub fn offer(&mut self, packet: Packet, now_ms: u64) -> Offer {
        let (Some(pnum), Some(pno)) = (packet.pnum(), packet.pno()) else {
            return Offer::NotSplit(packet);
        };
        if pno == 0 || pno > pnum {
            return Offer::Invalid(packet);
        }
        let key = SplitKey::of(&packet);
        // Devices resend every segment when an ack is lost, including after completion.
        if let Some(&done_at) = self.completed.get(&key) {
            if now_ms.saturating_sub(done_at) <= self.timeout_ms {
                return Offer::Duplicate;
            }
            self.completed.remove(&key);
        }
        if !self.groups.contains_key(&key) && self.groups.len() >= self.max_groups {
            self.evict_oldest();
        }
        let group = self.groups.entry(key.clone()).or_insert_with(|| Group {
            pnum,
            parts: BTreeMap::new(),
            first_seen: now_ms,
        });
        if pno > group.pnum {
            return Offer::Invalid(packet);
        }
        if group.parts.contains_key(&pno) {
            return Offer::Duplicate;
        }
        group.parts.insert(pno, packet);
        let received = group.parts.len();
        let total = group.pnum;
        if received < usize::from(total) {
            return Offer::Pending {
                received,
                pnum: total,
            };
        }
        let Some(group) = self.groups.remove(&key) else {
            return Offer::Pending {
                received,
                pnum: total,
            };
        };
        self.completed.insert(key.clone(), now_ms);
        Offer::Complete(Assembled {
            key,
            segments: group.parts.into_values().collect(),
        })
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .groups
            .iter()
            .min_by_key(|(k, g)| (g.first_seen, (*k).clone()))
            .map(|(k, _)| k.clone());
        if let Some(k) = oldest
            && let Some(g) = self.groups.remove(&k)
        {
            self.evicted.push(Incomplete {
                key: k,
                pnum: g.pnum,
                segments: g.parts.into_values().collect(),
            });
        }
    }

    /// Removes and returns uploads older than the timeout at `now_ms`, plus any evicted ones.
    pub fn expire(&mut self, now_ms: u64) -> Vec<Incomplete> {
        let timeout = self.timeout_ms;
        let mut out = std::mem::take(&mut self.evicted);
        let stale: Vec<SplitKey> = self
            .groups
            .iter()
            .filter(|(_, g)| now_ms.saturating_sub(g.first_seen) > timeout)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            if let Some(g) = self.groups.remove(&k) {
                out.push(Incomplete {
                    key: k,
                    pnum: g.pnum,
                    segments: g.parts.into_values().collect(),
                });
            }
        }
        self.completed
            .retain(|_, done| now_ms.saturating_sub(*done) <= timeout);
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }
}
