//! How sizes are written, the same in the app and in the server's error messages.

/// `812 B`, `3.5 MB`, `26 MB`: decimal units, as file managers show them, rounded half up.
/// Integer arithmetic: formatting a float would add its formatting code to the app.
pub fn file_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let rounded = |scale: u128| (u128::from(bytes) + scale / 2) / scale;
    let mut unit = 0;
    let mut scale = 1000;
    // Up a unit while the tenths round to 1000.0 or more.
    while rounded(scale / 10) >= 10_000 && unit + 1 < UNITS.len() {
        scale *= 1000;
        unit += 1;
    }
    let tenths = rounded(scale / 10);
    if tenths < 100 {
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    } else {
        format!("{} {}", rounded(scale), UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sizes_read_like_a_file_manager() {
        assert_eq!(file_size(0), "0 B");
        assert_eq!(file_size(999), "999 B");
        assert_eq!(file_size(1000), "1.0 KB");
        assert_eq!(file_size(9_960), "10 KB");
        assert_eq!(file_size(14_200), "14 KB");
        assert_eq!(file_size(999_999), "1.0 MB");
        assert_eq!(file_size(3_500_000), "3.5 MB");
        assert_eq!(file_size(25 * 1024 * 1024), "26 MB");
        assert_eq!(file_size(2_000_000_000_000_000), "2000 TB");
        assert_eq!(file_size(1_250), "1.3 KB");
        assert_eq!(file_size(9_949), "9.9 KB");
        assert_eq!(file_size(999_499), "999 KB");
        assert_eq!(file_size(u64::MAX), "18446744 TB");
    }
}
