//! Buffers lent out while they are used. A keep-alive connection waiting for
//! its client holds no read buffer (nor does its upstream link): it gives
//! them back here and takes one again when the client sends. The runtime
//! thread's few spare buffers make that as cheap as keeping them, where a
//! fresh allocation per request cost about 500 instructions.
//!
//! The bytes a request writes (its upstream request, its response head) are
//! lent the same way ([`take_vec`]), for as long as the write takes: under
//! load, a buffer of each connection's own is cold by the time that
//! connection's next request comes, while the one buffer the thread's
//! requests take in turn stays in cache.

use bytes::BytesMut;
use std::cell::RefCell;
use std::thread::LocalKey;

/// Spare buffers kept per runtime thread: enough for the connections that
/// wake at once, few enough that memory stays bounded.
const KEPT: usize = 32;
/// Larger buffers (grown for a large head or body) go back to the allocator.
const LARGEST: usize = 16 * 1024;

thread_local! {
    static SPARE: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
    static SPARE_VECS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// Gives `buf`'s room back (it holds nothing by now) and leaves it empty.
pub(super) fn give(buf: &mut BytesMut) {
    debug_assert!(buf.is_empty());
    let mut buf = std::mem::take(buf);
    // Whatever happens, a buffer taken from here starts empty.
    buf.clear();
    let room = buf.capacity();
    keep(&SPARE, buf, room);
}

/// An empty buffer: a spare one, or a new one of `size` bytes. (A spare
/// one's room is reclaimed in place by the caller's next `reserve`, once no
/// request shares it any more.)
pub(super) fn take(size: usize) -> BytesMut {
    SPARE
        .with_borrow_mut(Vec::pop)
        .unwrap_or_else(|| BytesMut::with_capacity(size))
}

/// Gives `bytes`' room back (what it holds is dropped) and leaves it empty.
pub(super) fn give_vec(bytes: &mut Vec<u8>) {
    let mut bytes = std::mem::take(bytes);
    bytes.clear();
    let room = bytes.capacity();
    keep(&SPARE_VECS, bytes, room);
}

/// An empty vector to write into: a spare one (the last given back), or a
/// new one.
pub(super) fn take_vec() -> Vec<u8> {
    SPARE_VECS.with_borrow_mut(Vec::pop).unwrap_or_default()
}

/// Keeps `spare` (with `room` bytes of it) for the next taker, unless it has
/// none, is one of the larger ones, or enough are kept already.
fn keep<T>(kept: &'static LocalKey<RefCell<Vec<T>>>, spare: T, room: usize) {
    if room == 0 || room > LARGEST {
        return;
    }
    kept.with_borrow_mut(|kept| {
        if kept.len() < KEPT {
            kept.push(spare);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_is_taken_again_with_its_room() {
        let mut buf = BytesMut::with_capacity(8 * 1024);
        let room = buf.as_ptr();
        give(&mut buf);
        assert_eq!(buf.capacity(), 0, "the giver keeps no room");
        let again = take(8 * 1024);
        assert_eq!(again.as_ptr(), room);
        assert!(again.is_empty());
    }

    #[test]
    fn large_buffers_go_back_to_the_allocator_and_few_are_kept() {
        SPARE.with_borrow_mut(Vec::clear);
        give(&mut BytesMut::with_capacity(LARGEST + 1));
        assert_eq!(SPARE.with_borrow(Vec::len), 0);
        for _ in 0..KEPT + 5 {
            give(&mut BytesMut::with_capacity(1024));
        }
        assert_eq!(SPARE.with_borrow(Vec::len), KEPT);
    }

    #[test]
    fn the_last_vector_given_is_the_next_taken_and_few_are_kept() {
        SPARE_VECS.with_borrow_mut(Vec::clear);
        let mut first = Vec::with_capacity(512);
        first.extend_from_slice(b"written");
        let mut second = Vec::with_capacity(512);
        let room = second.as_ptr();
        give_vec(&mut first);
        give_vec(&mut second);
        assert_eq!(second.capacity(), 0, "the giver keeps no room");
        let again = take_vec();
        assert_eq!(again.as_ptr(), room);
        assert!(take_vec().is_empty(), "a vector taken again starts empty");
        give_vec(&mut Vec::with_capacity(LARGEST + 1));
        for _ in 0..KEPT + 5 {
            give_vec(&mut Vec::with_capacity(64));
        }
        assert_eq!(SPARE_VECS.with_borrow(Vec::len), KEPT);
    }

    #[test]
    fn with_none_spare_a_new_buffer_has_the_room_asked() {
        SPARE.with_borrow_mut(Vec::clear);
        assert!(take(4096).capacity() >= 4096);
    }
}
