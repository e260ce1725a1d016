import Foundation

/// Foundation's whitespace trimming (as WMCore's `strip()` is used), without Foundation's `NSString`
/// round trip when the ends of the text are ASCII — the case for nearly every report value.
enum Trimming {
    /// Which characters to trim: Foundation's `.whitespaces` or `.whitespacesAndNewlines`.
    enum Set {
        /// Space, tab and other Unicode space separators.
        case whitespaces
        /// Those plus LF, VT, FF, CR, NEL and the Unicode line/paragraph separators.
        case whitespacesAndNewlines

        /// The set's ASCII members: space, tab, and LF…CR when newlines count.
        @inline(__always)
        func containsASCII(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || (self == .whitespacesAndNewlines && (0x0A...0x0D).contains(byte))
        }

        /// The Foundation set.
        var characterSet: CharacterSet { self == .whitespaces ? .whitespaces : .whitespacesAndNewlines }
    }

    /// `text.trimmingCharacters(in: set.characterSet)`, computed on UTF-8 when the remaining ends are ASCII.
    static func trimmed(_ text: String, _ set: Set) -> String {
        let utf8 = text.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, set.containsASCII(utf8[start]) { start = utf8.index(after: start) }
        while end > start, set.containsASCII(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        guard start < end else { return "" }
        if start == utf8.startIndex && end == utf8.endIndex && utf8[start] < 0x80 && utf8[utf8.index(before: end)] < 0x80 {
            return text
        }
        let inner = String(Substring(utf8[start..<end]))
        guard utf8[start] < 0x80, utf8[utf8.index(before: end)] < 0x80 else {
            return inner.trimmingCharacters(in: set.characterSet)
        }
        return inner
    }
}
