//! Kubernetes resource quantities (`500m`, `1.5`, `256Mi`, `1G`, `100Ki`, `1e3`) converted
//! exactly into the model's units: CPU in millicores, memory in MiB. The arithmetic is on
//! integers (a rational `numerator / denominator`) so `0.1` CPU is exactly 100 millis, and
//! a fraction of a unit rounds up, so a positive request never becomes 0.

/// A parsed quantity: the exact value `numerator / denominator` in base units (cores, bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rational {
    numerator: u128,
    denominator: u128,
}

/// A CPU quantity in millicores, rounded up.
pub fn cpu_millis(text: &str) -> Result<u32, String> {
    let q = parse(text)?;
    let millis = ceil_div(
        q.numerator
            .checked_mul(1000)
            .ok_or_else(|| too_large(text))?,
        q.denominator,
    );
    u32::try_from(millis).map_err(|_| too_large(text))
}

/// A memory quantity (bytes with an optional suffix) in MiB, rounded up.
pub fn memory_mib(text: &str) -> Result<u32, String> {
    let q = parse(text)?;
    let denominator = q
        .denominator
        .checked_mul(1 << 20)
        .ok_or_else(|| too_large(text))?;
    u32::try_from(ceil_div(q.numerator, denominator)).map_err(|_| too_large(text))
}

fn too_large(text: &str) -> String {
    format!("the quantity `{text}` is too large")
}

fn ceil_div(n: u128, d: u128) -> u128 {
    n / d + u128::from(!n.is_multiple_of(d))
}

/// Kubernetes' grammar: `<digits>[.<digits>]<suffix>` where the suffix is binary
/// (`Ki Mi Gi Ti Pi Ei`), decimal (`n u m k M G T P E` or none), or an exponent (`e3`, `E-2`).
fn parse(text: &str) -> Result<Rational, String> {
    let invalid = || {
        format!(
            "`{text}` is not a Kubernetes quantity (a non-negative number with an optional \
             suffix: m, k, M, G, Ki, Mi, Gi, ...)"
        )
    };
    let body = text.trim();
    let body = body.strip_prefix('+').unwrap_or(body);
    if body.starts_with('-') {
        return Err(format!("the quantity `{text}` is negative"));
    }
    let number_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(invalid());
    }
    let digits = format!("{whole}{fraction}");
    // More digits than a u128 holds are refused as too large rather than rounded.
    let mut numerator: u128 = digits.parse().map_err(|_| too_large(text))?;
    let mut denominator = 10u128
        .checked_pow(u32::try_from(fraction.len()).map_err(|_| invalid())?)
        .ok_or_else(|| too_large(text))?;
    let (binary, decimal): (u32, i32) = match suffix {
        "Ki" => (10, 0),
        "Mi" => (20, 0),
        "Gi" => (30, 0),
        "Ti" => (40, 0),
        "Pi" => (50, 0),
        "Ei" => (60, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "" => (0, 0),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        s if s.starts_with(['e', 'E']) => {
            let exponent: i32 = s[1..].parse().map_err(|_| invalid())?;
            if exponent.unsigned_abs() > 30 {
                return Err(too_large(text));
            }
            (0, exponent)
        }
        _ => return Err(invalid()),
    };
    numerator = numerator
        .checked_mul(1u128 << binary)
        .ok_or_else(|| too_large(text))?;
    let power = 10u128.pow(decimal.unsigned_abs());
    if decimal >= 0 {
        numerator = numerator
            .checked_mul(power)
            .ok_or_else(|| too_large(text))?;
    } else {
        denominator = denominator
            .checked_mul(power)
            .ok_or_else(|| too_large(text))?;
    }
    Ok(Rational {
        numerator,
        denominator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cpu_in_millicores() {
        assert_eq!(cpu_millis("500m"), Ok(500));
        assert_eq!(cpu_millis("1.5"), Ok(1500));
        assert_eq!(cpu_millis("0.1"), Ok(100));
        assert_eq!(cpu_millis("2"), Ok(2000));
        assert_eq!(cpu_millis("1e3"), Ok(1_000_000));
        assert_eq!(cpu_millis("100u"), Ok(1), "a fraction of a milli rounds up");
        assert_eq!(cpu_millis("0"), Ok(0));
    }

    #[test]
    fn memory_in_mib() {
        assert_eq!(memory_mib("256Mi"), Ok(256));
        assert_eq!(memory_mib("1Gi"), Ok(1024));
        assert_eq!(
            memory_mib("1G"),
            Ok(954),
            "10^9 bytes is 953.67 MiB, rounded up"
        );
        assert_eq!(memory_mib("100Ki"), Ok(1));
        assert_eq!(memory_mib("1048576"), Ok(1));
        assert_eq!(memory_mib("1.5Gi"), Ok(1536));
        assert_eq!(memory_mib("500M"), Ok(477));
    }

    #[test]
    fn malformed_and_negative_quantities_are_refused() {
        for bad in ["", "abc", "1.2.3", "5Xi", "Mi", ".", "1e", "12 Mi"] {
            let err = memory_mib(bad).unwrap_err();
            assert!(err.contains("not a Kubernetes quantity"), "{bad}: {err}");
        }
        assert!(cpu_millis("-1").unwrap_err().contains("negative"));
        assert!(
            memory_mib("99999999999999999999999999999999999999999Ei")
                .unwrap_err()
                .contains("too large")
        );
        assert!(cpu_millis("5000000").unwrap_err().contains("too large"));
    }

    proptest! {
        /// Every suffix scales a whole number exactly as Kubernetes defines it.
        #[test]
        fn whole_numbers_scale_by_their_suffix(n in 0u32..4096, k in 0usize..4) {
            let (suffix, mib) = [("Ki", n.div_ceil(1024)), ("Mi", n), ("Gi", n * 1024), ("", n.div_ceil(1 << 20))][k];
            prop_assert_eq!(memory_mib(&format!("{n}{suffix}")), Ok(mib));
            prop_assert_eq!(cpu_millis(&format!("{n}m")), Ok(n));
            prop_assert_eq!(cpu_millis(&format!("{n}")), Ok(n * 1000));
        }

        /// Decimal cores agree with their millicore spelling.
        #[test]
        fn decimal_cores_equal_millicores(whole in 0u32..100, thousandths in 0u32..1000) {
            let decimal = format!("{whole}.{thousandths:03}");
            prop_assert_eq!(cpu_millis(&decimal), cpu_millis(&format!("{}m", whole * 1000 + thousandths)));
        }

        /// Never a panic, whatever the text.
        #[test]
        fn any_text_is_an_answer_not_a_panic(text in "\\PC{0,12}") {
            let _ = cpu_millis(&text);
            let _ = memory_mib(&text);
        }
    }
}
