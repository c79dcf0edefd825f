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

    /// Whether a digit keeps the number in this state (inside a run of
    /// integer, fraction or exponent digits).
    pub(crate) fn takes_digits(self) -> bool {
        matches!(self, Num::Int | Num::Frac | Num::ExpInt)
    }

    /// The transition function.
    pub(crate) fn step(self, b: u8) -> NumStep {
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
            assert!(state.takes_digits());
            for d in b'0'..=b'9' {
                assert_eq!(state.step(d), NumStep::Continue(state));
            }
        }
        for state in [Num::Minus, Num::Zero, Num::Dot, Num::Exp, Num::ExpSign] {
            assert!(!state.takes_digits());
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
        for len in 0..24 {
            for at in 0..len {
                for other in (0..=255u8).filter(|b| !b.is_ascii_digit()) {
                    let mut input = b"0123456789".repeat(3)[..len].to_vec();
                    input[at] = other;
                    for pos in 0..=len {
                        assert_eq!(skip_digits(&input, pos), plain(&input, pos));
                    }
                }
            }
            let digits = b"9876543210".repeat(3)[..len].to_vec();
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
