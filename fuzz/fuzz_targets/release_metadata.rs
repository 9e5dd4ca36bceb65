//! Any bytes as a TUF target's `custom` object: the release metadata reader (version, channel,
//! platform, arch, rollout, minimum version, signature) gives a release, "not a release" or an
//! error, never a panic; and any text as a channel name is accepted or refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_updater::release::{Channel, Release};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(channel) = Channel::new(text) {
            let _ = channel.accepts(&Channel::stable());
            let _ = Channel::stable().accepts(&channel);
        }
    }
    if let Ok(custom) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = Release::from_custom("app-1.0.0-linux-x86_64.tar.gz", &custom);
    }
});
