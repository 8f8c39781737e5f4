//! The allocator the binary and the benchmarks install: mimalloc. It
//! lives with the binary (the benchmarks include this file by path), so
//! that the library has no `unsafe` code.
//!
//! The parser and the server make many small allocations, and glibc's
//! malloc spent a quarter of parse time on them (perf, 2,000-action
//! benchmark).

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// mimalloc's plain entry points whenever its natural alignment
/// suffices, its aligned ones otherwise (the rule std's `System` uses
/// with malloc). The `mimalloc` crate calls `mi_malloc_aligned` for
/// every layout, which took ~550 instructions more per served request
/// (callgrind).
#[derive(Debug, Clone, Copy, Default)]
pub struct Mimalloc;

/// mimalloc aligns every block of at least this size to it and smaller
/// ones (8 bytes) to their size: `MI_MAX_ALIGN_SIZE`, with size classes
/// in steps of 16 bytes on 64-bit targets (`MI_ALIGN2W`; `alloc.c`
/// asserts the alignment).
const NATURAL: usize = 16;

/// Whether mimalloc's plain entry points give a block of `size` bytes the
/// alignment `align`.
fn natural(align: usize, size: usize) -> bool {
    align <= NATURAL && align <= size
}

// SAFETY: every call forwards to mimalloc, which returns blocks
// aligned as the layout asks (see `natural`) or null on failure, and
// frees/reallocates only blocks it returned.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if natural(layout.align(), layout.size()) {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if natural(layout.align(), layout.size()) {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }
    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }
    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if natural(layout.align(), new_size) {
                mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

// SAFETY: `mi_collect` is mimalloc's own entry point (linked in by
// libmimalloc-sys, which declares it only with its `extended` feature);
// it takes a plain bool and may be called from any thread at any time.
unsafe extern "C" {
    safe fn mi_collect(force: bool);
}

/// Gives the memory mimalloc holds free back to the system (after a burst
/// of traffic, when the server goes idle): without it, freed pages stay
/// resident until the next allocations make mimalloc purge them.
#[allow(dead_code)] // The benchmarks include this file and never call it.
pub fn release_free_memory() {
    mi_collect(true);
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_block_is_aligned_as_its_layout_asks() {
        // Imports inside: the benchmarks include this file, and their
        // test build drops `#[test]` functions.
        use std::alloc::{GlobalAlloc, Layout};
        let alloc = super::Mimalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..=300).chain([4095, 4096, 70_000]) {
                let Ok(layout) = Layout::from_size_align(size, align) else {
                    continue;
                };
                // SAFETY: non-zero sizes; each block is freed once, with
                // the allocator that returned it.
                unsafe {
                    let p = alloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    let grown = alloc.realloc(p, layout, size * 3);
                    assert_eq!(grown as usize % align, 0, "realloc {size} align {align}");
                    alloc.dealloc(grown, Layout::from_size_align_unchecked(size * 3, align));
                    let z = alloc.alloc_zeroed(layout);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    alloc.dealloc(z, layout);
                }
            }
        }
    }
}
