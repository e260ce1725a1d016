/// Character data, references, comments, processing instructions and CDATA sections.
extension XMLCursor {
    /// Where character data is read: element content (ends at `<`) or an attribute value (ends at its quote).
    enum CharacterContext {
        /// Element content: `]]>` is refused, line ends become LF.
        case content
        /// An attribute value delimited by `quote`: `<` is refused, tab, LF, CR and CRLF become a space.
        case attributeValue(quote: UInt8)
    }

    /// Reads character data up to (not including) the context's terminator or the end of the document,
    /// decoding references and normalising line ends as XML requires; appends the result to `output`
    /// when `collect` is true (otherwise only checks it). Inlined so each context gets its own loop.
    @inline(__always)
    mutating func characters(_ context: CharacterContext, into output: inout [UInt8], collect: Bool) throws(ReportReadError) {
        let inAttribute: Bool
        let terminator: UInt8
        switch context {
        case .content: inAttribute = false; terminator = XMLBytes.lessThan
        case .attributeValue(let quote): inAttribute = true; terminator = quote
        }
        let end = bytes.count
        var index = position
        var runStart = index
        while index < end {
            if index + 8 <= end, let base = bytes.baseAddress,
               XMLBytes.isPlainASCII(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self), terminator: terminator) {
                index += 8
                continue
            }
            let byte = bytes[index]
            if byte == terminator { break }
            if byte >= 0x20 && byte < 0x80 {
                if byte == XMLBytes.ampersand {
                    copy(runStart..<index, into: &output, collect: collect)
                    position = index
                    try reference(into: &output, collect: collect)
                    index = position; runStart = index
                    continue
                }
                if byte == XMLBytes.lessThan {
                    throw error("< is not allowed in an attribute value; expected &lt;", at: index)
                }
                if byte == XMLBytes.closingBracket && !inAttribute && index + 2 < end
                    && bytes[index + 1] == XMLBytes.closingBracket && bytes[index + 2] == XMLBytes.greaterThan {
                    throw error("]]> is not allowed in character data; expected ]]&gt;", at: index)
                }
                index += 1
            } else if byte == XMLBytes.carriageReturn || (inAttribute && (byte == XMLBytes.lineFeed || byte == XMLBytes.tab)) {
                copy(runStart..<index, into: &output, collect: collect)
                if collect { output.append(inAttribute ? XMLBytes.space : XMLBytes.lineFeed) }
                index += byte == XMLBytes.carriageReturn && index + 1 < end && bytes[index + 1] == XMLBytes.lineFeed ? 2 : 1
                runStart = index
            } else {
                index += try characterLength(at: index)
            }
        }
        copy(runStart..<index, into: &output, collect: collect)
        position = index
    }

    /// Appends the document bytes in `range` to `output` when collecting.
    @inline(__always)
    private func copy(_ range: Range<Int>, into output: inout [UInt8], collect: Bool) {
        if collect && !range.isEmpty { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[range])) }
    }

    /// At `&`: reads one of the five predefined entity references or a decimal/hex character reference.
    mutating func reference(into output: inout [UInt8], collect: Bool) throws(ReportReadError) {
        let start = position
        position += 1
        if peek() == XMLBytes.hash {
            let hex = peek(1) == UInt8(ascii: "x")
            position += hex ? 2 : 1
            let digitsStart = position
            var value: UInt32 = 0
            while let byte = peek(), let digit = Self.digitValue(byte, hex: hex) {
                value = min(value * (hex ? 16 : 10) + digit, 0x110000)  // saturate: anything above is refused below
                position += 1
            }
            guard position > digitsStart, peek() == XMLBytes.semicolon else {
                throw error("unterminated character reference; expected &#DIGITS; or &#xHEX;", at: start)
            }
            position += 1
            guard XMLBytes.isCharacter(value) else {
                throw error("character reference \(string(start..<position)) is not an XML character", at: start)
            }
            if collect { XMLBytes.appendUTF8(value, to: &output) }
            return
        }
        let name = try self.name("an entity name after &")
        guard peek() == XMLBytes.semicolon else {
            throw error("unterminated entity reference &\(string(name)); expected ;", at: start)
        }
        position += 1
        let replacement: UInt8
        if bytes(in: name, equal: "lt") { replacement = XMLBytes.lessThan }
        else if bytes(in: name, equal: "gt") { replacement = XMLBytes.greaterThan }
        else if bytes(in: name, equal: "amp") { replacement = XMLBytes.ampersand }
        else if bytes(in: name, equal: "apos") { replacement = XMLBytes.singleQuote }
        else if bytes(in: name, equal: "quot") { replacement = XMLBytes.doubleQuote }
        else {
            throw error("unknown entity &\(string(name));; expected &lt; &gt; &amp; &apos; &quot; or a character reference",
                        at: start)
        }
        if collect { output.append(replacement) }
    }

    private static func digitValue(_ byte: UInt8, hex: Bool) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    // MARK: Markup that carries no elements

    /// At `<!--`: skips the comment, refusing `--` inside it.
    mutating func skipComment() throws(ReportReadError) {
        let start = position
        position += 4
        while position < bytes.count {
            if bytes[position] == XMLBytes.hyphen && peek(1) == XMLBytes.hyphen {
                guard peek(2) == XMLBytes.greaterThan else {
                    throw error("-- inside a comment; expected --> to end the comment opened at line \(line(at: start))",
                                at: position)
                }
                position += 3
                return
            }
            position += try characterLength(at: position)
        }
        throw endOfDocumentError("unterminated comment opened at line \(line(at: start)); expected -->")
    }

    /// At `<?`: skips a processing instruction (its target may not be `xml` outside the declaration).
    mutating func skipProcessingInstruction() throws(ReportReadError) {
        let start = position
        position += 2
        let target = try name("a processing instruction target after <?")
        if string(target).lowercased() == "xml" {
            throw error("<?xml …?> is only allowed at the very start of the document", at: start)
        }
        let spaced = skipWhitespace()
        while position < bytes.count {
            if bytes[position] == XMLBytes.question && peek(1) == XMLBytes.greaterThan {
                position += 2
                return
            }
            guard spaced else { throw error("expected whitespace or ?> after <?\(string(target))", at: position) }
            position += try characterLength(at: position)
        }
        throw endOfDocumentError("unterminated processing instruction <?\(string(target)) opened at line \(line(at: start)); expected ?>")
    }

    /// At `<![CDATA[`: reads the section's text (line ends normalised) into `output` when collecting.
    mutating func cdataSection(into output: inout [UInt8], collect: Bool) throws(ReportReadError) {
        let start = position
        position += 9
        var runStart = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == XMLBytes.closingBracket && peek(1) == XMLBytes.closingBracket && peek(2) == XMLBytes.greaterThan {
                copy(runStart..<position, into: &output, collect: collect)
                position += 3
                return
            }
            if byte == XMLBytes.carriageReturn {
                copy(runStart..<position, into: &output, collect: collect)
                if collect { output.append(XMLBytes.lineFeed) }
                position += peek(1) == XMLBytes.lineFeed ? 2 : 1
                runStart = position
                continue
            }
            position += try characterLength(at: position)
        }
        throw endOfDocumentError("unterminated CDATA section opened at line \(line(at: start)); expected ]]>")
    }
}
