extension JSONByteReader {
    /// Reads a string: escapes (`\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t` `\uXXXX`, surrogate pairs joined)
    /// are decoded; raw control characters, lone surrogates and invalid UTF-8 are refused, as by `JSONDecoder`.
    public mutating func string() -> String? {
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            return fail(.unexpected(at: position, expected: "a string"))
        }
        position += 1
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return utf8String(UnsafeBufferPointer(rebasing: bytes[start..<position - 1]), at: start)
            }
            if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
            if byte < 0x20 { return fail(.controlCharacter(at: position)) }
            position += 1
        }
        return fail(.unexpectedEnd(expected: "the end of the string"))
    }

    private mutating func utf8String(_ raw: UnsafeBufferPointer<UInt8>, at offset: Int) -> String? {
        // ASCII, nearly every string of a spool document, needs no validation (`String(validating:)` is
        // generic and was most of the time spent reading job documents).
        var high: UInt8 = 0
        for byte in raw { high |= byte }
        if high < 0x80 { return String(decoding: raw, as: UTF8.self) }
        if let text = String(validating: raw, as: UTF8.self) { return text }
        return fail(.invalidUTF8(at: offset))
    }

    /// The rest of a string that has escapes: its text so far starts at `start`; `position` is on a backslash.
    /// Runs of plain bytes between escapes are copied whole (job documents escape every `/` of a path).
    private mutating func escapedString(from start: Int) -> String? {
        var text: [UInt8] = []
        text.reserveCapacity(position - start + 64)
        var run = start
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<position]))
                position += 1
                return text.withUnsafeBufferPointer { utf8String($0, at: start) }
            case UInt8(ascii: "\\"):
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<position]))
                position += 1
                guard appendEscape(to: &text) else { return nil }
                run = position
            case 0..<0x20:
                return fail(.controlCharacter(at: position))
            default:
                position += 1
            }
        }
        return fail(.unexpectedEnd(expected: "the end of the string"))
    }

    /// Decodes the escape after a backslash into `text`.
    private mutating func appendEscape(to text: inout [UInt8]) -> Bool {
        let at = position - 1
        guard position < bytes.count else { return fail(.unexpectedEnd(expected: "an escape")) }
        let kind = bytes[position]
        position += 1
        switch kind {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(kind)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = hexUnit() else { return false }
            var scalarValue = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                guard match("\\u"), let low = hexUnit(), (0xDC00...0xDFFF).contains(low) else {
                    return fail(.invalidEscape(at: at, why: "a high surrogate not followed by a \\u low surrogate"))
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else {
                return fail(.invalidEscape(at: at, why: "a lone low surrogate"))
            }
            text.append(contentsOf: scalar.utf8)
        default:
            return fail(.invalidEscape(at: at, why: "an unknown escape"))
        }
        return true
    }

    /// Four hex digits of a `\u` escape.
    private mutating func hexUnit() -> UInt16? {
        guard position + 4 <= bytes.count else { return fail(.unexpectedEnd(expected: "four hex digits")) }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return fail(.invalidEscape(at: position, why: "a \\u escape without four hex digits"))
            }
            unit = unit << 4 | UInt16(digit)
            position += 1
        }
        return unit
    }
}
