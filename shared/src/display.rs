//! How sizes are written, the same in the app and in the server's error messages.

/// `812 B`, `3.5 MB`, `26 MB`: decimal units, as file managers show them.
pub fn file_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1000.0;
    let mut unit = 0;
    while size >= 999.95 && unit + 1 < UNITS.len() {
        size /= 1000.0;
        unit += 1;
    }
    if size < 9.95 { format!("{size:.1} {}", UNITS[unit]) } else { format!("{size:.0} {}", UNITS[unit]) }
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
    }
}
