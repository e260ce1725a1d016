#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-level facts of XML 1.0 over UTF-8: the ASCII bytes the grammar uses, strict UTF-8 decoding of
/// one character, the `Char`, `NameStartChar` and `NameChar` classes, and line counting.
enum XMLBytes {
    static let lessThan = UInt8(ascii: "<")
    static let greaterThan = UInt8(ascii: ">")
    static let ampersand = UInt8(ascii: "&")
    static let slash = UInt8(ascii: "/")
    static let question = UInt8(ascii: "?")
    static let exclamation = UInt8(ascii: "!")
    static let equals = UInt8(ascii: "=")
    static let doubleQuote = UInt8(ascii: "\"")
    static let singleQuote = UInt8(ascii: "'")
    static let semicolon = UInt8(ascii: ";")
    static let hash = UInt8(ascii: "#")
    static let closingBracket = UInt8(ascii: "]")
    static let hyphen = UInt8(ascii: "-")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")

    /// XML's `S`: space, tab, LF, CR.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == lineFeed || byte == tab || byte == carriageReturn
    }

    /// Whether eight bytes are all printable ASCII (0x20…0x7F) with none of `<`, `&`, `]` or
    /// `terminator`: character data that needs no look at each byte.
    @inline(__always)
    static func isPlainASCII(_ word: UInt64, terminator: UInt8) -> Bool {
        let highBits: UInt64 = 0x8080_8080_8080_8080
        guard word & highBits == 0, (word &- 0x2020_2020_2020_2020) & ~word & highBits == 0 else { return false }
        return !hasByte(word, lessThan) && !hasByte(word, ampersand) && !hasByte(word, closingBracket)
            && !hasByte(word, terminator)
    }

    /// Whether any byte of `word` equals `byte`.
    @inline(__always)
    private static func hasByte(_ word: UInt64, _ byte: UInt8) -> Bool {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let diff = word ^ (UInt64(byte) &* 0x0101_0101_0101_0101)
        return ~(((diff & low7) &+ low7) | diff | low7) != 0  // 0x80 in each byte of `diff` that is zero
    }

    /// One decoded character: its scalar value and how many bytes it took.
    struct DecodedCharacter {
        /// The Unicode scalar value.
        let scalar: UInt32
        /// Its length in bytes (1…4).
        let length: Int
    }

    /// Why bytes at some position are not an XML character.
    enum CharacterProblem: Error {
        /// Not well-formed UTF-8 (bad lead byte, missing continuation, overlong form, surrogate, > U+10FFFF).
        case invalidUTF8
        /// Well-formed UTF-8 for a scalar that XML 1.0 forbids (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF).
        case forbidden(UInt32)
    }

    /// Decodes the character starting at `position` (which must be inside `bytes`), accepting only
    /// shortest-form UTF-8 for a scalar in XML's `Char` production.
    static func character(at position: Int, in bytes: UnsafeBufferPointer<UInt8>) throws(CharacterProblem) -> DecodedCharacter {
        let lead = bytes[position]
        if lead < 0x80 {
            guard lead >= 0x20 || lead == tab || lead == lineFeed || lead == carriageReturn else {
                throw .forbidden(UInt32(lead))
            }
            return DecodedCharacter(scalar: UInt32(lead), length: 1)
        }
        let length: Int
        let minimum: UInt32
        var scalar: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
        default: throw .invalidUTF8
        }
        guard position + length <= bytes.count else { throw .invalidUTF8 }
        for offset in 1..<length {
            let continuation = bytes[position + offset]
            guard continuation & 0xC0 == 0x80 else { throw .invalidUTF8 }
            scalar = scalar << 6 | UInt32(continuation & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { throw .invalidUTF8 }
        guard scalar != 0xFFFE, scalar != 0xFFFF else { throw .forbidden(scalar) }
        return DecodedCharacter(scalar: scalar, length: length)
    }

    /// XML's `Char` production, for a scalar given by a character reference.
    static func isCharacter(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// XML's `NameStartChar` (or `NameChar` when not `first`) for an ASCII byte.
    @inline(__always)
    static func isASCIINameByte(_ byte: UInt8, first: Bool) -> Bool {
        switch byte {
        case 0x61...0x7A, 0x41...0x5A, 0x5F, 0x3A: return true  // a-z A-Z _ :
        case 0x30...0x39, 0x2D, 0x2E: return !first  // 0-9 - .
        default: return false
        }
    }

    /// XML's `NameStartChar`.
    static func isNameStart(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x41...0x5A, 0x61...0x7A, 0x5F, 0x3A: return true  // A-Z a-z _ :
        case 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x2FF, 0x370...0x37D, 0x37F...0x1FFF, 0x200C...0x200D,
             0x2070...0x218F, 0x2C00...0x2FEF, 0x3001...0xD7FF, 0xF900...0xFDCF, 0xFDF0...0xFFFD,
             0x10000...0xEFFFF:
            return true
        default: return false
        }
    }

    /// XML's `NameChar`.
    static func isNameCharacter(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x30...0x39, 0x2D, 0x2E, 0xB7, 0x300...0x36F, 0x203F...0x2040: return true  // 0-9 - . · combining
        default: return isNameStart(scalar)
        }
    }

    /// UTF-8 bytes of a scalar (which must be valid).
    static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            output.append(UInt8(scalar))
        case ..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6)); output.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12)); output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18)); output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F)); output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

/// Line numbers of byte positions, counted incrementally: asking for increasing positions costs one
/// pass over the document in total. A line ends at LF, CRLF, or a lone CR (XML's line-end handling).
struct LineCounter {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// Whether any CR occurs (if not, `memchr` for LF finds every line end).
    private let hasCarriageReturn: Bool
    private var countedUpTo = 0
    private var linesBefore = 1

    /// A counter for `bytes`.
    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        hasCarriageReturn = bytes.baseAddress.map { memchr($0, Int32(XMLBytes.carriageReturn), bytes.count) != nil } ?? false
    }

    /// The 1-based line holding the byte at `position`.
    mutating func line(at position: Int) -> Int {
        if position < countedUpTo { countedUpTo = 0; linesBefore = 1 }
        var line = linesBefore
        if let base = bytes.baseAddress, !hasCarriageReturn {
            var index = countedUpTo
            while index < position, let found = memchr(base + index, Int32(XMLBytes.lineFeed), position - index) {
                line += 1
                index = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
            }
        } else {
            for index in countedUpTo..<max(position, countedUpTo) {
                let byte = bytes[index]
                if byte == XMLBytes.lineFeed
                    || (byte == XMLBytes.carriageReturn && (index + 1 == bytes.count || bytes[index + 1] != XMLBytes.lineFeed)) {
                    line += 1
                }
            }
        }
        countedUpTo = position
        linesBefore = line
        return line
    }

    /// The 1-based column (in bytes) of `position` on its line.
    func column(at position: Int) -> Int {
        var start = min(position, bytes.count)
        while start > 0, bytes[start - 1] != XMLBytes.lineFeed, bytes[start - 1] != XMLBytes.carriageReturn { start -= 1 }
        return position - start + 1
    }
}
