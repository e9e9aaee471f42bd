//! SMS size rules: which encoding a text needs and how many parts it is sent (and billed) as.
//!
//! A text is GSM-7 when every character is in the GSM 03.38 basic set or its extension table
//! (the extension characters `^ { } \ [ ~ ] | €` and form feed take an escape, so 2 septets);
//! anything else (Devanagari, `ç`, `…`, emoji) makes the whole message UCS-2, counted in UTF-16
//! code units (a character outside the Basic Multilingual Plane takes 2).
//!
//! | encoding | one part | each part of a concatenated message (6-byte UDH) |
//! |----------|----------|--------------------------------------------------|
//! | GSM-7    | 160 septets | 153 septets |
//! | UCS-2    | 70 units    | 67 units    |
//!
//! Parts of a concatenated message never split an escape pair (GSM) or a surrogate pair
//! (UCS-2), so a part may hold one unit less than the maximum.

use std::fmt;

/// Septets in a single-part GSM-7 message.
pub const GSM7_SINGLE: usize = 160;
/// Septets in each part of a concatenated GSM-7 message.
pub const GSM7_CONCAT: usize = 153;
/// UTF-16 units in a single-part UCS-2 message.
pub const UCS2_SINGLE: usize = 70;
/// UTF-16 units in each part of a concatenated UCS-2 message.
pub const UCS2_CONCAT: usize = 67;

/// The GSM 03.38 basic character set (127 characters; the 128th code is the escape).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The GSM 03.38 extension table (each is sent as escape + code: 2 septets).
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// How a message is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// The GSM 7-bit default alphabet (with its extension table).
    Gsm7,
    /// UCS-2 (UTF-16 code units).
    Ucs2,
}

impl Encoding {
    /// `gsm7` / `ucs2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "gsm7",
            Encoding::Ucs2 => "ucs2",
        }
    }

    /// Units in a single-part message.
    pub fn single_part(self) -> usize {
        match self {
            Encoding::Gsm7 => GSM7_SINGLE,
            Encoding::Ucs2 => UCS2_SINGLE,
        }
    }

    /// Units in each part of a concatenated message.
    pub fn concat_part(self) -> usize {
        match self {
            Encoding::Gsm7 => GSM7_CONCAT,
            Encoding::Ucs2 => UCS2_CONCAT,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The size of a text as an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SmsSize {
    /// The encoding the text needs.
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2), escapes and surrogates counted.
    pub units: usize,
    /// Parts it is sent as (at least 1, even when empty).
    pub parts: usize,
}

impl SmsSize {
    /// Whether it is sent in at most `max_parts` parts.
    pub fn fits(&self, max_parts: usize) -> bool {
        self.parts <= max_parts
    }
}

impl fmt::Display for SmsSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} in {} part{}",
            self.units,
            match self.encoding {
                Encoding::Gsm7 => "septets",
                Encoding::Ucs2 => "UCS-2 units",
            },
            self.parts,
            if self.parts == 1 { "" } else { "s" }
        )
    }
}

/// Septets a character takes in GSM-7 (1, or 2 for the extension table), `None` if it is not
/// in the GSM-7 alphabet.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Whether the whole text can be sent as GSM-7.
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| gsm7_septets(c).is_some())
}

/// The encoding, units and parts of a text.
pub fn measure(text: &str) -> SmsSize {
    let encoding = if is_gsm7(text) { Encoding::Gsm7 } else { Encoding::Ucs2 };
    let width = |c: char| match encoding {
        Encoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    };
    let units: usize = text.chars().map(width).sum();
    let parts = if units <= encoding.single_part() {
        1
    } else {
        // Pack greedily; a character that does not fit whole starts the next part.
        let capacity = encoding.concat_part();
        let (mut parts, mut used) = (1, 0);
        for w in text.chars().map(width) {
            if used + w > capacity {
                parts += 1;
                used = 0;
            }
            used += w;
        }
        parts
    };
    SmsSize { encoding, units, parts }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gsm(units: usize, parts: usize) -> SmsSize {
        SmsSize { encoding: Encoding::Gsm7, units, parts }
    }

    fn ucs2(units: usize, parts: usize) -> SmsSize {
        SmsSize { encoding: Encoding::Ucs2, units, parts }
    }

    #[test]
    fn the_alphabet_has_127_basic_and_10_extension_characters() {
        assert_eq!(GSM7_BASIC.chars().count(), 127);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        assert!(GSM7_BASIC.chars().all(|c| !GSM7_EXTENSION.contains(c)));
        assert_eq!(gsm7_septets('a'), Some(1));
        assert_eq!(gsm7_septets('€'), Some(2));
        assert_eq!(gsm7_septets('\u{0C}'), Some(2));
        assert_eq!(gsm7_septets('ç'), None);
        assert_eq!(gsm7_septets('…'), None);
        assert_eq!(gsm7_septets('`'), None);
    }

    #[test]
    fn empty_text_is_one_gsm_part() {
        assert_eq!(measure(""), gsm(0, 1));
    }

    #[test]
    fn gsm_single_part_ends_at_160() {
        assert_eq!(measure(&"a".repeat(160)), gsm(160, 1));
        assert_eq!(measure(&"a".repeat(161)), gsm(161, 2));
    }

    #[test]
    fn gsm_concatenated_parts_hold_153() {
        assert_eq!(measure(&"a".repeat(153 * 2)), gsm(306, 2));
        assert_eq!(measure(&"a".repeat(153 * 2 + 1)), gsm(307, 3));
        assert_eq!(measure(&"a".repeat(153 * 3)), gsm(459, 3));
    }

    #[test]
    fn extension_characters_take_two_septets() {
        assert_eq!(measure(&format!("{}€", "a".repeat(158))), gsm(160, 1));
        assert_eq!(measure(&format!("{}€", "a".repeat(159))), gsm(161, 2));
        assert_eq!(measure("{x}[y]|~^\\"), gsm(18, 1));
    }

    #[test]
    fn an_escape_pair_is_not_split_across_parts() {
        // 152 + 2 + 152 = 306 septets would be 2 parts if the pair could straddle them.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(measure(&text), gsm(306, 3));
        // Right at the start of the second part it packs normally.
        let text = format!("{}€{}", "a".repeat(153), "a".repeat(151));
        assert_eq!(measure(&text), gsm(306, 2));
    }

    #[test]
    fn devanagari_is_ucs2_with_70_then_67() {
        assert_eq!(measure(&"क".repeat(70)), ucs2(70, 1));
        assert_eq!(measure(&"क".repeat(71)), ucs2(71, 2));
        assert_eq!(measure(&"क".repeat(67 * 2)), ucs2(134, 2));
        assert_eq!(measure(&"क".repeat(67 * 2 + 1)), ucs2(135, 3));
        // One non-GSM character turns an English text into UCS-2.
        assert_eq!(measure(&format!("{}क", "a".repeat(69))), ucs2(70, 1));
        assert_eq!(measure("Reply…"), ucs2(6, 1));
    }

    #[test]
    fn emoji_take_two_units_and_are_not_split() {
        assert_eq!(measure("😀"), ucs2(2, 1));
        assert_eq!(measure(&format!("{}😀", "a".repeat(68))), ucs2(70, 1));
        assert_eq!(measure(&format!("{}😀", "a".repeat(69))), ucs2(71, 2));
        let text = format!("{}😀{}", "क".repeat(66), "क".repeat(66));
        assert_eq!(measure(&text), ucs2(134, 3));
    }

    #[test]
    fn a_hindi_otp_fits_one_part() {
        let text = "आपका टीका OTP 482913 है। 3 मिनट तक मान्य। किसी को न बताएं।";
        let size = measure(text);
        assert_eq!(size.encoding, Encoding::Ucs2);
        assert_eq!(size.units, text.encode_utf16().count());
        assert_eq!(size.parts, 1);
        assert!(size.fits(1));
        assert_eq!(measure("Your OTP is 482913.").to_string(), "19 septets in 1 part");
    }
}
