//! The process's allocator: mimalloc for `check` and `review`, the system allocator for `server`.
//!
//! A batch run allocates many small, short-lived values (names, paths, findings, syntax nodes)
//! on every worker thread, and mimalloc's thread-local heaps serve them markedly faster than the
//! system allocator (`scripts/bench-check`: about 30% less wall time over Nova's tests). The
//! language server lives for hours with a few documents open, and there mimalloc's retained
//! per-thread pages cost resident memory with no gain in latency (`scripts/bench-lsp`: about
//! 170 MiB instead of 115 MiB with Nova's largest test file open). So the choice is made per
//! process, from the subcommand, before the first allocation.
//!
//! The choice can only be made while nothing has been allocated yet: every block must be freed
//! by the allocator that made it. On glibc Linux, a function in `.init_array` receives `argc` and
//! `argv` before `main` and before Rust's runtime allocates anything, and switches to the system
//! allocator when the subcommand is `server`. If anything was allocated before it ran, or on other
//! platforms, the process keeps mimalloc, which is always correct, only heavier for the server.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

use mimalloc::MiMalloc;

/// Whether allocations go to mimalloc; cleared at most once, before any allocation.
static USE_MIMALLOC: AtomicBool = AtomicBool::new(true);
/// Set by the first allocation; after it the choice is frozen.
static ALLOCATED: AtomicBool = AtomicBool::new(false);

/// The global allocator: forwards each call to mimalloc or to the system allocator.
pub struct ProcessAllocator;

impl ProcessAllocator {
    #[inline]
    fn mimalloc() -> bool {
        USE_MIMALLOC.load(Ordering::Relaxed)
    }
}

#[inline]
fn note_allocation() {
    if !ALLOCATED.load(Ordering::Relaxed) {
        ALLOCATED.store(true, Ordering::SeqCst);
    }
}

// SAFETY: every call forwards to one of two sound allocators, and the same one for the whole
// life of the process: `USE_MIMALLOC` changes only before the first allocation (see `choose`),
// so each block is freed or resized by the allocator that made it.
unsafe impl GlobalAlloc for ProcessAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees about `layout`.
        unsafe {
            if Self::mimalloc() {
                MiMalloc.alloc(layout)
            } else {
                System.alloc(layout)
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees about `layout`.
        unsafe {
            if Self::mimalloc() {
                MiMalloc.alloc_zeroed(layout)
            } else {
                System.alloc_zeroed(layout)
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this same allocator (the choice never changes after the
        // first allocation), with `layout`.
        unsafe {
            if Self::mimalloc() {
                MiMalloc.dealloc(ptr, layout)
            } else {
                System.dealloc(ptr, layout)
            }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; `new_size` carries the caller's guarantees.
        unsafe {
            if Self::mimalloc() {
                MiMalloc.realloc(ptr, layout, new_size)
            } else {
                System.realloc(ptr, layout, new_size)
            }
        }
    }
}

/// Whether this process allocates through mimalloc (then the parser should too).
pub fn uses_mimalloc() -> bool {
    ProcessAllocator::mimalloc()
}

/// Whether a command line (the arguments after the program name) runs the language server.
fn runs_server<'a>(mut args: impl Iterator<Item = &'a [u8]>) -> bool {
    args.next() == Some(b"server".as_slice())
}

/// Switches to the system allocator for `proctor server`, if nothing was allocated yet.
fn choose<'a>(args: impl Iterator<Item = &'a [u8]>) {
    if runs_server(args) && !ALLOCATED.load(Ordering::SeqCst) {
        USE_MIMALLOC.store(false, Ordering::SeqCst);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod before_main {
    use std::ffi::{CStr, c_char, c_int};

    /// glibc calls the functions of `.init_array` with `argc`, `argv` and `envp` before `main`.
    #[used]
    #[unsafe(link_section = ".init_array")]
    static CHOOSE_ALLOCATOR: extern "C" fn(c_int, *const *const c_char, *const *const c_char) =
        choose_allocator;

    extern "C" fn choose_allocator(
        argc: c_int,
        argv: *const *const c_char,
        _envp: *const *const c_char,
    ) {
        if argv.is_null() || argc < 2 {
            return;
        }
        // SAFETY: glibc passes `argc` valid, NUL-terminated strings in `argv`, alive for the
        // whole process; only argv[1] is read, and only when argc says it exists. Reading it
        // allocates nothing.
        let first = unsafe {
            let arg = *argv.add(1);
            if arg.is_null() {
                return;
            }
            CStr::from_ptr(arg).to_bytes()
        };
        super::choose(std::iter::once(first));
    }
}

#[cfg(test)]
mod tests {
    use super::runs_server;

    fn args(list: &'static [&'static str]) -> impl Iterator<Item = &'static [u8]> {
        list.iter().copied().map(str::as_bytes)
    }

    #[test]
    fn only_the_server_subcommand_chooses_the_system_allocator() {
        assert!(runs_server(args(&["server"])));
        assert!(runs_server(args(&["server", "--stdio"])));
        assert!(!runs_server(args(&["check", "server"])));
        assert!(!runs_server(args(&["review"])));
        assert!(!runs_server(args(&["--help"])));
        assert!(!runs_server(args(&[])));
    }
}
