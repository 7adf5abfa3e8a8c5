//! A small global allocator for the npm package's module (feature `small-alloc`): power-of-two size
//! classes, one free list per class, bump allocation from `memory.grow`. About 1 kB of code
//! instead of dlmalloc's ~12 kB. It trades memory (up to 2x per block, freed blocks are reused
//! only within their class) for size — fine for a client that holds a few kilobytes of state.
//!
//! Sound only without shared-memory threads, which is what `wasm32-unknown-unknown` without
//! the `atomics` target feature gives (checked at compile time below).

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

#[cfg(target_feature = "atomics")]
compile_error!("the standalone allocator is single-threaded; build without the atomics feature");

const PAGE: usize = 65536;
/// Classes 2^3 .. 2^31 bytes.
const CLASSES: usize = 32;
const MIN_CLASS: u32 = 3;

struct State {
    free: [*mut u8; CLASSES],
    next: usize,
    end: usize,
}

/// The allocator (see the module documentation).
pub struct SizeClassAlloc(UnsafeCell<State>);

// SAFETY: wasm32 without atomics has exactly one thread.
unsafe impl Sync for SizeClassAlloc {}

impl SizeClassAlloc {
    /// A new, empty allocator.
    pub const fn new() -> Self {
        SizeClassAlloc(UnsafeCell::new(State { free: [ptr::null_mut(); CLASSES], next: 0, end: 0 }))
    }
}

impl Default for SizeClassAlloc {
    fn default() -> Self {
        Self::new()
    }
}

fn class_of(layout: Layout) -> Option<u32> {
    // Blocks are aligned to min(size, PAGE): a larger alignment cannot be honoured.
    if layout.align() > PAGE {
        return None;
    }
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS);
    let class = size.checked_next_power_of_two()?.trailing_zeros();
    (class < CLASSES as u32).then_some(class)
}

unsafe impl GlobalAlloc for SizeClassAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else { return ptr::null_mut() };
        // SAFETY: single-threaded (see above) and not re-entered: nothing here allocates.
        let st = unsafe { &mut *self.0.get() };
        let slot = class as usize;
        let head = st.free.get(slot).copied().unwrap_or(ptr::null_mut());
        if !head.is_null() {
            // SAFETY: `head` is a block of this class we handed out before; its first word
            // holds the next free block.
            let next = unsafe { *(head as *mut *mut u8) };
            if let Some(s) = st.free.get_mut(slot) {
                *s = next;
            }
            return head;
        }
        let size = 1usize << class;
        // Blocks are aligned to their size (capped at a page), so any request of the class fits.
        let align = size.min(PAGE);
        let mut start = (st.next + align - 1) & !(align - 1);
        if start == 0 || start.checked_add(size).is_none_or(|e| e > st.end) {
            let pages = size.div_ceil(PAGE).max(4);
            let prev = core::arch::wasm32::memory_grow(0, pages);
            if prev == usize::MAX {
                return ptr::null_mut();
            }
            let base = prev * PAGE;
            if base != st.end {
                st.next = base; // not contiguous with what we had: start afresh at the new pages
            }
            st.end = base + pages * PAGE;
            start = (st.next + align - 1) & !(align - 1);
            if start + size > st.end {
                return ptr::null_mut();
            }
        }
        st.next = start + size;
        start as *mut u8
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout) else { return };
        // SAFETY: as in `alloc`; `block` came from `alloc` with this layout, so it has room for
        // one pointer (classes start at 8 bytes) and is aligned to at least 8.
        let st = unsafe { &mut *self.0.get() };
        if let Some(s) = st.free.get_mut(class as usize) {
            unsafe { *(block as *mut *mut u8) = *s };
            *s = block;
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else { return ptr::null_mut() };
        if class_of(layout) == class_of(new_layout) {
            return block;
        }
        // SAFETY: standard realloc contract: copy the smaller size, free the old block.
        unsafe {
            let new = self.alloc(new_layout);
            if !new.is_null() {
                ptr::copy_nonoverlapping(block, new, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
            new
        }
    }
}
