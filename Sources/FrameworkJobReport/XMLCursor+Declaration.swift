/// The XML declaration `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`.
extension XMLCursor {
    /// The pseudo-attributes a declaration may have, in the order XML requires.
    private static let declarationFields = ["version", "encoding", "standalone"]
    /// Encodings this reader decodes (it reads UTF-8 only; ASCII is a subset).
    private static let acceptedEncodings: Set<String> = ["utf-8", "utf8", "us-ascii", "ascii"]

    /// Whether the document (after any byte-order mark) starts with an XML declaration.
    var isAtXMLDeclaration: Bool {
        hasPrefix("<?xml") && peek(5).map(XMLBytes.isWhitespace) == true
    }

    /// At `<?xml `: reads the declaration and checks its fields (version 1.0 first, then an optional
    /// encoding this reader can decode, then an optional standalone yes/no).
    mutating func skipXMLDeclaration() throws(ReportReadError) {
        let start = position
        position += 5
        var fields: [(name: String, value: String)] = []
        while true {
            let spaced = skipWhitespace()
            if hasPrefix("?>") { position += 2; break }
            guard spaced, !isAtEnd else { throw error("expected whitespace or ?> in the XML declaration", at: position) }
            let name = string(try self.name("a field name (version, encoding, standalone) in the XML declaration"))
            skipWhitespace()
            guard peek() == XMLBytes.equals else { throw error("expected = after \(name) in the XML declaration", at: position) }
            position += 1
            skipWhitespace()
            guard let quote = peek(), quote == XMLBytes.doubleQuote || quote == XMLBytes.singleQuote else {
                throw error("expected a quoted value for \(name) in the XML declaration", at: position)
            }
            let valueStart = position + 1
            position = valueStart
            while let byte = peek(), byte != quote, byte != XMLBytes.lessThan, byte != XMLBytes.greaterThan {
                position += try characterLength(at: position)
            }
            guard peek() == quote else { throw error("unterminated value of \(name) in the XML declaration", at: valueStart) }
            fields.append((name, string(valueStart..<position)))
            position += 1
        }
        try checkDeclarationFields(fields, at: start)
    }

    private mutating func checkDeclarationFields(_ fields: [(name: String, value: String)], at start: Int) throws(ReportReadError) {
        guard fields.first?.name == "version" else {
            throw error("the XML declaration must start with version=\"1.0\"", at: start)
        }
        var nextAllowed = 0
        for (name, value) in fields {
            guard let index = Self.declarationFields[nextAllowed...].firstIndex(of: name) else {
                throw error("unexpected or repeated \(name) in the XML declaration; expected version, encoding, standalone in that order",
                            at: start)
            }
            nextAllowed = index + 1
            switch name {
            case "version":
                guard value == "1.0" else {  // this is an XML 1.0 reader (libxml2 refuses 1.1 too)
                    throw error("XML version is \"\(value)\"; expected 1.0", at: start)
                }
            case "encoding":
                guard Self.acceptedEncodings.contains(value.lowercased()) else {
                    throw error("encoding is \"\(value)\"; expected UTF-8", at: start)
                }
            default:
                guard value == "yes" || value == "no" else {
                    throw error("standalone is \"\(value)\"; expected yes or no", at: start)
                }
            }
        }
    }
}

