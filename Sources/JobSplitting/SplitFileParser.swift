/// A fast reader for file documents in the form `SplitFile` encodes (`lfn`, `size`, `events`,
/// `first_event`, `last_event`, `locations`, `runs`, `insert_time`, `parents`, `merged`): the job creator
/// reads one such document per available file.
///
/// It accepts any JSON layout (whitespace, key order) but only these keys and value types; for
/// anything else (an unknown key, a number out of range, malformed text) it returns nil and the
/// caller falls back to `JSONDecoder`, which explains the problem.
public enum SplitFileParser {
    /// Parses one file document, or nil when the fast path does not apply.
    public static func parse(_ bytes: [UInt8]) -> SplitFile? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            return reader.file()
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func file() -> SplitFile? {
            var lfn: String?
            var file = SplitFile(lfn: "")
            guard consume(UInt8(ascii: "{")) else { return nil }
            if !consume(UInt8(ascii: "}")) {
                repeat {
                    guard let key = string(), consume(UInt8(ascii: ":")) else { return nil }
                    switch key {
                    case "lfn": guard let v = string() else { return nil }; lfn = v
                    case "size": guard let v = int() else { return nil }; file.size = v
                    case "events": guard let v = int() else { return nil }; file.events = v
                    case "first_event": guard let v = int() else { return nil }; file.firstEvent = v
                    case "last_event": guard let v = int() else { return nil }; file.lastEvent = v
                    case "insert_time": guard let v = double() else { return nil }; file.insertTime = v
                    case "merged": guard let v = bool() else { return nil }; file.merged = v
                    case "locations": guard let v = list({ $0.string() }) else { return nil }; file.locations = v
                    case "parents": guard let v = list({ $0.string() }) else { return nil }; file.parents = v
                    case "runs": guard let v = list({ $0.run() }) else { return nil }; file.runs = v
                    default: return nil
                    }
                } while consume(UInt8(ascii: ","))
                guard consume(UInt8(ascii: "}")) else { return nil }
            }
            skipSpace()
            guard i == bytes.count, let lfn else { return nil }
            file.lfn = lfn
            return file
        }

        /// `[run, [lumi, ...]]`.
        mutating func run() -> FileRun? {
            guard consume(UInt8(ascii: "[")), let run = int(), consume(UInt8(ascii: ",")),
                  let lumis = list({ $0.int() }), consume(UInt8(ascii: "]")) else { return nil }
            return FileRun(run: run, lumis: lumis)
        }

        mutating func list<T>(_ element: (inout Reader) -> T?) -> [T]? {
            guard consume(UInt8(ascii: "[")) else { return nil }
            var items: [T] = []
            if consume(UInt8(ascii: "]")) { return items }
            repeat {
                guard let item = element(&self) else { return nil }
                items.append(item)
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "]")) ? items : nil
        }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            skipSpace()
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }

        mutating func bool() -> Bool? {
            skipSpace()
            if match("true") { return true }
            if match("false") { return false }
            return nil
        }

        mutating func match(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { return false }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        /// An integer without fraction or exponent (anything else falls back).
        mutating func int() -> Int? {
            skipSpace()
            var negative = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            let start = i
            var value = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(bytes[i] - 0x30))
                if o1 || o2 { return nil }
                value = a
                i += 1
            }
            if i == start || i - start > 18 { return nil }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") { return nil }
            return negative ? -value : value
        }

        /// A number, through Swift's own `Double` parsing of the number's text.
        mutating func double() -> Double? {
            skipSpace()
            let start = i
            while i < bytes.count, Self.isNumberByte(bytes[i]) { i += 1 }
            guard i > start else { return nil }
            return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
        }

        static func isNumberByte(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
        }

        /// A string; escapes other than `\"`, `\\`, `\/` fall back.
        mutating func string() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            let start = i
            var escaped = false
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "\\") {
                    escaped = true
                    i += 1
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "\\") || bytes[i] == UInt8(ascii: "/") else { return nil }
                } else if bytes[i] < 0x20 {
                    return nil
                }
                i += 1
            }
            guard i < bytes.count else { return nil }
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<i])
            i += 1
            guard escaped else { return String(validating: raw, as: UTF8.self) }
            var unescaped: [UInt8] = []
            unescaped.reserveCapacity(raw.count)
            var k = 0
            while k < raw.count {
                if raw[k] == UInt8(ascii: "\\") { k += 1 }
                unescaped.append(raw[k])
                k += 1
            }
            return String(validating: unescaped, as: UTF8.self)
        }
    }
}
