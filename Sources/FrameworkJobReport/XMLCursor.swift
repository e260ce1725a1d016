/// The lexical half of the XML reader: a position in a UTF-8 document and the tokens XML 1.0 builds
/// from bytes (names, character data with references, comments, processing instructions, CDATA).
/// Every byte it steps over is checked to be a valid UTF-8 encoding of an XML `Char`. Errors are
/// `ReportReadError.malformedXML` naming the line and column.
struct XMLCursor {
    /// The whole document.
    let bytes: UnsafeBufferPointer<UInt8>
    /// The document's name in error messages.
    let source: String
    /// The next byte to read.
    var position = 0
    private var lines: LineCounter

    init(bytes: UnsafeBufferPointer<UInt8>, source: String) {
        self.bytes = bytes
        self.source = source
        self.lines = LineCounter(bytes: bytes)
    }

    // MARK: Looking

    /// True when every byte has been read.
    var isAtEnd: Bool { position >= bytes.count }

    /// The byte `offset` bytes ahead, or nil past the end.
    @inline(__always)
    func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    /// Whether the bytes at `start` (default: the current position) spell `literal`.
    func hasPrefix(_ literal: StaticString, at start: Int? = nil) -> Bool {
        let start = start ?? position
        guard start + literal.utf8CodeUnitCount <= bytes.count else { return false }
        let pattern = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for offset in pattern.indices where bytes[start + offset] != pattern[offset] { return false }
        return true
    }

    /// Whether the bytes in `range` spell `literal`.
    func bytes(in range: Range<Int>, equal literal: StaticString) -> Bool {
        range.count == literal.utf8CodeUnitCount && hasPrefix(literal, at: range.lowerBound)
    }

    /// Whether two ranges of the document hold the same bytes.
    func bytes(in first: Range<Int>, equalBytesIn second: Range<Int>) -> Bool {
        first.count == second.count && first.indices.allSatisfy { bytes[$0] == bytes[second.lowerBound + $0 - first.lowerBound] }
    }

    /// The text of a range of the document (already checked to be valid UTF-8).
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Skips XML whitespace; returns whether there was any.
    @discardableResult
    mutating func skipWhitespace() -> Bool {
        let start = position
        while position < bytes.count, XMLBytes.isWhitespace(bytes[position]) { position += 1 }
        return position > start
    }

    // MARK: Errors and lines

    /// The 1-based line of a byte position.
    mutating func line(at position: Int) -> Int { lines.line(at: position) }

    /// A malformed-XML error at `position`, naming its line and column; a position at the end of the
    /// document is reported on the line of its last byte (as libxml2 does).
    mutating func error(_ detail: String, at position: Int) -> ReportReadError {
        let position = min(position, max(bytes.count - 1, 0))
        return .malformedXML(source: source, line: line(at: position), column: lines.column(at: position),
                      detail: detail)
    }

    /// An error for a document that ends early.
    mutating func endOfDocumentError(_ detail: String) -> ReportReadError { error(detail, at: bytes.count) }

    /// The character at `index`, or an error saying why its bytes are not an XML character.
    mutating func character(at index: Int) throws(ReportReadError) -> XMLBytes.DecodedCharacter {
        do throws(XMLBytes.CharacterProblem) {
            return try XMLBytes.character(at: index, in: bytes)
        } catch {
            switch error {
            case .invalidUTF8:
                throw self.error("bytes are not valid UTF-8; expected a UTF-8 document", at: index)
            case .forbidden(let scalar):
                let what = scalar == 0 ? "a NUL byte" : "character U+\(String(scalar, radix: 16, uppercase: true))"
                throw self.error("\(what) is not allowed in XML 1.0", at: index)
            }
        }
    }

    /// The byte length of the character at `index`, checking that it is an XML `Char`.
    @inline(__always)
    mutating func characterLength(at index: Int) throws(ReportReadError) -> Int {
        let byte = bytes[index]
        if (byte >= 0x20 && byte < 0x80) || byte == XMLBytes.lineFeed || byte == XMLBytes.tab
            || byte == XMLBytes.carriageReturn { return 1 }
        return try character(at: index).length
    }

    // MARK: Names

    /// Reads an XML `Name`; `what` (and the element whose start tag it is in, if any) describes it in
    /// the error when there is none.
    mutating func name(_ what: StaticString, inStartTagOf element: Range<Int>? = nil) throws(ReportReadError) -> Range<Int> {
        let start = position
        var index = position
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                guard XMLBytes.isASCIINameByte(byte, first: index == start) else { break }
                index += 1
            } else {
                let decoded = try character(at: index)
                let allowed = index == start ? XMLBytes.isNameStart(decoded.scalar) : XMLBytes.isNameCharacter(decoded.scalar)
                guard allowed else { break }
                index += decoded.length
            }
        }
        guard index > start else {
            let found = isAtEnd ? "the end of the document" : "\(describeByte(at: start))"
            let place = element.map { " in <\(string($0))>" } ?? ""
            throw error("expected \(what)\(place), found \(found)", at: start)
        }
        position = index
        return start..<index
    }

    /// A short description of the byte at `index` for error messages.
    func describeByte(at index: Int) -> String {
        let byte = bytes[index]
        return byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
}
