//! Keeps the resident set small. Each argon2id hash allocates ~19 MiB; glibc's
//! adaptive mmap threshold would, after the first such block is freed, serve the
//! next ones from per-thread heap arenas and keep them mapped, so a burst of
//! logins left the process at several hundred MiB. A fixed threshold keeps large
//! blocks in their own mappings, returned to the system when freed; fewer
//! arenas bound what small allocations from many threads hold on to.

/// Call first thing in `main`, before any thread exists.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before
    // other threads start, as glibc requires for predictable results.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
