//! Random identifiers from the OS RNG, and the comparison secrets need.

/// `bytes` random bytes from the operating system, as lowercase hex.
pub fn token_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS RNG failing means the machine cannot run anything securely.
    getrandom::fill(&mut buf).expect("the OS random number generator is available");
    let mut out = String::with_capacity(bytes * 2);
    for b in buf {
        out.push(char::from_digit((b >> 4) as u32, 16).expect("nibble"));
        out.push(char::from_digit((b & 15) as u32, 16).expect("nibble"));
    }
    out
}

/// Compares without an early exit, so timing does not reveal how much of a
/// secret (a token, a MAC) was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
