//! Signals that stop a run at the next epoch boundary; a second one stops
//! at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};

pub struct Signals {
    asked: Arc<AtomicBool>,
    which: Arc<AtomicUsize>,
}

impl Signals {
    /// The signal that asked the run to stop, if one did.
    pub fn requested(&self) -> Option<usize> {
        self.asked
            .load(Ordering::Relaxed)
            .then(|| self.which.load(Ordering::Relaxed))
    }

    /// The shell's status for a program ended by that signal.
    pub fn exit_code(&self) -> u8 {
        match self.requested() {
            Some(s) if s == SIGTERM as usize => 143,
            _ => 130,
        }
    }
}

pub fn install() -> Signals {
    let asked = Arc::new(AtomicBool::new(false));
    let which = Arc::new(AtomicUsize::new(0));
    for signal in [SIGINT, SIGTERM] {
        let code = 128 + signal;
        // Registered first, so that it sees the flag as the previous
        // signal left it: set means this is the second, which ends the
        // program at once.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, code, Arc::clone(&asked));
        let _ = signal_hook::flag::register_usize(signal, Arc::clone(&which), signal as usize);
        let _ = signal_hook::flag::register(signal, Arc::clone(&asked));
    }
    Signals { asked, which }
}
