//! GetRandomPassword: a password drawn from the system CSPRNG, the way AWS Secrets Manager builds it.
//!
//! The alphabet is the four AWS character types (uppercase, lowercase, digits and the 32 punctuation
//! characters of the API reference), plus the space when asked for, minus whatever the request
//! excludes. Every character is a uniform draw by rejection sampling, so no character is favoured
//! by a modulo; with `RequireEachIncludedType` one character of each required type is drawn first and
//! Fisher–Yates then moves every character to a uniformly random position.
//!
//! The password is secret material: it only ever lives in [`Zeroizing`] buffers and is never
//! logged or formatted here.
//!
//! Sources for the behaviour and the error messages (all checked in 2026):
//! - API reference, GetRandomPassword: the punctuation set, `PasswordLength` 1–4096 with default 32,
//!   `RequireEachIncludedType` defaulting to true.
//! - The three refusals were measured against the live service through CloudFormation by the cdkd
//!   project (go-to-k/cdkd, `secretsmanager-secret-provider.ts`, PR #3086, us-east-1): a space is
//!   admitted but never required; a type that its `Exclude*` switch keeps but `ExcludeCharacters`
//!   empties is refused when `RequireEachIncludedType` is on ("All characters of the desired type
//!   have been excluded", also reported verbatim from real deployments by several public CDK
//!   stacks); a length below the number of required types is refused ("Password length is too
//!   short based on the required types.", reproduced by moto as an `InvalidParameterException`);
//!   an empty alphabet is refused ("All characters have been excluded from selection.").

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::Error;

/// The shortest password AWS generates (the model's lower bound for `PasswordLength`).
pub const MIN_LENGTH: u32 = 1;
/// The longest password AWS generates (the model's upper bound for `PasswordLength`).
pub const MAX_LENGTH: u32 = 4096;
/// The length AWS uses when the request gives none.
pub const DEFAULT_LENGTH: u32 = 32;

/// Uppercase letters, one of the four AWS character types.
pub const UPPERCASE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// Lowercase letters, one of the four AWS character types.
pub const LOWERCASE: &str = "abcdefghijklmnopqrstuvwxyz";
/// Digits, one of the four AWS character types.
pub const DIGITS: &str = "0123456789";
/// The punctuation characters the API reference lists for `ExcludePunctuation`, in its order.
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// The refusal when a required type has no character left after `ExcludeCharacters`. The wording
/// is quoted from real deployments (see the module documentation); whether AWS ends it with a full
/// stop could not be confirmed, and every quotation found has none, so neither does this.
pub const MSG_TYPE_EXCLUDED: &str = "All characters of the desired type have been excluded";
/// The refusal when nothing is left to draw from at all.
pub const MSG_ALL_EXCLUDED: &str = "All characters have been excluded from selection.";
/// The refusal when the length cannot hold one character of each required type.
pub const MSG_TOO_SHORT: &str = "Password length is too short based on the required types.";

/// What a GetRandomPassword request asks for, with AWS's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordSpec {
    /// The number of characters, 1–4096.
    pub length: u32,
    /// Characters that must not appear, whatever their type.
    pub exclude_characters: String,
    /// Leave the digits out.
    pub exclude_numbers: bool,
    /// Leave the punctuation out.
    pub exclude_punctuation: bool,
    /// Leave the uppercase letters out.
    pub exclude_uppercase: bool,
    /// Leave the lowercase letters out.
    pub exclude_lowercase: bool,
    /// Add the space to the alphabet (it is admitted, never required).
    pub include_space: bool,
    /// Put at least one character of each included type (upper, lower, digit, punctuation) in.
    pub require_each_included_type: bool,
}

impl Default for PasswordSpec {
    /// AWS's defaults: 32 characters, every type required, nothing excluded, no space.
    fn default() -> Self {
        Self {
            length: DEFAULT_LENGTH,
            exclude_characters: String::new(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            include_space: false,
            require_each_included_type: true,
        }
    }
}

/// Generates a password for `spec` from the system CSPRNG.
///
/// Errors: [`Error::Validation`] for a length outside 1–4096 (worded like AWS's model validation),
/// and [`Error::InvalidParameter`] with AWS's message when a required type has been emptied by
/// `exclude_characters`, when every character has been excluded, or when the length is shorter
/// than the number of required types. [`Error::Internal`] if the system generator fails.
pub fn generate(spec: &PasswordSpec) -> Result<Zeroizing<String>, Error> {
    let rng = SystemRandom::new();
    let mut fill = |buf: &mut [u8]| {
        rng.fill(buf)
            .map_err(|_| Error::Internal("the system random number generator failed".to_owned()))
    };
    generate_with(spec, &mut fill)
}

/// A source of random bytes. Production passes the system CSPRNG; tests pass scripted bytes so
/// that the rejection sampling itself can be checked.
type Fill<'a> = dyn FnMut(&mut [u8]) -> Result<(), Error> + 'a;

/// The alphabet a request leaves, split the way generation needs it.
struct Alphabet {
    /// The characters of each type that must appear at least once.
    required: Vec<Vec<u8>>,
    /// Every character that may appear.
    pool: Vec<u8>,
}

/// Works out the alphabet for `spec`, refusing it exactly where AWS does.
fn alphabet(spec: &PasswordSpec) -> Result<Alphabet, Error> {
    // Characters outside ASCII in `exclude_characters` can never be in the alphabet, so comparing
    // bytes against chars is enough.
    let keep = |set: &str| -> Vec<u8> {
        set.bytes()
            .filter(|b| !spec.exclude_characters.contains(char::from(*b)))
            .collect()
    };
    let types = [
        (spec.exclude_uppercase, UPPERCASE),
        (spec.exclude_lowercase, LOWERCASE),
        (spec.exclude_numbers, DIGITS),
        (spec.exclude_punctuation, PUNCTUATION),
    ];
    let mut required = Vec::new();
    let mut pool = Vec::new();
    for (excluded, set) in types {
        if excluded {
            continue;
        }
        let left = keep(set);
        // AWS refuses rather than silently dropping a type the caller asked to see; with
        // RequireEachIncludedType off the same request succeeds (measured by cdkd).
        if spec.require_each_included_type {
            if left.is_empty() {
                return Err(Error::InvalidParameter(MSG_TYPE_EXCLUDED.to_owned()));
            }
            required.push(left.clone());
        }
        pool.extend_from_slice(&left);
    }
    // The space joins the pool but is never a required type: AWS documents RequireEachIncludedType
    // as the four types, and cdkd measured that a space is admitted, not guaranteed.
    if spec.include_space && !spec.exclude_characters.contains(' ') {
        pool.push(b' ');
    }
    if pool.is_empty() {
        return Err(Error::InvalidParameter(MSG_ALL_EXCLUDED.to_owned()));
    }
    Ok(Alphabet { required, pool })
}

/// Checks the length the way AWS's model validation words it. The protocol layer validates the
/// model range too; this keeps the core correct on its own.
fn check_length(length: u32) -> Result<usize, Error> {
    let constraint = if length < MIN_LENGTH {
        format!("greater than or equal to {MIN_LENGTH}")
    } else if length > MAX_LENGTH {
        format!("less than or equal to {MAX_LENGTH}")
    } else {
        return usize::try_from(length).map_err(|_| Error::Internal("length overflow".to_owned()));
    };
    Err(Error::Validation(format!(
        "1 validation error detected: Value '{length}' at 'passwordLength' failed to satisfy \
         constraint: Member must have value {constraint}"
    )))
}

/// Generates a password for `spec` from the bytes `fill` provides.
fn generate_with(spec: &PasswordSpec, fill: &mut Fill<'_>) -> Result<Zeroizing<String>, Error> {
    let length = check_length(spec.length)?;
    let alphabet = alphabet(spec)?;
    if alphabet.required.len() > length {
        return Err(Error::InvalidParameter(MSG_TOO_SHORT.to_owned()));
    }

    let mut draws = Draws::new(fill);
    // The capacity is exact so that the buffer never reallocates and leaves an unzeroed copy of
    // part of the password behind.
    let mut chars = Zeroizing::new(Vec::with_capacity(length));
    for set in &alphabet.required {
        chars.push(draws.pick(set)?);
    }
    while chars.len() < length {
        chars.push(draws.pick(&alphabet.pool)?);
    }
    // Fisher–Yates: the required characters were put first, so shuffle every position for them to
    // end up anywhere with equal probability.
    for i in (1..chars.len()).rev() {
        let j = draws.below(i + 1)?;
        chars.swap(i, j);
    }

    let mut password = Zeroizing::new(String::with_capacity(length));
    for &byte in chars.iter() {
        password.push(char::from(byte));
    }
    Ok(password)
}

/// Uniform random numbers from a byte source, buffered so that the generator is asked for bytes
/// in blocks rather than four at a time.
struct Draws<'f, 'a> {
    fill: &'f mut Fill<'a>,
    /// Random bytes derive the password, so they are zeroed when dropped like the password is.
    buffer: Zeroizing<[u8; 256]>,
    /// The next unused byte of `buffer`; `buffer.len()` means it must be refilled.
    position: usize,
}

impl<'f, 'a> Draws<'f, 'a> {
    fn new(fill: &'f mut Fill<'a>) -> Self {
        Self {
            fill,
            buffer: Zeroizing::new([0; 256]),
            position: 256,
        }
    }

    /// The next 32 random bits.
    fn next_u32(&mut self) -> Result<u32, Error> {
        if self.position + 4 > self.buffer.len() {
            (self.fill)(&mut self.buffer[..])?;
            self.position = 0;
        }
        let mut word = [0u8; 4];
        word.copy_from_slice(&self.buffer[self.position..self.position + 4]);
        self.position += 4;
        Ok(u32::from_le_bytes(word))
    }

    /// A uniform number in `0..n`. Draws in the incomplete last block of 2^32 mod n values are
    /// rejected and redrawn, since folding them with a modulo would favour the small numbers.
    fn below(&mut self, n: usize) -> Result<usize, Error> {
        let n = u64::try_from(n).map_err(|_| Error::Internal("range overflow".to_owned()))?;
        if n == 0 || n > 1 << 32 {
            return Err(Error::Internal("random range out of bounds".to_owned()));
        }
        let span = 1u64 << 32;
        let limit = span - span % n;
        loop {
            let draw = u64::from(self.next_u32()?);
            if draw < limit {
                return usize::try_from(draw % n)
                    .map_err(|_| Error::Internal("range overflow".to_owned()));
            }
        }
    }

    /// A uniform choice from `set`.
    fn pick(&mut self, set: &[u8]) -> Result<u8, Error> {
        let index = self.below(set.len())?;
        set.get(index)
            .copied()
            .ok_or_else(|| Error::Internal("random index out of range".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(spec: &PasswordSpec) -> Zeroizing<String> {
        generate(spec).expect("password")
    }

    fn spec(f: impl FnOnce(&mut PasswordSpec)) -> PasswordSpec {
        let mut s = PasswordSpec::default();
        f(&mut s);
        s
    }

    fn has_any(password: &str, set: &str) -> bool {
        password.chars().any(|c| set.contains(c))
    }

    /// Which of upper, lower, digit, punctuation a password contains.
    fn classes(password: &str) -> [bool; 4] {
        [
            has_any(password, UPPERCASE),
            has_any(password, LOWERCASE),
            has_any(password, DIGITS),
            has_any(password, PUNCTUATION),
        ]
    }

    fn error_of(spec: &PasswordSpec) -> Error {
        match generate(spec) {
            Ok(_) => panic!("expected an error for {spec:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults_match_aws() {
        let d = PasswordSpec::default();
        assert_eq!(d.length, 32);
        assert!(d.require_each_included_type);
        assert!(d.exclude_characters.is_empty());
        assert!(!d.include_space);
        assert!(!(d.exclude_numbers || d.exclude_punctuation));
        assert!(!(d.exclude_uppercase || d.exclude_lowercase));
    }

    #[test]
    fn punctuation_is_the_documented_set() {
        assert_eq!(PUNCTUATION.len(), 32);
        assert_eq!(PUNCTUATION, r##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##);
        // Exactly the printable ASCII characters that are not letters, digits or space.
        let expected: String = (0x21u8..0x7f)
            .map(char::from)
            .filter(|c| !c.is_ascii_alphanumeric())
            .collect();
        assert_eq!(PUNCTUATION, expected);
    }

    #[test]
    fn default_length_and_alphabet() {
        for _ in 0..50 {
            let pw = gen(&PasswordSpec::default());
            assert_eq!(pw.len(), 32);
            assert!(
                pw.chars().all(|c| c.is_ascii_graphic()),
                "only the 94 printable characters"
            );
            assert_eq!(classes(&pw), [true; 4]);
        }
    }

    #[test]
    fn each_type_present_at_length_4() {
        for _ in 0..2000 {
            let pw = gen(&spec(|s| s.length = 4));
            assert_eq!(pw.len(), 4);
            assert_eq!(classes(&pw), [true; 4]);
        }
    }

    #[test]
    fn required_characters_land_anywhere() {
        // With two required types at length 2 and a shuffle, the uppercase letter must be seen
        // first sometimes and second sometimes; without the shuffle it would always be first.
        let s = spec(|s| {
            s.length = 2;
            s.exclude_numbers = true;
            s.exclude_punctuation = true;
        });
        let mut first_upper = 0;
        for _ in 0..400 {
            let pw = gen(&s);
            assert_eq!(classes(&pw), [true, true, false, false]);
            if pw.as_bytes()[0].is_ascii_uppercase() {
                first_upper += 1;
            }
        }
        assert!(
            (50..=350).contains(&first_upper),
            "uppercase first {first_upper}/400 times"
        );
    }

    #[test]
    fn exclude_numbers() {
        for _ in 0..50 {
            let pw = gen(&spec(|s| {
                s.length = 64;
                s.exclude_numbers = true;
            }));
            assert_eq!(classes(&pw), [true, true, false, true]);
        }
    }

    #[test]
    fn exclude_punctuation() {
        for _ in 0..50 {
            let pw = gen(&spec(|s| {
                s.length = 64;
                s.exclude_punctuation = true;
            }));
            assert_eq!(classes(&pw), [true, true, true, false]);
        }
    }

    #[test]
    fn exclude_uppercase() {
        for _ in 0..50 {
            let pw = gen(&spec(|s| {
                s.length = 64;
                s.exclude_uppercase = true;
            }));
            assert_eq!(classes(&pw), [false, true, true, true]);
        }
    }

    #[test]
    fn exclude_lowercase() {
        for _ in 0..50 {
            let pw = gen(&spec(|s| {
                s.length = 64;
                s.exclude_lowercase = true;
            }));
            assert_eq!(classes(&pw), [true, false, true, true]);
        }
    }

    #[test]
    fn only_digits() {
        let pw = gen(&spec(|s| {
            s.length = 100;
            s.exclude_uppercase = true;
            s.exclude_lowercase = true;
            s.exclude_punctuation = true;
        }));
        assert_eq!(pw.len(), 100);
        assert!(pw.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn exclude_characters_honoured() {
        let excluded = "abcdefghijABCDEFGHIJ012345!#%&()*";
        for _ in 0..100 {
            let pw = gen(&spec(|s| {
                s.length = 64;
                s.exclude_characters = excluded.to_owned();
            }));
            assert!(
                !pw.chars().any(|c| excluded.contains(c)),
                "excluded character drawn"
            );
            assert_eq!(classes(&pw), [true; 4]);
        }
    }

    #[test]
    fn exclude_characters_can_leave_one_character_of_a_type() {
        let pw = gen(&spec(|s| {
            s.length = 200;
            s.exclude_characters = "0123456789".replace('7', "");
        }));
        assert!(pw.contains('7'));
        assert!(!pw.chars().any(|c| c.is_ascii_digit() && c != '7'));
    }

    #[test]
    fn exclude_characters_may_empty_a_type_when_not_required() {
        let pw = gen(&spec(|s| {
            s.length = 200;
            s.require_each_included_type = false;
            s.exclude_characters = DIGITS.to_owned();
        }));
        assert!(!has_any(&pw, DIGITS));
    }

    #[test]
    fn exclude_characters_ignores_characters_outside_the_alphabet() {
        let pw = gen(&spec(|s| s.exclude_characters = "é€\t\n".to_owned()));
        assert_eq!(pw.len(), 32);
    }

    #[test]
    fn space_only_when_included() {
        let mut without = String::new();
        for _ in 0..20 {
            without.push_str(&gen(&spec(|s| s.length = 100)));
        }
        assert!(!without.contains(' '));
        let mut with = String::new();
        for _ in 0..20 {
            with.push_str(&gen(&spec(|s| {
                s.length = 100;
                s.include_space = true;
            })));
        }
        // 2000 draws from 95 characters: missing the space has probability (94/95)^2000 < 1e-9.
        assert!(with.contains(' '));
    }

    #[test]
    fn space_is_not_a_required_type() {
        // Four required types fit in four characters even with the space included, and a
        // space-only alphabet works with RequireEachIncludedType on: nothing else is required.
        let pw = gen(&spec(|s| {
            s.length = 4;
            s.include_space = true;
        }));
        assert_eq!(classes(&pw), [true; 4]);
        let spaces = gen(&spec(|s| {
            s.length = 3;
            s.include_space = true;
            s.exclude_uppercase = true;
            s.exclude_lowercase = true;
            s.exclude_numbers = true;
            s.exclude_punctuation = true;
        }));
        assert_eq!(spaces.as_str(), "   ");
    }

    #[test]
    fn space_can_be_excluded_again() {
        let pw = gen(&spec(|s| {
            s.length = 4000;
            s.include_space = true;
            s.exclude_characters = " ".to_owned();
        }));
        assert!(!pw.contains(' '));
    }

    #[test]
    fn lengths_at_the_bounds() {
        assert_eq!(gen(&spec(|s| s.length = 4096)).len(), 4096);
        let one = gen(&spec(|s| {
            s.length = 1;
            s.require_each_included_type = false;
        }));
        assert_eq!(one.len(), 1);
    }

    #[test]
    fn length_out_of_range_is_a_validation_error() {
        match error_of(&spec(|s| s.length = 0)) {
            Error::Validation(m) => assert_eq!(
                m,
                "1 validation error detected: Value '0' at 'passwordLength' failed to satisfy \
                 constraint: Member must have value greater than or equal to 1"
            ),
            other => panic!("unexpected {other:?}"),
        }
        match error_of(&spec(|s| s.length = 4097)) {
            Error::Validation(m) => assert_eq!(
                m,
                "1 validation error detected: Value '4097' at 'passwordLength' failed to satisfy \
                 constraint: Member must have value less than or equal to 4096"
            ),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn too_short_for_the_required_types() {
        for length in 1..4 {
            match error_of(&spec(|s| s.length = length)) {
                Error::InvalidParameter(m) => assert_eq!(m, MSG_TOO_SHORT),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            MSG_TOO_SHORT,
            "Password length is too short based on the required types."
        );
        // Two required types fit in two characters.
        let pw = gen(&spec(|s| {
            s.length = 2;
            s.exclude_numbers = true;
            s.exclude_punctuation = true;
        }));
        assert_eq!(pw.len(), 2);
        // Without the requirement any length from 1 works.
        let pw = gen(&spec(|s| {
            s.length = 3;
            s.require_each_included_type = false;
        }));
        assert_eq!(pw.len(), 3);
    }

    #[test]
    fn required_type_emptied_by_exclude_characters() {
        match error_of(&spec(|s| s.exclude_characters = PUNCTUATION.to_owned())) {
            Error::InvalidParameter(m) => {
                assert_eq!(m, "All characters of the desired type have been excluded")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn everything_excluded() {
        let by_switches = spec(|s| {
            s.exclude_uppercase = true;
            s.exclude_lowercase = true;
            s.exclude_numbers = true;
            s.exclude_punctuation = true;
        });
        let by_characters = spec(|s| {
            s.require_each_included_type = false;
            s.exclude_characters = format!("{UPPERCASE}{LOWERCASE}{DIGITS}{PUNCTUATION}");
        });
        let space_excluded_too = spec(|s| {
            s.include_space = true;
            s.exclude_uppercase = true;
            s.exclude_lowercase = true;
            s.exclude_numbers = true;
            s.exclude_punctuation = true;
            s.exclude_characters = " ".to_owned();
        });
        for s in [by_switches, by_characters, space_excluded_too] {
            match error_of(&s) {
                Error::InvalidParameter(m) => {
                    assert_eq!(m, "All characters have been excluded from selection.")
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn every_character_occurs_evenly() {
        // 49 passwords of 4096 characters: about 200k draws, ~2135 per character of the 94. The
        // bounds sit more than ten standard deviations out, so the test never flakes, yet a
        // missing character or a grossly skewed draw fails it.
        let mut counts = [0u32; 128];
        let mut total = 0u32;
        for _ in 0..49 {
            for b in gen(&spec(|s| s.length = 4096)).bytes() {
                counts[usize::from(b)] += 1;
                total += 1;
            }
        }
        let alphabet: Vec<u8> = (0x21u8..0x7f).collect();
        assert_eq!(alphabet.len(), 94);
        let expected = f64::from(total) / 94.0;
        let mut chi_square = 0.0;
        for &c in &alphabet {
            let n = counts[usize::from(c)];
            assert!(n > 0, "character {:?} never drawn", char::from(c));
            assert!(
                (1500..=2800).contains(&n),
                "character {:?} drawn {n} times, expected about {expected:.0}",
                char::from(c)
            );
            let d = f64::from(n) - expected;
            chi_square += d * d / expected;
        }
        let outside: u32 = counts
            .iter()
            .enumerate()
            .filter(|(i, _)| !(0x21..0x7f).contains(i))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(outside, 0);
        // 93 degrees of freedom: mean 93, standard deviation about 13.6.
        assert!(chi_square < 250.0, "chi-square {chi_square:.1}");
    }

    /// A byte source that plays back `script` and then zeroes.
    fn scripted(script: Vec<u8>) -> impl FnMut(&mut [u8]) -> Result<(), Error> {
        let mut script = script.into_iter();
        move |buf: &mut [u8]| {
            for b in buf.iter_mut() {
                *b = script.next().unwrap_or(0);
            }
            Ok(())
        }
    }

    #[test]
    fn rejection_sampling_discards_the_biased_tail() {
        // 2^32 is not a multiple of 94, so u32::MAX lies in the rejected tail; a modulo would have
        // turned it into 4294967295 % 94 = 91. The next draw, 5, is the answer.
        let mut script = vec![0xff, 0xff, 0xff, 0xff];
        script.extend_from_slice(&5u32.to_le_bytes());
        let mut fill = scripted(script);
        let mut draws = Draws::new(&mut fill);
        assert_eq!(draws.below(94).expect("draw"), 5);

        // The largest accepted draw is kept: limit - 1 maps to n - 1.
        let limit = (1u64 << 32) - (1u64 << 32) % 94;
        let last = u32::try_from(limit - 1).expect("fits");
        let mut fill = scripted(last.to_le_bytes().to_vec());
        let mut draws = Draws::new(&mut fill);
        assert_eq!(draws.below(94).expect("draw"), 93);
    }

    #[test]
    fn draws_refill_the_buffer() {
        let mut calls = 0;
        let mut fill = |buf: &mut [u8]| {
            calls += 1;
            buf.fill(1);
            Ok(())
        };
        let mut draws = Draws::new(&mut fill);
        for _ in 0..65 {
            draws.next_u32().expect("draw");
        }
        drop(draws);
        assert_eq!(calls, 2, "64 words per 256-byte block");
    }

    #[test]
    fn generator_failure_is_reported() {
        let mut fill = |_: &mut [u8]| Err(Error::Internal("rng down".to_owned()));
        match generate_with(&PasswordSpec::default(), &mut fill) {
            Err(Error::Internal(m)) => assert_eq!(m, "rng down"),
            other => panic!("unexpected {:?}", other.map(|_| "a password")),
        }
    }

    #[test]
    fn scripted_bytes_give_a_deterministic_password() {
        // All-zero bytes always draw index 0, so the password is the first character of each
        // required type, then the first pool character, shuffled by j = 0 at every step.
        let mut fill = scripted(Vec::new());
        let pw = generate_with(&spec(|s| s.length = 5), &mut fill).expect("password");
        let mut sorted: Vec<char> = pw.chars().collect();
        sorted.sort_unstable();
        assert_eq!(sorted, vec!['!', '0', 'A', 'A', 'a']);
    }
}
