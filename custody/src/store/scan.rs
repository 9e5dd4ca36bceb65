//! Reading `entries.jsonl`: complete records, and the torn tail a crash can leave.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

/// Where one record lies in the entries file (without its newline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

/// Bytes at the end of the entries file that are not a complete record: what a crash during an
/// append leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Where the torn bytes start: the end of the last complete record.
    pub offset: u64,
    pub len: u64,
}

/// What a scan found after `from` (the records themselves went to the scan's callback).
#[derive(Debug)]
pub(crate) struct Scan {
    /// The end of the last complete record.
    pub(crate) end: u64,
    pub(crate) torn: Option<TornTail>,
}

/// Why the entries file could not be read as records.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScanError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("record at offset {offset} is longer than {limit} bytes")]
    TooLarge { offset: u64, limit: usize },
}

/// How the last line is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tail {
    /// For a writer about to append: a last line that has no newline, or whose bytes are not
    /// JSON, is torn. An append writes the whole line and its newline at once and makes it
    /// durable before the next one starts, so only the last line can be cut short or hold pages
    /// a crash left unwritten.
    Recover,
    /// For a verifier: only a last line without its newline is torn; any other line is a record,
    /// so damage to the last entry is reported as that entry's, not hidden as a crash.
    Strict,
}

/// Reads the records from `from` to the end of `file`, handing each to `record` with its span
/// as it is read: one line is held at a time, however long the log.
///
/// A record is a line ending in a newline. A line in the middle that is not JSON is a record:
/// that is tampering or media corruption, which verification reports with the entry's index.
pub(crate) fn scan(
    file: &File,
    from: u64,
    limit: usize,
    tail: Tail,
    record: &mut dyn FnMut(Span, &[u8]),
) -> Result<Scan, ScanError> {
    let mut handle = file;
    handle.seek(SeekFrom::Start(from))?;
    let mut reader = BufReader::with_capacity(1 << 16, handle);
    let mut offset = from;
    let mut line = Vec::new();
    loop {
        line.clear();
        // One byte more than the limit and its newline tells an oversized record apart.
        let read = (&mut reader)
            .take(limit as u64 + 2)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(Scan {
                end: offset,
                torn: None,
            });
        }
        let complete = line.last() == Some(&b'\n');
        if complete {
            line.pop();
        }
        if line.len() > limit {
            // Read on to the end of this line: a newline makes it an oversized record, the end
            // of the file an oversized torn tail.
            let mut rest = 0u64;
            let mut terminated = complete;
            while !terminated {
                let buffer = reader.fill_buf()?;
                if buffer.is_empty() {
                    break;
                }
                let (consumed, found) = match buffer.iter().position(|&b| b == b'\n') {
                    Some(position) => (position + 1, true),
                    None => (buffer.len(), false),
                };
                reader.consume(consumed);
                rest += consumed as u64;
                terminated = found;
            }
            if terminated {
                return Err(ScanError::TooLarge { offset, limit });
            }
            return Ok(Scan {
                end: offset,
                torn: Some(TornTail {
                    offset,
                    len: read as u64 + rest,
                }),
            });
        }
        let at_end = reader.fill_buf()?.is_empty();
        if !complete || (tail == Tail::Recover && at_end && !is_json(&line)) {
            let rest = std::io::copy(&mut reader, &mut std::io::sink())?;
            return Ok(Scan {
                end: offset,
                torn: Some(TornTail {
                    offset,
                    len: read as u64 + rest,
                }),
            });
        }
        let span = Span {
            offset,
            len: line.len() as u64,
        };
        offset += read as u64;
        record(span, &line);
    }
}

fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn file_with(bytes: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    /// The scan, with the records it handed over.
    struct Scanned {
        records: Vec<(Span, Vec<u8>)>,
        end: u64,
        torn: Option<TornTail>,
    }

    fn scan(file: &File, from: u64, limit: usize, tail: Tail) -> Result<Scanned, ScanError> {
        let mut records = Vec::new();
        let found = super::scan(file, from, limit, tail, &mut |span, bytes| {
            records.push((span, bytes.to_vec()));
        })?;
        Ok(Scanned {
            records,
            end: found.end,
            torn: found.torn,
        })
    }

    #[test]
    fn complete_records_are_read() {
        let scan = scan(&file_with(b"{\"a\":1}\n{}\n"), 0, 100, Tail::Recover).unwrap();
        assert_eq!(scan.records.len(), 2);
        assert_eq!(scan.records[1].0, Span { offset: 8, len: 2 });
        assert_eq!(scan.end, 11);
        assert_eq!(scan.torn, None);
    }

    #[test]
    fn crash_mid_append_leaves_a_torn_tail() {
        let scan = scan(&file_with(b"{\"a\":1}\n{\"b\":"), 0, 100, Tail::Recover).unwrap();
        assert_eq!(scan.records.len(), 1);
        assert_eq!(scan.torn, Some(TornTail { offset: 8, len: 5 }));
    }

    #[test]
    fn crash_leaving_unwritten_pages_is_a_torn_tail() {
        // The newline reached the disk, a page in the middle of the line did not.
        let scan = scan(
            &file_with(b"{\"a\":1}\n{\"b\0\0\0\0\":2}\n"),
            0,
            100,
            Tail::Recover,
        )
        .unwrap();
        assert_eq!(scan.records.len(), 1);
        assert_eq!(scan.torn, Some(TornTail { offset: 8, len: 12 }));
    }

    #[test]
    fn verifier_reads_a_damaged_last_line_as_a_record() {
        let bytes = b"{\"a\":1}\n{\"b\0\0\0\0\":2}\n";
        let scan = scan(&file_with(bytes), 0, 100, Tail::Strict).unwrap();
        assert_eq!(scan.records.len(), 2);
        assert_eq!(scan.torn, None);
    }

    #[test]
    fn garbage_in_the_middle_is_a_record_not_a_tail() {
        let scan = scan(&file_with(b"{}\n{not json\n{}\n"), 0, 100, Tail::Recover).unwrap();
        assert_eq!(scan.records.len(), 3);
        assert_eq!(scan.torn, None);
    }

    #[test]
    fn oversized_record_is_refused() {
        let mut bytes = vec![b'x'; 50];
        bytes.push(b'\n');
        bytes.extend_from_slice(b"{}\n");
        assert!(matches!(
            scan(&file_with(&bytes), 0, 10, Tail::Recover),
            Err(ScanError::TooLarge { offset: 0, .. })
        ));
        // A record exactly at the limit is fine.
        let scan = scan(&file_with(b"{\"a\":12}\n"), 0, 8, Tail::Recover).unwrap();
        assert_eq!(scan.records.len(), 1);
    }

    #[test]
    fn oversized_torn_tail_is_still_a_tail() {
        let mut bytes = b"{}\n".to_vec();
        bytes.extend_from_slice(&[0u8; 40]);
        let scan = scan(&file_with(&bytes), 0, 10, Tail::Recover).unwrap();
        assert_eq!(scan.records.len(), 1);
        assert_eq!(scan.torn, Some(TornTail { offset: 3, len: 40 }));
    }

    #[test]
    fn scanning_resumes_from_an_offset() {
        let scan = scan(&file_with(b"{}\n[1]\n"), 3, 100, Tail::Recover).unwrap();
        assert_eq!(
            scan.records,
            vec![(Span { offset: 3, len: 3 }, b"[1]".to_vec())]
        );
        assert_eq!(scan.end, 7);
    }
}
