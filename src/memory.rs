//! Keeps the resident set small. Each argon2id hash allocates ~19 MiB; glibc's
//! adaptive mmap threshold would, after the first such block is freed, serve the
//! next ones from per-thread heap arenas and keep them mapped, so a burst of
//! logins left the process at several hundred MiB. A fixed threshold keeps large
//! blocks in their own mappings, returned to the system when freed. Four arenas
//! (the two runtime workers, the store's writer and one to spare) bound what
//! small allocations hold on to; with two, the threads queued on arena locks
//! for ~6% of the server's time under load. (mimalloc was tried: ~5% faster
//! still, but 70 MiB at peak against glibc's 50.)

/// Call first thing in `main`, before any thread exists.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before
    // other threads start, as glibc requires for predictable results.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 4);
    }
}
