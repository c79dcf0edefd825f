//! The number grammar of RFC 8259, section 6, as a resumable state machine.
//!
//! ```text
//! number = [ "-" ] int [ frac ] [ exp ]
//! int    = "0" / ( digit1-9 *digit )
//! frac   = "." 1*digit
//! exp    = ( "e" / "E" ) [ "-" / "+" ] 1*digit
//! ```
//!
//! A number has no closing byte: it ends at the first byte that cannot extend
//! it, which then belongs to whatever follows. The value is never computed, so
//! any length and any exponent is accepted (see the crate docs on how this
//! differs from serde_json).
//!
//! [`read`] is the reader the scanner runs: the grammar's parts in order with
//! digit runs skipped eight bytes at a time. `Num::step`, one byte at a time,
//! is the plain transcription it is tested against.

/// Where the reader stands inside a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Num {
    /// After `-`: a digit must follow.
    Minus,
    /// After a leading `0`: no more integer digits may follow.
    Zero,
    /// Inside the integer digits after a nonzero first digit.
    Int,
    /// After `.`: a digit must follow.
    Dot,
    /// Inside the fraction digits.
    Frac,
    /// After `e` or `E`: a sign or a digit must follow.
    Exp,
    /// After the exponent's sign: a digit must follow.
    ExpSign,
    /// Inside the exponent digits.
    ExpInt,
}

/// The outcome of offering one byte to a number.
#[cfg(test)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumStep {
    /// The byte extends the number.
    Continue(Num),
    /// The number was complete before this byte, which is not part of it.
    Ended,
    /// The byte breaks the grammar.
    Invalid,
}

impl Num {
    /// The state after the first byte of a number, `-` or a digit.
    pub(crate) fn start(b: u8) -> Num {
        match b {
            b'-' => Num::Minus,
            b'0' => Num::Zero,
            _ => Num::Int,
        }
    }

    /// Whether the number may end here.
    pub(crate) fn is_complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::ExpInt)
    }

    /// The transition function, one byte at a time: the grammar as a table
    /// a reader can check, and the reference [`read`] is tested against.
    #[cfg(test)]
    fn step(self, b: u8) -> NumStep {
        use Num::*;
        let next = match (self, b) {
            (Minus, b'0') => Zero,
            (Minus, b'1'..=b'9') => Int,
            (Int, b'0'..=b'9') => Int,
            (Zero | Int, b'.') => Dot,
            (Dot | Frac, b'0'..=b'9') => Frac,
            (Zero | Int | Frac, b'e' | b'E') => Exp,
            (Exp, b'+' | b'-') => ExpSign,
            (Exp | ExpSign | ExpInt, b'0'..=b'9') => ExpInt,
            // `01` is not a number, and `0` followed by a digit cannot be
            // anything else either.
            (Zero, b'0'..=b'9') => return NumStep::Invalid,
            (state, _) if state.is_complete() => return NumStep::Ended,
            _ => return NumStep::Invalid,
        };
        NumStep::Continue(next)
    }
}

/// Where [`read`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// The number ended before the byte at this index.
    Ended(usize),
    /// The byte at this index breaks the grammar.
    Invalid(usize),
    /// The input ran out in this state.
    Exhausted(Num),
}

/// Reads a number from `pos`, in state `num`, to its end or the end of the
/// input: [`Num::step`] rewritten as the grammar's three parts in order, each
/// digit run skipped as a whole. Number-heavy documents spend most of their
/// time here, and a loop that dispatched on the state at every byte paid for
/// an indirect jump the processor often mispredicts. Tested against `step` on
/// every short input.
// Always inlined: with a second caller in the chunk walker the compiler
// kept it out of line, and number-heavy documents paid for the calls.
#[inline(always)]
pub(crate) fn read(input: &[u8], mut pos: usize, mut num: Num) -> Read {
    use Num::*;
    macro_rules! next_byte {
        () => {
            match input.get(pos) {
                Some(&b) => b,
                None => return Read::Exhausted(num),
            }
        };
    }
    // int = "0" / ( digit1-9 *digit ), after an optional "-"
    if num == Minus {
        num = match next_byte!() {
            b'0' => Zero,
            b'1'..=b'9' => Int,
            _ => return Read::Invalid(pos),
        };
        pos += 1;
    }
    if num == Int {
        pos = skip_digits(input, pos);
    }
    if num == Zero || num == Int {
        let b = next_byte!();
        num = match b {
            b'.' => Dot,
            b'e' | b'E' => Exp,
            b'0'..=b'9' if num == Zero => return Read::Invalid(pos),
            _ => return Read::Ended(pos),
        };
        pos += 1;
    }
    // frac = "." 1*digit
    if num == Dot {
        // At least one digit: skip the run and see that it was not empty.
        let end = skip_digits(input, pos);
        if end == pos {
            next_byte!();
            return Read::Invalid(pos);
        }
        num = Frac;
        pos = end;
    } else if num == Frac {
        pos = skip_digits(input, pos);
    }
    if num == Frac {
        if next_byte!() | 0x20 != b'e' {
            return Read::Ended(pos);
        }
        num = Exp;
        pos += 1;
    }
    // exp = ( "e" / "E" ) [ "-" / "+" ] 1*digit
    if num == Exp {
        let b = next_byte!();
        num = match b {
            b'+' | b'-' => ExpSign,
            b'0'..=b'9' => ExpInt,
            _ => return Read::Invalid(pos),
        };
        pos += 1;
    }
    if num == ExpSign {
        if !next_byte!().is_ascii_digit() {
            return Read::Invalid(pos);
        }
        num = ExpInt;
        pos += 1;
    }
    pos = skip_digits(input, pos);
    next_byte!();
    Read::Ended(pos)
}

/// The index of the first byte at or after `pos` that is not an ASCII digit,
/// or `input.len()`.
///
/// Fractions of floating-point numbers run to 15 or 16 digits, so eight bytes
/// are tested at a time, as one `u64`: a byte is a digit when it is
/// `0x30 ^ d` with `d < 10`, and `(d & 0x7F) + 0x76` sets a byte's high bit
/// exactly when `d & 0x7F >= 10`, without a carry into the next byte.
#[inline]
pub(crate) fn skip_digits(input: &[u8], mut pos: usize) -> usize {
    const LOW: u64 = u64::from_le_bytes([0x7F; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    while let Some(chunk) = input.get(pos..pos + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let d = word ^ u64::from_le_bytes([b'0'; 8]);
        let other = (((d & LOW) + u64::from_le_bytes([0x76; 8])) | d) & HIGH;
        if other != 0 {
            return pos + (other.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while input.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(text: &str) -> bool {
        let bytes = text.as_bytes();
        let mut num = Num::start(bytes[0]);
        for &b in &bytes[1..] {
            match num.step(b) {
                NumStep::Continue(next) => num = next,
                _ => return false,
            }
        }
        num.is_complete()
    }

    #[test]
    fn digit_runs_stay_in_their_state() {
        for state in [Num::Int, Num::Frac, Num::ExpInt] {
            for d in b'0'..=b'9' {
                assert_eq!(state.step(d), NumStep::Continue(state));
            }
        }
    }

    /// What `read` must give: `step` one byte at a time.
    fn read_by_steps(input: &[u8], mut num: Num) -> Read {
        for (at, &b) in input.iter().enumerate() {
            match num.step(b) {
                NumStep::Continue(next) => num = next,
                NumStep::Ended => return Read::Ended(at),
                NumStep::Invalid => return Read::Invalid(at),
            }
        }
        Read::Exhausted(num)
    }

    #[test]
    fn read_agrees_with_step_on_every_short_input() {
        use Num::*;
        let alphabet = b"0159.eE+-,]x ";
        let states = [Minus, Zero, Int, Dot, Frac, Exp, ExpSign, ExpInt];
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=5 {
            let mut longer = Vec::new();
            for input in inputs.iter().filter(|input| input.len() == len - 1) {
                for &b in alphabet {
                    longer.push([&input[..], &[b]].concat());
                }
            }
            inputs.extend(longer);
        }
        inputs.push(b"123456789012345678901234567890,".to_vec());
        inputs.push(b"1234567890123456e+1234567890123".to_vec());
        for input in &inputs {
            for state in states {
                assert_eq!(
                    read(input, 0, state),
                    read_by_steps(input, state),
                    "{input:?} {state:?}"
                );
            }
        }
    }

    #[test]
    fn skip_digits_agrees_with_a_plain_loop() {
        let plain = |input: &[u8], pos: usize| {
            pos + input[pos..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        for len in 0..40 {
            for at in 0..len {
                for other in (0..=255u8).filter(|b| !b.is_ascii_digit()) {
                    let mut input = b"0123456789".repeat(4)[..len].to_vec();
                    input[at] = other;
                    for pos in 0..=len {
                        assert_eq!(skip_digits(&input, pos), plain(&input, pos));
                    }
                }
            }
            let digits = b"9876543210".repeat(4)[..len].to_vec();
            assert_eq!(skip_digits(&digits, 0), len);
        }
    }

    #[test]
    fn grammar() {
        for good in [
            "0", "-0", "7", "-12", "0.5", "1e5", "1E+5", "1e-05", "-0.0e0", "10",
        ] {
            assert!(accepts(good), "{good}");
        }
        for bad in [
            "-", "01", "-01", "1.", "1e", "1e+", "1.e3", "0x1", "1.5.2", "--1",
        ] {
            assert!(!accepts(bad), "{bad}");
        }
    }
}
