//! The tool calls of one response: found in O(1) per fragment, each with its
//! arguments, its key scanner and its limits.

use std::collections::HashMap;
use std::sync::Arc;

use super::summary::ToolCallSummary;
use crate::scan::{Event, KeyScanner, Keys};
use crate::upstream::CallRef;
use crate::{Error, ErrorKind};

/// One call's state beside its summary.
#[derive(Debug)]
struct Track {
    scanner: KeyScanner,
    /// Upstream's own number for the call (chat `index`, Anthropic block,
    /// Responses `output_index`), if it gave one.
    upstream_index: Option<u64>,
    /// Whether a fragment has come (a Responses `arguments.done` counts only
    /// when none did).
    fragments: bool,
    /// Whether the client, with calls forwarded, has had its id and name.
    announced: bool,
    /// Whether the relay has told that the arguments are complete.
    completed: bool,
}

/// The calls, with their summaries kept in the relay's [`Summary`](super::Summary).
#[derive(Debug, Default)]
pub(super) struct Calls {
    by_index: HashMap<u64, usize>,
    by_item: HashMap<String, usize>,
    tracks: Vec<Track>,
    spare_scanners: Vec<KeyScanner>,
    spare_summaries: Vec<ToolCallSummary>,
}

impl Calls {
    pub(super) fn reset(&mut self, summaries: &mut Vec<ToolCallSummary>) {
        self.by_index.clear();
        self.by_item.clear();
        self.spare_scanners
            .extend(self.tracks.drain(..).map(|track| track.scanner));
        for mut call in summaries.drain(..) {
            call.id.clear();
            call.name.clear();
            call.arguments.clear();
            call.error = None;
            self.spare_summaries.push(call);
        }
    }

    /// The bytes its maps, tracks and spare summaries hold.
    pub(super) fn retained_bytes(&self) -> usize {
        let maps = (self.by_index.capacity() + self.by_item.capacity())
            * (size_of::<u64>() + size_of::<String>() + size_of::<usize>());
        let items: usize = self.by_item.keys().map(String::capacity).sum();
        let tracks = (self.tracks.capacity() + self.spare_scanners.capacity()) * size_of::<Track>();
        let spares: usize = self
            .spare_summaries
            .iter()
            .map(ToolCallSummary::retained_bytes)
            .sum();
        maps + items + tracks + spares
    }

    /// The slot of `call`, if it is open.
    pub(super) fn find(&self, call: &CallRef<'_>) -> Option<usize> {
        match (call.index, call.item) {
            (Some(index), _) => self.by_index.get(&index).copied(),
            (None, Some(item)) => self.by_item.get(item).copied(),
            (None, None) => self.by_index.get(&0).copied(),
        }
    }

    /// Opens `call` in a new slot.
    ///
    /// # Errors
    /// [`ErrorKind::TooManyCalls`] at `offset` when `max` calls are open.
    pub(super) fn open(
        &mut self,
        call: &CallRef<'_>,
        summaries: &mut Vec<ToolCallSummary>,
        keys: &Arc<Keys>,
        (max, max_depth): (usize, usize),
        offset: u64,
    ) -> Result<usize, Error> {
        let slot = self.tracks.len();
        if slot >= max {
            return Err(Error::new(ErrorKind::TooManyCalls, offset));
        }
        let index = match (call.index, call.item) {
            (None, None) => Some(0),
            (index, _) => index,
        };
        if let Some(index) = index {
            self.by_index.insert(index, slot);
        }
        if let Some(item) = call.item.filter(|_| call.index.is_none()) {
            self.by_item.insert(item.to_owned(), slot);
        }
        let scanner = match self.spare_scanners.pop() {
            Some(mut scanner) => {
                scanner.reset();
                scanner
            }
            None => KeyScanner::with_keys(Arc::clone(keys)).with_max_depth(max_depth),
        };
        self.tracks.push(Track {
            scanner,
            upstream_index: index,
            fragments: false,
            announced: false,
            completed: false,
        });
        let mut summary = self.spare_summaries.pop().unwrap_or_default();
        summary.index = u32::try_from(slot).unwrap_or(u32::MAX);
        summaries.push(summary);
        Ok(slot)
    }

    /// Whether upstream numbers the call in `slot` as the client will see it
    /// (its ordinal), so an upstream chunk naming it can be forwarded as is.
    pub(super) fn numbered_as_ordinal(&self, slot: usize) -> bool {
        self.tracks[slot].upstream_index == Some(slot as u64)
    }

    /// Marks the call announced to the client; says whether it already was.
    pub(super) fn announce(&mut self, slot: usize) -> bool {
        std::mem::replace(&mut self.tracks[slot].announced, true)
    }

    /// Whether the call's arguments have just been read to the end of
    /// their JSON value, without error: true once, at the fragment that
    /// completed them.
    pub(super) fn newly_complete(&mut self, slot: usize, call: &ToolCallSummary) -> bool {
        let track = &mut self.tracks[slot];
        call.error.is_none()
            && track.scanner.is_complete()
            && !std::mem::replace(&mut track.completed, true)
    }

    pub(super) fn has_fragments(&self, slot: usize) -> bool {
        self.tracks[slot].fragments
    }

    /// Appends a fragment to the call's arguments and scans it, appending the
    /// raw text of new target-value spans to `spans`.
    ///
    /// Past `max` bytes of arguments the call gets
    /// [`ErrorKind::ArgumentsTooLarge`] and its arguments stop growing.
    /// Returns whether the fragment was taken.
    pub(super) fn push(
        &mut self,
        slot: usize,
        call: &mut ToolCallSummary,
        fragment: &str,
        max: usize,
        spans: &mut Vec<u8>,
    ) -> bool {
        let track = &mut self.tracks[slot];
        track.fragments = true;
        if matches!(call.error, Some(error) if error.kind() == ErrorKind::ArgumentsTooLarge) {
            return false;
        }
        if call.arguments.len().saturating_add(fragment.len()) > max {
            call.error = Some(Error::new(
                ErrorKind::ArgumentsTooLarge,
                call.arguments.len() as u64,
            ));
            return false;
        }
        call.arguments.push_str(fragment);
        if call.error.is_some() {
            return true;
        }
        let arguments = call.arguments.as_bytes();
        loop {
            match track.scanner.next_event(arguments) {
                Ok(Some(Event::Text(span))) => spans.extend_from_slice(span.raw(arguments)),
                Ok(Some(_)) => {}
                Ok(None) => return true,
                Err(error) => {
                    call.error = Some(error);
                    return true;
                }
            }
        }
    }

    /// Upstream is done: judges each call's arguments.
    pub(super) fn finish(&mut self, summaries: &mut [ToolCallSummary]) {
        for (call, track) in summaries.iter_mut().zip(&mut self.tracks) {
            if call.error.is_none() && !call.arguments.trim_ascii().is_empty() {
                call.error = track.scanner.finish().err();
            }
        }
    }
}
