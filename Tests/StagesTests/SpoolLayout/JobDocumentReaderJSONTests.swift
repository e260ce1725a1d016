import Foundation
import Testing
import TestSupport
import WMCore

/// `JSONValue.parse` (DynamicJSON's byte reader) gives what `JSONDecoder` gives for `JSONValue`, and
/// refuses what `JSONDecoder` refuses.
@Suite struct JobDocumentReaderJSONTests {
    /// JSONDecoder's value, or nil when it refuses the text.
    static func decoderValue(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The parser's value, or nil when it throws.
    static func parsedValue(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONValue.parse(bytes)
    }

    /// Both agree exactly: same value, or both refuse.
    static func expectAgreement(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = Array(text.utf8)
        #expect(parsedValue(bytes) == decoderValue(bytes), "\(text.debugDescription)", sourceLocation: sourceLocation)
    }

    @Test func numbersFollowJSONDecodersIntAndDoubleRules() {
        let numbers = ["0", "-0", "1", "-1", "1.0", "-0.0", "0.0", "1e2", "1E+2", "1e-2", "2.5e1", "0.1e1", "1.5", "5e-1",
                       "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                       "12345678901234567890", "18446744073709551615", "18446744073709551616", "1e18", "1e19", "1e400",
                       "-1e400", "1e-400", "-1e-400", "4.9e-324", "2.2250738585072011e-308", "1.7976931348623157e308",
                       "1.7976931348623159e308", "0.30000000000000004", "1e23", "9007199254740993", "9007199254740993.0",
                       "9007199254740993.000000", "123456789012345678.5", "9223372036854775807.0", "9223372036854775295.0",
                       "-9223372036854775808.0", "1.0000000000000000001", "1767000000.123456", "100000000000000000000.0",
                       "0.000000000000000000000000000001", "1e0000000000000000000001", "01", "1.", ".5", "+1", "-", "1e",
                       "1e+", "-01", "00", "1.e5", "0x10", "NaN", "Infinity", "-Infinity", "1_000"]
        for number in numbers {
            Self.expectAgreement(number)
            Self.expectAgreement("[\(number)]")
            Self.expectAgreement("{\"n\": \(number) }")
        }
    }

    @Test func randomNumberTextsAgree() {
        var random = SeededGenerator(seed: 2026)
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
        }
        for _ in 0..<4000 {
            var text = Bool.random(using: &random) ? "-" : ""
            let integerDigits = Int.random(in: 1...22, using: &random)
            text += Int.random(in: 0..<8, using: &random) == 0 ? "0" : String(Int.random(in: 1...9, using: &random)) + digits(integerDigits - 1)
            if Bool.random(using: &random) { text += "." + digits(Int.random(in: 1...22, using: &random)) }
            if Int.random(in: 0..<3, using: &random) == 0 {
                text += ["e", "E", "e+", "e-", "E-"].randomElement(using: &random)! + String(Int.random(in: 0...330, using: &random))
            }
            Self.expectAgreement(text)
        }
    }

    @Test func stringsAndEscapesAgree() {
        let strings = [#""""#, #""plain""#, #""é 😀 中文""#, #""\"\\\/\b\f\n\r\t""#, #""\u0000\u001f\u00e9\u20AC""#,
                       #""\ud83d\ude00""#, #""\uDBFF\uDFFF""#, #""\ud83d""#, #""\ude00""#, #""\ud83d\u0041""#, #""\ud83dx""#,
                       #""\u12""#, #""\u12G4""#, #""\x""#, #""\'""#, "\"tab\there\"", "\"nl\nhere\"", "\"del\u{7f}\"",
                       #""unterminated"#, #""trailing\"#, #""\"#]
        for text in strings {
            Self.expectAgreement(text)
            Self.expectAgreement("{\(text): 1}")
        }
        for bad: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]] {
            #expect(Self.parsedValue(bad) == nil && Self.decoderValue(bad) == nil)
        }
    }

    @Test func structureAndDepthAgree() {
        for text in ["[]", "{}", " [ 1 , 2 ] ", "[1 2]", "{\"a\" 1}", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":[null,true,false]}}",
                     "[1] x", "nul", "tru", "[", "{", "{\"a\":", "[1,", "", "   ", "{1:2}", "[\"a\"]\u{0}", "[1]\n\n", "//c\n1"] {
            Self.expectAgreement(text)
        }
        for depth in [512, 513] {
            Self.expectAgreement(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
            Self.expectAgreement("{\"a\":" + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}")
        }
        // Stricter than JSONDecoder (RFC 8259): trailing commas and a byte-order mark are refused.
        for text in ["[1,]", "{\"a\":1,}", "\u{FEFF}[1]"] {
            #expect(Self.decoderValue(Array(text.utf8)) != nil)
            #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
        }
        #expect(throws: JSONParseError.trailingContent(at: 4)) { try JSONValue.parse(Array("[1] x".utf8)) }
        #expect(throws: JSONParseError.tooDeep(at: 512, limit: 512)) { try JSONValue.parse(Array(String(repeating: "[", count: 513).utf8)) }
    }

    @Test func randomValuesRoundTripLikeJSONDecoder() throws {
        var random = SeededGenerator(seed: 99)
        let sorted = JSONEncoder()
        sorted.outputFormatting = [.sortedKeys]
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        for _ in 0..<600 {
            let value = RandomJSON.value(depth: 0, using: &random)
            for bytes in [Array(try sorted.encode(value)), Array(try pretty.encode(value)), Array(value.serialized.utf8)] {
                let expected = try #require(Self.decoderValue(bytes))
                #expect(Self.parsedValue(bytes) == expected, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    @Test func mutatedTextNeverParsesWhereJSONDecoderRefuses() throws {
        var random = SeededGenerator(seed: 7)
        let alphabet = Array("{}[],:\"\\0123456789.eE+-tfnul u/".utf8) + [0x00, 0x0A, 0xC3, 0xFF]
        var agreed = 0
        for _ in 0..<300 {
            var bytes = Array(RandomJSON.value(depth: 0, using: &random).serialized.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
                default: bytes[at] = alphabet.randomElement(using: &random)!
                }
            }
            let parsed = Self.parsedValue(bytes), decoded = Self.decoderValue(bytes)
            let text = String(decoding: bytes, as: UTF8.self)
            if let parsed {
                #expect(parsed == decoded, "\(text.debugDescription)")
            } else if decoded != nil {
                // Only JSONDecoder's leniency (a trailing comma) may make it accept what the parser refuses.
                #expect(text.range(of: #",\s*[\]}]"#, options: .regularExpression) != nil, "\(text.debugDescription)")
            }
            if (parsed == nil) == (decoded == nil) { agreed += 1 }
        }
        #expect(agreed > 250)
    }
}

/// Random JSON values of every kind, with awkward strings and numbers.
enum RandomJSON {
    static let awkwardStrings = ["", "plain", "é", "😀 emoji", "quote\"back\\slash/", "line\nfeed\ttab\r", "\u{1}\u{1f}", "\u{0}nul",
                                 "中文", "\u{7f}", "e\u{301}", "/store/x.root"]

    static func value(depth: Int, using random: inout SeededGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth < 3 ? 9 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int([0, 1, -1, Int.max, Int.min, Int.random(in: -1_000_000...1_000_000, using: &random),
                             Int.random(in: Int.min...Int.max, using: &random)].randomElement(using: &random)!)
        case 3: return .double(double(using: &random))
        case 4: return .string(string(using: &random))
        case 5: return .string(awkwardStrings.randomElement(using: &random)!)
        case 6, 7:
            return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in value(depth: depth + 1, using: &random) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) { members[string(using: &random)] = value(depth: depth + 1, using: &random) }
            return .object(members)
        }
    }

    static func double(using random: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return [0.5, -0.0, 1.5, 1e300, -1e-300, .leastNonzeroMagnitude, 1.7976931348623157e308, 0.1, 1e15, 1e16 + 2].randomElement(using: &random)!
        case 1: return Double(Int.random(in: -100_000...100_000, using: &random)) / 1000
        case 2: return Double.random(in: 1_700_000_000...1_800_000_000, using: &random)
        default:
            while true {
                let candidate = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &random))
                if candidate.isFinite { return candidate }
            }
        }
    }

    static func string(using random: inout SeededGenerator) -> String {
        let pieces = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{8}", "\u{c}", "\u{1}", "é", "€", "😀", "\u{FFFF}", "\u{10FFFF}", "key"]
        return (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }
}
