//! Packfiles: a header, then each object as a type-and-size header and zlib
//! data, whole or as a delta against another object (by its offset in the
//! pack, or by its id). Deltas are resolved as soon as their base is known,
//! whatever order the pack holds them in, each once: linear in the pack.

use std::collections::HashMap;

use flate2::{Decompress, FlushDecompress, Status};

use super::{GitError, Kind, MAX_OBJECT_SIZE, Oid, Store, malformed};

/// What a delta applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Base {
    /// The object at this offset in the pack.
    Offset(usize),
    /// The object with this id.
    Id(Oid),
}

/// A delta waiting for its base: its own offset and its instructions.
struct Pending {
    offset: usize,
    delta: Vec<u8>,
}

/// Reads `pack` into `store`; how many objects it declared.
pub(super) fn read(store: &mut Store, pack: &[u8]) -> Result<usize, GitError> {
    if pack.len() < 12 || &pack[..4] != b"PACK" {
        return malformed("a pack does not start with PACK");
    }
    let version = u32::from_be_bytes([pack[4], pack[5], pack[6], pack[7]]);
    if version != 2 && version != 3 {
        return malformed(format!("pack version {version} (only 2 and 3 exist)"));
    }
    let count = u32::from_be_bytes([pack[8], pack[9], pack[10], pack[11]]) as usize;
    // Resolved objects of this pack: offset to kind and id.
    let mut at: HashMap<usize, (Kind, Oid)> = HashMap::new();
    let mut waiting: HashMap<Base, Vec<Pending>> = HashMap::new();
    let mut offset = 12;
    // Bytes made (inflated or by deltas), declared sizes counted up front:
    // a pack of objects that claim to be huge stops here, not after the work.
    let mut budget = super::MAX_TOTAL;
    for _ in 0..count {
        if offset >= pack.len() {
            return malformed("a pack is cut short");
        }
        let start = offset;
        let (number, size, used) = object_header(&pack[offset..])?;
        offset += used;
        let base = match number {
            6 => {
                let (back, used) = negative_offset(&pack[offset..])?;
                offset += used;
                match start.checked_sub(back) {
                    Some(base) if back > 0 => Some(Base::Offset(base)),
                    _ => return malformed("a delta's base lies before the pack"),
                }
            }
            7 => {
                let Some(id) = pack.get(offset..offset + 20) else {
                    return malformed("a delta's base id is cut short");
                };
                offset += 20;
                let mut bytes = [0_u8; 20];
                bytes.copy_from_slice(id);
                Some(Base::Id(Oid(bytes)))
            }
            1..=4 => None,
            _ => return malformed(format!("an object of unknown type {number}")),
        };
        if size > MAX_OBJECT_SIZE || size > budget {
            // Its end is only known by inflating it all: stop here.
            store.skipped += count - at.len();
            return Ok(count);
        }
        budget -= size;
        let (data, used) = inflate(&pack[offset..], size)?;
        offset += used;
        match base {
            None => {
                let kind = Kind::from_pack(number).map_or_else(|| malformed("unknown type"), Ok)?;
                let id = store.insert(kind, data);
                resolved(store, &mut at, &mut waiting, start, kind, id);
            }
            Some(base) => {
                let known = match base {
                    Base::Offset(base) => at.get(&base).copied(),
                    Base::Id(id) => store.get(&id).map(|object| (object.kind, id)),
                };
                let pending = Pending {
                    offset: start,
                    delta: data,
                };
                let target = delta_target(&pending.delta);
                if target > budget {
                    store.skipped += count - at.len();
                    return Ok(count);
                }
                budget -= target;
                match known {
                    Some((kind, id)) => {
                        apply_and_resolve(store, &mut at, &mut waiting, kind, id, pending);
                    }
                    None => waiting.entry(base).or_default().push(pending),
                }
            }
        }
    }
    store.skipped += waiting.values().map(Vec::len).sum::<usize>();
    Ok(count)
}

/// Applies `pending` to the base `(kind, id)` and resolves what waited on it.
fn apply_and_resolve(
    store: &mut Store,
    at: &mut HashMap<usize, (Kind, Oid)>,
    waiting: &mut HashMap<Base, Vec<Pending>>,
    kind: Kind,
    id: Oid,
    pending: Pending,
) {
    let mut work = vec![(kind, id, pending)];
    while let Some((kind, base, pending)) = work.pop() {
        let Some(source) = store.get(&base) else {
            store.skipped += 1;
            continue;
        };
        let Ok(data) = apply(&source.data, &pending.delta) else {
            store.skipped += 1;
            continue;
        };
        let id = store.insert(kind, data);
        at.insert(pending.offset, (kind, id));
        for key in [Base::Offset(pending.offset), Base::Id(id)] {
            for next in waiting.remove(&key).unwrap_or_default() {
                work.push((kind, id, next));
            }
        }
    }
}

/// Records that the object at `offset` is `(kind, id)` and resolves the
/// deltas that waited on it.
fn resolved(
    store: &mut Store,
    at: &mut HashMap<usize, (Kind, Oid)>,
    waiting: &mut HashMap<Base, Vec<Pending>>,
    offset: usize,
    kind: Kind,
    id: Oid,
) {
    at.insert(offset, (kind, id));
    for key in [Base::Offset(offset), Base::Id(id)] {
        for next in waiting.remove(&key).unwrap_or_default() {
            apply_and_resolve(store, at, waiting, kind, id, next);
        }
    }
}

/// An object's header: its type number, its size, and the bytes read.
fn object_header(bytes: &[u8]) -> Result<(u8, usize, usize), GitError> {
    let Some(&first) = bytes.first() else {
        return malformed("an object header is cut short");
    };
    let number = (first >> 4) & 7;
    let mut size = usize::from(first & 0x0f);
    let mut shift = 4;
    let mut used = 1;
    let mut byte = first;
    while byte & 0x80 != 0 {
        let Some(&next) = bytes.get(used) else {
            return malformed("an object header is cut short");
        };
        if shift > 56 {
            return malformed("an object size overflows");
        }
        byte = next;
        size |= usize::from(byte & 0x7f)
            .checked_shl(shift)
            .unwrap_or(usize::MAX);
        shift += 7;
        used += 1;
    }
    Ok((number, size, used))
}

/// An offset delta's distance back to its base, and the bytes read.
fn negative_offset(bytes: &[u8]) -> Result<(usize, usize), GitError> {
    let mut used = 0;
    let mut value: usize = 0;
    loop {
        let Some(&byte) = bytes.get(used) else {
            return malformed("a delta offset is cut short");
        };
        if used > 0 {
            value = value
                .checked_add(1)
                .and_then(|v| v.checked_mul(128))
                .map_or_else(|| malformed("a delta offset overflows"), Ok)?;
        }
        value |= usize::from(byte & 0x7f);
        used += 1;
        if byte & 0x80 == 0 {
            return Ok((value, used));
        }
        if used > 9 {
            return malformed("a delta offset overflows");
        }
    }
}

/// Inflates one zlib stream at the start of `input`, which must give
/// exactly `size` bytes; the bytes and how much input they took.
fn inflate(input: &[u8], size: usize) -> Result<(Vec<u8>, usize), GitError> {
    let mut inflater = Decompress::new(true);
    let mut out = Vec::new();
    loop {
        // Room for what is left and one byte more (to see an object larger
        // than declared), at most 1 MiB at a time: a header's size is a claim.
        if out.len() == out.capacity() {
            out.reserve((size + 1 - out.len()).clamp(1, 1 << 20));
        }
        let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
        let before = (consumed, out.len());
        let status = inflater
            .decompress_vec(
                input.get(consumed..).unwrap_or_default(),
                &mut out,
                FlushDecompress::None,
            )
            .or_else(|error| malformed(format!("an object does not inflate: {error}")))?;
        let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
        if out.len() > size {
            return malformed("an object is larger than its header says");
        }
        match status {
            Status::StreamEnd => break,
            _ if (consumed, out.len()) == before && out.len() < out.capacity() => {
                return malformed("an object's data is cut short");
            }
            _ => {}
        }
    }
    if out.len() != size {
        return malformed("an object is smaller than its header says");
    }
    let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
    Ok((out, consumed))
}

/// The size of what a delta makes (0 if its header is broken: applying it
/// will fail).
fn delta_target(delta: &[u8]) -> usize {
    delta_size(delta)
        .and_then(|(_, rest)| delta_size(rest))
        .map_or(0, |(target, _)| target)
}

/// A size in a delta's header (7 bits a byte, low first), and the rest.
fn delta_size(bytes: &[u8]) -> Result<(usize, &[u8]), GitError> {
    let mut value: usize = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if index > 9 {
            break;
        }
        value |= usize::from(byte & 0x7f)
            .checked_shl(7 * u32::try_from(index).unwrap_or(u32::MAX))
            .unwrap_or(0);
        if byte & 0x80 == 0 {
            return Ok((value, &bytes[index + 1..]));
        }
    }
    malformed("a delta's size is cut short")
}

/// Applies a delta to `base`.
pub(super) fn apply(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, GitError> {
    let (source, rest) = delta_size(delta)?;
    if source != base.len() {
        return malformed("a delta is for a base of another size");
    }
    let (target, mut rest) = delta_size(rest)?;
    if target > MAX_OBJECT_SIZE {
        return malformed("a delta makes an object too large to read");
    }
    let mut out = Vec::with_capacity(target);
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        if op & 0x80 != 0 {
            let mut fields = [0_usize; 7];
            for (bit, field) in fields.iter_mut().enumerate() {
                if op & (1 << bit) != 0 {
                    let Some((&byte, tail)) = rest.split_first() else {
                        return malformed("a delta copy is cut short");
                    };
                    rest = tail;
                    *field = usize::from(byte);
                }
            }
            let from = fields[0] | fields[1] << 8 | fields[2] << 16 | fields[3] << 24;
            let mut length = fields[4] | fields[5] << 8 | fields[6] << 16;
            if length == 0 {
                length = 0x10000;
            }
            let Some(copied) = from.checked_add(length).and_then(|end| base.get(from..end)) else {
                return malformed("a delta copies from outside its base");
            };
            if out.len() + length > target {
                return malformed("a delta makes more than it says");
            }
            out.extend_from_slice(copied);
        } else if op != 0 {
            let length = usize::from(op);
            let Some(literal) = rest.get(..length) else {
                return malformed("a delta insert is cut short");
            };
            if out.len() + length > target {
                return malformed("a delta makes more than it says");
            }
            out.extend_from_slice(literal);
            rest = &rest[length..];
        } else {
            return malformed("a delta holds the reserved instruction 0");
        }
    }
    if out.len() != target {
        return malformed("a delta makes less than it says");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_copies_and_inserts() {
        let base = b"hello, world";
        // source 12, target 12: copy 7 bytes from 0, insert "there".
        let delta = [12, 12, 0x90, 7, 5, b't', b'h', b'e', b'r', b'e'];
        assert_eq!(apply(base, &delta).expect("applies"), b"hello, there");
        assert!(apply(base, &[12, 11, 0x91, 200, 7]).is_err());
        assert!(apply(base, &[11, 1, 1, b'x']).is_err());
        assert!(apply(base, &[12, 1, 0]).is_err());
    }

    /// Objects whose headers claim 32 MiB each but hold nothing: the reader
    /// neither allocates nor works for what is only claimed.
    #[test]
    fn claimed_sizes_are_not_trusted() {
        let mut pack = b"PACK".to_vec();
        pack.extend_from_slice(&2_u32.to_be_bytes());
        pack.extend_from_slice(&100_000_u32.to_be_bytes());
        let header = pack.clone();
        for _ in 0..100_000 {
            // A blob of 2^25 bytes (type 3; size in 4, 7, 7, 7, 7 bits).
            pack.extend_from_slice(&[0xb0, 0x80, 0x80, 0x80, 0x01]);
            pack.extend_from_slice(&[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        }
        let mut store = Store::new();
        assert!(
            store.add_pack(&pack).is_err(),
            "an empty stream is not 32 MiB"
        );
        assert!(store.is_empty());
        // One over the largest object: the rest of the pack is skipped.
        let mut pack = header;
        pack.extend_from_slice(&[0xb0, 0x80, 0x80, 0x80, 0x02]);
        let mut store = Store::new();
        assert_eq!(store.add_pack(&pack), Ok(100_000));
        assert_eq!(store.skipped, 100_000);
    }
}
