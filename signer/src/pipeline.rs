//! Reading a file once while two threads hash it.
//!
//! `sign` and `verify` spend their time hashing (BLAKE2b for minisign, SHA-256 for the custody
//! log) and copying the file out of the page cache. One thread reads each chunk and runs the
//! first consumer on it; a second thread runs the second consumer on the chunk before, so the
//! copy and the hashes overlap. A few fixed buffers go back and forth between the two: memory
//! does not grow with the file.

use std::io::{self, Read};
use std::sync::mpsc;

/// The size of one read: large enough that a syscall costs little per byte, small enough that
/// the chunk is still in cache when it is hashed.
pub(crate) const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks on their way to the second thread; one more is being read.
const IN_FLIGHT: usize = 3;

/// Reads `reader` to its end, giving each chunk, in order, to `here` on the calling thread and
/// then to `there` on a second thread. Returns the number of bytes read.
pub(crate) fn read_twice_hashed<R, H, T>(
    mut reader: R,
    mut here: H,
    mut there: T,
) -> io::Result<u64>
where
    R: Read,
    H: FnMut(&[u8]),
    T: FnMut(&[u8]) + Send,
{
    let (full_sender, full) = mpsc::sync_channel::<(Vec<u8>, usize)>(IN_FLIGHT);
    let (empty_sender, empty) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for (buffer, length) in full {
                there(&buffer[..length]);
                // The reader stops taking buffers back once it has read everything.
                let _ = empty_sender.send(buffer);
            }
        });
        // Owned here, so that it is dropped when this closure returns, whichever way.
        let full_sender = full_sender;
        let mut spare = IN_FLIGHT + 1;
        let mut total = 0u64;
        loop {
            let mut buffer = if spare > 0 {
                spare -= 1;
                vec![0u8; CHUNK_BYTES]
            } else {
                match empty.recv() {
                    Ok(buffer) => buffer,
                    // The hashing thread is gone: it can only have panicked, which the scope
                    // reports when it ends.
                    Err(_) => break,
                }
            };
            let length = match fill(&mut reader, &mut buffer) {
                Ok(0) => break,
                Ok(length) => length,
                Err(e) => return Err(e),
            };
            total += length as u64;
            here(&buffer[..length]);
            if full_sender.send((buffer, length)).is_err() {
                break;
            }
        }
        // Dropping the sender ends the hashing thread's loop; the scope waits for it to hash
        // what is queued.
        drop(full_sender);
        Ok(total)
    })
}

/// Reads until `buffer` is full or the reader ends; returns how much was read.
fn fill<R: Read>(reader: &mut R, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields its data in reads of uneven sizes, then optionally fails.
    struct Uneven {
        data: Vec<u8>,
        at: usize,
        step: usize,
        fail_at_end: bool,
    }

    impl Read for Uneven {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return if self.fail_at_end {
                    Err(io::Error::other("disk gone"))
                } else {
                    Ok(0)
                };
            }
            self.step = self.step % 9973 + 4099;
            let n = self.step.min(buf.len()).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn both_consumers_see_every_byte_in_order() {
        for size in [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, 5 * CHUNK_BYTES + 17] {
            let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
            let reader = Uneven {
                data: data.clone(),
                at: 0,
                step: 1,
                fail_at_end: false,
            };
            let mut here = Vec::new();
            let mut there = Vec::new();
            let total = read_twice_hashed(
                reader,
                |chunk| here.extend_from_slice(chunk),
                |chunk| there.extend_from_slice(chunk),
            )
            .unwrap();
            assert_eq!(total, size as u64);
            assert!(here == data, "size {size}: first consumer");
            assert!(there == data, "size {size}: second consumer");
        }
    }

    #[test]
    fn a_read_error_is_returned_not_taken_for_the_end() {
        let reader = Uneven {
            data: vec![7; 3 * CHUNK_BYTES],
            at: 0,
            step: 1,
            fail_at_end: true,
        };
        let err = read_twice_hashed(reader, |_| {}, |_| {}).unwrap_err();
        assert_eq!(err.to_string(), "disk gone");
    }
}
