/// Why a report could not be written as XML.
public enum ReportWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A string holds a character XML 1.0 cannot carry (a C0 control other than tab, LF, CR, or U+FFFE/U+FFFF).
    case unrepresentableCharacter(field: String, scalar: UInt32)
    /// A parameter name is not a plain XML element name, or collides with an element the reader handles.
    case invalidParameterName(String)

    /// A message naming the field and what was expected.
    public var description: String {
        switch self {
        case .unrepresentableCharacter(let field, let scalar):
            return "\(field): contains U+\(String(scalar, radix: 16, uppercase: true)); expected characters XML 1.0 allows"
        case .invalidParameterName(let name):
            return "parameters[\"\(name)\"]: expected a plain XML element name not used by the report format"
        }
    }
}

/// XML escaping for the writer.
enum XMLText {
    /// Escapes element text: `&`, `<`, `>` and CR (which a parser would turn into LF).
    static func escapeText(_ value: String, field: @autoclosure () -> String) throws(ReportWriteError) -> String {
        try escape(value, field: field(), inAttribute: false)
    }

    /// Escapes an attribute value: also quotes and the whitespace a parser would normalise to spaces.
    static func escapeAttribute(_ value: String, field: @autoclosure () -> String) throws(ReportWriteError) -> String {
        try escape(value, field: field(), inAttribute: true)
    }

    private static func escape(_ value: String, field: @autoclosure () -> String, inAttribute: Bool) throws(ReportWriteError) -> String {
        // Most values (numbers, names, paths) need nothing: no control character, markup character, quote,
        // or 0xEF lead byte (U+FFFE and U+FFFF start with it; any other such character takes the long way).
        if value.utf8.allSatisfy({ byte in
            byte >= 0x20 && byte != UInt8(ascii: "&") && byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">")
                && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "'") && byte != 0xEF
        }) { return value }
        var output = ""
        output.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\r": output += "&#13;"
            case "\"" where inAttribute: output += "&quot;"
            case "'" where inAttribute: output += "&apos;"
            case "\n" where inAttribute: output += "&#10;"
            case "\t" where inAttribute: output += "&#9;"
            default:
                let code = scalar.value
                if (code < 0x20 && code != 0x09 && code != 0x0A) || code == 0xFFFE || code == 0xFFFF {
                    throw .unrepresentableCharacter(field: field(), scalar: code)
                }
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// True for a simple XML name: a letter or `_`, then letters, digits, `_`, `-` or `.` (no colon).
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first,
              first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
            || $0 == "_" || $0 == "-" || $0 == ".") } && !name.lowercased().hasPrefix("xml")
    }
}
