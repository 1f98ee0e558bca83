//! Realtime's payload size limit, `Tenants.validate_payload_size` (supabase/realtime
//! `lib/realtime/tenants.ex`): a payload may take `max_payload_size_in_kb` × 1000 + 500 bytes
//! as `:erlang.external_size/1` measures the term Phoenix decoded it into (Jason: objects are
//! maps with binary keys, strings binaries, integers integers, other numbers floats, `true`,
//! `false` and `null` atoms). The limit is the tenant default, 3000 kB.
//!
//! What is measured where: a WebSocket `broadcast`'s whole payload (`type`, `event`,
//! `payload`), or a binary broadcast's `{event, encoding, payload, metadata}` tuple
//! (`broadcast_handler.ex`); a presence track's `payload` (`presence_handler.ex`); each REST
//! message's `payload` (`batch_broadcast.ex`) or a single one's body
//! (`single_broadcast.ex`), and a `realtime.messages` row's.

use serde_json::Value;

use super::hub::UserBroadcast;

/// `max_payload_size_in_kb`'s default in Realtime's tenant schema.
const MAX_PAYLOAD_SIZE_IN_KB: usize = 3000;

/// Whether a term of `external_size` bytes is over the limit.
fn too_large(external_size: usize) -> bool {
    external_size > MAX_PAYLOAD_SIZE_IN_KB * 1000 + 500
}

/// Whether a JSON payload is over the limit.
pub(super) fn exceeds(value: &Value) -> bool {
    too_large(external_size(value))
}

/// Whether the bytes of a single REST broadcast are over the limit: `SingleBroadcast`
/// measures the binary alone (version byte and term).
pub(super) fn bytes_exceed(len: usize) -> bool {
    too_large(1 + binary_size(len))
}

/// Whether a binary broadcast is over the limit: `:erlang.external_size/1` of `{event,
/// :json | :binary, payload, metadata}`, its metadata an empty map.
pub(super) fn user_broadcast_exceeds(b: &UserBroadcast) -> bool {
    let encoding = if b.json { "json" } else { "binary" };
    let size = 1
        + 2
        + binary_size(b.user_event.len())
        + atom_size(encoding)
        + binary_size(b.payload.len())
        + 5;
    too_large(size)
}

/// `:erlang.external_size/1` of `value` as Jason decodes it: the version byte and the term.
fn external_size(value: &Value) -> usize {
    1 + term_size(value)
}

fn term_size(value: &Value) -> usize {
    match value {
        Value::Null => atom_size("nil"),
        Value::Bool(true) => atom_size("true"),
        Value::Bool(false) => atom_size("false"),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => integer_size(u, false),
            (None, Some(i)) => integer_size(i.unsigned_abs(), true),
            // NEW_FLOAT_EXT.
            _ => 9,
        },
        Value::String(s) => binary_size(s.len()),
        // LIST_EXT with its NIL_EXT tail; an empty list is NIL_EXT alone.
        Value::Array(items) if items.is_empty() => 1,
        Value::Array(items) => 5 + items.iter().map(term_size).sum::<usize>() + 1,
        // MAP_EXT: the arity, then each key and value.
        Value::Object(map) => {
            5 + map
                .iter()
                .map(|(k, v)| binary_size(k.len()) + term_size(v))
                .sum::<usize>()
        }
    }
}

/// BINARY_EXT: tag, 4-byte length, bytes.
fn binary_size(len: usize) -> usize {
    5 + len
}

/// SMALL_ATOM_UTF8_EXT: tag, 1-byte length, name.
fn atom_size(name: &str) -> usize {
    2 + name.len()
}

/// SMALL_INTEGER_EXT (0..=255), INTEGER_EXT (a signed 32-bit value), else SMALL_BIG_EXT (tag,
/// digit count, sign, the magnitude's bytes).
fn integer_size(magnitude: u64, negative: bool) -> usize {
    let int32_max = if negative { 1 << 31 } else { (1 << 31) - 1 };
    if !negative && magnitude <= 255 {
        2
    } else if magnitude <= int32_max {
        5
    } else {
        3 + (64 - magnitude.leading_zeros() as usize).div_ceil(8)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The terms Jason makes of these values, laid out as Erlang's external term format
    /// documentation gives them (version byte included, atoms as SMALL_ATOM_UTF8_EXT).
    #[test]
    fn sizes_follow_the_external_term_format() {
        assert_eq!(external_size(&json!("")), 6);
        assert_eq!(external_size(&json!("abc")), 9);
        assert_eq!(external_size(&json!(0)), 3);
        assert_eq!(external_size(&json!(255)), 3);
        assert_eq!(external_size(&json!(256)), 6);
        assert_eq!(external_size(&json!(-1)), 6);
        assert_eq!(external_size(&json!(2_147_483_647)), 6);
        assert_eq!(external_size(&json!(-2_147_483_648_i64)), 6);
        assert_eq!(external_size(&json!(2_147_483_648_i64)), 8);
        assert_eq!(external_size(&json!(u64::MAX)), 12);
        assert_eq!(external_size(&json!(1.5)), 10);
        assert_eq!(external_size(&json!(null)), 6);
        assert_eq!(external_size(&json!(true)), 7);
        assert_eq!(external_size(&json!(false)), 8);
        assert_eq!(external_size(&json!([])), 2);
        assert_eq!(external_size(&json!([1, 2])), 1 + 5 + 2 + 2 + 1);
        assert_eq!(external_size(&json!({})), 6);
        assert_eq!(external_size(&json!({"a": "b"})), 1 + 5 + 6 + 6);
    }

    #[test]
    fn the_limit_is_three_million_bytes_and_the_padding() {
        assert!(!too_large(3_000_500));
        assert!(too_large(3_000_501));
        let at_limit = json!("x".repeat(3_000_500 - 6));
        assert!(!too_large(external_size(&at_limit)));
        let over = json!("x".repeat(3_000_500 - 5));
        assert!(too_large(external_size(&over)));
    }
}
