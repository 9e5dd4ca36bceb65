//! One read, many digests: the reading thread hands each chunk of the artifact, shared and
//! unchanged, to one thread per digest, through bounded queues. A file is read once whatever the
//! number of hashes, the digests run side by side on the cores, and memory is bounded by the
//! queues (a few chunks), never by the artifact's size.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use sigil_tuf::hashes::ExpectedDigest;

/// The bytes of one read of the artifact.
const CHUNK: usize = 256 * 1024;
/// Chunks waiting per digest thread before the reader waits for it.
const QUEUE: usize = 4;

/// Something that consumes the bytes of an artifact as they stream: a digest, a signature's
/// prehash. Fed from its own thread, every byte once and in order.
pub trait ChunkSink: Send {
    /// The next bytes of the artifact.
    fn update(&mut self, bytes: &[u8]);
    /// The artifact starts again from its first byte: forget what was fed.
    fn reset(&mut self);
}

impl ChunkSink for ExpectedDigest {
    fn update(&mut self, bytes: &[u8]) {
        ExpectedDigest::update(self, bytes);
    }

    fn reset(&mut self) {
        ExpectedDigest::reset(self);
    }
}

struct Chunk {
    data: Vec<u8>,
    len: usize,
}

/// The running digest threads of one attempt.
pub(crate) struct Fanout<'scope, 'env> {
    senders: Vec<SyncSender<Arc<Chunk>>>,
    workers: Vec<ScopedJoinHandle<'scope, ()>>,
    /// Chunks handed out; reused once no thread holds them any more.
    pool: Vec<Arc<Chunk>>,
    _env: std::marker::PhantomData<&'env ()>,
}

impl<'scope, 'env> Fanout<'scope, 'env> {
    /// Starts one thread per sink in `scope`.
    pub(crate) fn start(
        scope: &'scope Scope<'scope, 'env>,
        sinks: &'scope mut [&'env mut dyn ChunkSink],
    ) -> Self {
        let mut senders = Vec::with_capacity(sinks.len());
        let mut workers = Vec::with_capacity(sinks.len());
        for sink in sinks.iter_mut() {
            let (sender, receiver) = sync_channel::<Arc<Chunk>>(QUEUE);
            senders.push(sender);
            workers.push(scope.spawn(move || consume(&mut **sink, &receiver)));
        }
        Self {
            senders,
            workers,
            pool: Vec::new(),
            _env: std::marker::PhantomData,
        }
    }

    /// A buffer of one chunk's size to read into: a free one from the pool, or a new one.
    pub(crate) fn buffer(&mut self) -> Vec<u8> {
        if let Some(index) = self.pool.iter().position(|c| Arc::strong_count(c) == 1) {
            let chunk = self.pool.swap_remove(index);
            if let Ok(chunk) = Arc::try_unwrap(chunk) {
                return chunk.data;
            }
        }
        vec![0; CHUNK]
    }

    /// Hands the first `len` bytes of `data` to every sink.
    pub(crate) fn feed(&mut self, data: Vec<u8>, len: usize) {
        let chunk = Arc::new(Chunk { data, len });
        for sender in &self.senders {
            // A thread that is gone panicked; `finish` (or the scope) reports it.
            let _ = sender.send(Arc::clone(&chunk));
        }
        self.pool.push(chunk);
    }

    /// Waits until every sink has consumed every chunk fed.
    pub(crate) fn finish(self) {
        drop(self.senders);
        for worker in self.workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

fn consume(sink: &mut dyn ChunkSink, receiver: &Receiver<Arc<Chunk>>) {
    for chunk in receiver {
        sink.update(&chunk.data[..chunk.len]);
    }
}
