/// Receives a document's elements from `XMLScanner`, in document order.
///
/// Text is delivered the way WMCore's `ParseXMLFile.Node` keeps it: only the character data since the
/// previous start or end tag reaches `endElement`, so an element's text is what follows its last child.
protocol XMLEventConsumer {
    /// An element starts at `line` (the line of its `<`), with its attributes (references decoded,
    /// whitespace normalised as XML requires for attribute values).
    mutating func startElement(name: String, attributes: [String: String], line: Int) throws(ReportReadError)

    /// Whether an element starting now (a child of the innermost open element, or the root) needs its
    /// attributes; when false the scanner only checks them and reports none.
    var collectsAttributes: Bool { get }

    /// Whether the innermost open element needs its text; when false the scanner only checks the text.
    var collectsText: Bool { get }

    /// The innermost open element ends. `text` is the character data since the previous start or end
    /// tag (references decoded, CDATA included, line ends normalised to LF); empty when `collectsText` was false.
    mutating func endElement(text: String) throws(ReportReadError)
}

/// A strict, non-validating XML 1.0 reader over UTF-8 bytes that drives an `XMLEventConsumer`.
///
/// Accepts an optional byte-order mark and XML declaration, comments, processing instructions, CDATA
/// sections, the five predefined entities and character references. Refuses, naming the line: anything
/// not well-formed (mismatched, unclosed or stray tags, text or a second element after the root, a
/// document that ends early), `<` in attribute values, unknown entities, duplicate attributes, invalid
/// names, bytes that are not UTF-8 for an XML character (NUL included), and any DTD (`<!DOCTYPE`,
/// `<!ENTITY`) — there are no entities beyond the predefined five, so nothing ever expands.
struct XMLScanner<Consumer: XMLEventConsumer> {
    /// An element whose end tag has not been read yet.
    private struct OpenElement {
        /// Where its name is in the document.
        let name: Range<Int>
        /// Where its `<` is.
        let tagStart: Int
    }

    private var cursor: XMLCursor
    private var consumer: Consumer
    private var openElements: [OpenElement] = []
    /// Character data since the last start or end tag (only while the consumer collects it).
    private var text: [UInt8] = []
    /// One attribute value being decoded.
    private var attributeValue: [UInt8] = []
    /// Where the names of the current start tag's attributes are (to refuse duplicates).
    private var attributeNames: [Range<Int>] = []

    /// Reads the whole document in `bytes`, feeding `consumer`; returns the consumer after the last event.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, source: String, into consumer: Consumer) throws(ReportReadError) -> Consumer {
        var scanner = XMLScanner(cursor: XMLCursor(bytes: bytes, source: source), consumer: consumer)
        try scanner.scanDocument()
        return scanner.consumer
    }

    private init(cursor: XMLCursor, consumer: Consumer) {
        self.cursor = cursor
        self.consumer = consumer
    }

    // MARK: Document

    private mutating func scanDocument() throws(ReportReadError) {
        if cursor.peek() == 0xEF && cursor.peek(1) == 0xBB && cursor.peek(2) == 0xBF { cursor.position += 3 }  // UTF-8 BOM
        if cursor.isAtXMLDeclaration { try cursor.skipXMLDeclaration() }
        try skipMiscellany(afterRoot: false)
        guard !cursor.isAtEnd else {
            throw cursor.error("no root element; expected <FrameworkJobReport>", at: cursor.position)
        }
        try scanRootElement()
        try skipMiscellany(afterRoot: true)
    }

    /// Skips whitespace, comments and processing instructions before or after the root element. Before
    /// the root it stops at the root's `<`; after it, only the end of the document may follow.
    private mutating func skipMiscellany(afterRoot: Bool) throws(ReportReadError) {
        let place = afterRoot ? "after the root element" : "before the root element"
        while true {
            cursor.skipWhitespace()
            guard let byte = cursor.peek() else { return }
            guard byte == XMLBytes.lessThan else {
                throw cursor.error("text \(place); expected only whitespace, comments or processing instructions",
                                   at: cursor.position)
            }
            if cursor.peek(1) == XMLBytes.question {
                try cursor.skipProcessingInstruction()
            } else if cursor.hasPrefix("<!--") {
                try cursor.skipComment()
            } else if cursor.peek(1) == XMLBytes.exclamation {
                throw declarationError()
            } else if afterRoot {
                throw cursor.error("a second element after the root element; expected the document to end", at: cursor.position)
            } else {
                return
            }
        }
    }

    /// The error for `<!` that starts neither a comment nor a CDATA section: DTD declarations are
    /// forbidden outright; anything else is malformed.
    private mutating func declarationError() -> ReportReadError {
        for keyword: StaticString in ["<!DOCTYPE", "<!ENTITY"] where cursor.hasPrefix(keyword) {
            return .forbiddenDeclaration(source: cursor.source, line: cursor.line(at: cursor.position),
                                         declaration: keyword.description)
        }
        let place = openElements.isEmpty ? "outside the root element" : "inside an element"
        return cursor.error("unexpected <! \(place); expected <!-- comment -->\(openElements.isEmpty ? "" : " or <![CDATA[ … ]]>")",
                            at: cursor.position)
    }

    // MARK: Elements

    /// At the root's `<`: reads markup and character data until the root element closes.
    private mutating func scanRootElement() throws(ReportReadError) {
        repeat {
            if cursor.peek(1) == XMLBytes.slash {
                try scanEndTag()
            } else if cursor.peek(1) == XMLBytes.question {
                try cursor.skipProcessingInstruction()
            } else if cursor.hasPrefix("<!--") {
                try cursor.skipComment()
            } else if cursor.hasPrefix("<![CDATA[") {
                try cursor.cdataSection(into: &text, collect: consumer.collectsText)
            } else if cursor.peek(1) == XMLBytes.exclamation {
                throw declarationError()
            } else {
                try scanStartTag()
            }
            guard let innermost = openElements.last else { return }
            try cursor.characters(.content, into: &text, collect: consumer.collectsText)
            if cursor.isAtEnd { throw unclosedError(innermost) }
        } while true
    }

    /// At `<`: reads a start tag or empty-element tag and reports it.
    private mutating func scanStartTag() throws(ReportReadError) {
        let tagStart = cursor.position
        cursor.position += 1
        let name = try cursor.name("an element name after <")
        var attributes: [String: String] = [:]
        let collect = consumer.collectsAttributes
        attributeNames.removeAll(keepingCapacity: true)
        while true {
            let spaced = cursor.skipWhitespace()
            guard let byte = cursor.peek() else {
                throw cursor.endOfDocumentError("document ends inside the start tag <\(cursor.string(name))>; expected > (truncated report?)")
            }
            if byte == XMLBytes.greaterThan || (byte == XMLBytes.slash && cursor.peek(1) == XMLBytes.greaterThan) {
                let isEmpty = byte == XMLBytes.slash
                cursor.position += isEmpty ? 2 : 1
                try consumer.startElement(name: cursor.string(name), attributes: attributes, line: cursor.line(at: tagStart))
                text.removeAll(keepingCapacity: true)
                if isEmpty {
                    try consumer.endElement(text: "")
                } else {
                    openElements.append(OpenElement(name: name, tagStart: tagStart))
                }
                return
            }
            guard spaced else {
                throw cursor.error("expected whitespace, > or /> in the start tag <\(cursor.string(name))>, found \(cursor.describeByte(at: cursor.position))",
                                   at: cursor.position)
            }
            let attributeName = try scanAttribute(of: name, collect: collect)
            if attributeNames.contains(where: { cursor.bytes(in: $0, equalBytesIn: attributeName) }) {
                throw cursor.error("duplicate attribute \(cursor.string(attributeName)) in <\(cursor.string(name))>; expected each attribute once",
                                   at: attributeName.lowerBound)
            }
            attributeNames.append(attributeName)
            if collect {
                if attributes.isEmpty { attributes.reserveCapacity(8) }
                attributes[cursor.string(attributeName)] = String(decoding: attributeValue, as: UTF8.self)
            }
        }
    }

    /// Reads `name = "value"` (or single quotes) inside the start tag of `element`; returns where the
    /// name is, leaving the decoded value in `attributeValue` when `collect` is true.
    private mutating func scanAttribute(of element: Range<Int>, collect: Bool) throws(ReportReadError) -> Range<Int> {
        let nameRange = try cursor.name("an attribute name", inStartTagOf: element)
        cursor.skipWhitespace()
        guard cursor.peek() == XMLBytes.equals else {
            throw cursor.error("attribute \(cursor.string(nameRange)) in <\(cursor.string(element))> has no =; expected \(cursor.string(nameRange))=\"value\"",
                               at: cursor.position)
        }
        cursor.position += 1
        cursor.skipWhitespace()
        guard let quote = cursor.peek(), quote == XMLBytes.doubleQuote || quote == XMLBytes.singleQuote else {
            throw cursor.error("attribute \(cursor.string(nameRange)) in <\(cursor.string(element))> has no quoted value; expected \(cursor.string(nameRange))=\"value\"",
                               at: cursor.position)
        }
        let valueStart = cursor.position
        cursor.position += 1
        attributeValue.removeAll(keepingCapacity: true)
        try cursor.characters(.attributeValue(quote: quote), into: &attributeValue, collect: collect)
        guard !cursor.isAtEnd else {
            throw cursor.error("unterminated value of attribute \(cursor.string(nameRange)) in <\(cursor.string(element))>; expected a closing quote",
                               at: valueStart)
        }
        cursor.position += 1
        return nameRange
    }

    /// At `</`: reads an end tag, checks it closes the innermost open element, and reports it.
    private mutating func scanEndTag() throws(ReportReadError) {
        let tagStart = cursor.position
        cursor.position += 2
        let name = try cursor.name("an element name after </")
        cursor.skipWhitespace()
        guard cursor.peek() == XMLBytes.greaterThan else {
            throw cursor.error("expected > to end the closing tag </\(cursor.string(name))>", at: cursor.position)
        }
        cursor.position += 1
        guard let innermost = openElements.last else {
            throw cursor.error("closing tag </\(cursor.string(name))> with no open element; expected <FrameworkJobReport>",
                               at: tagStart)
        }
        guard cursor.bytes(in: name, equalBytesIn: innermost.name) else {
            let open = cursor.string(innermost.name)
            let openedAt = cursor.line(at: innermost.tagStart)
            throw cursor.error("closing tag </\(cursor.string(name))> does not match <\(open)> opened at line \(openedAt); expected </\(open)>",
                               at: tagStart)
        }
        openElements.removeLast()
        let elementText = consumer.collectsText ? String(decoding: text, as: UTF8.self) : ""
        text.removeAll(keepingCapacity: true)
        try consumer.endElement(text: elementText)
    }

    /// The error for a document that ends while `element` is open.
    private mutating func unclosedError(_ element: OpenElement) -> ReportReadError {
        let name = cursor.string(element.name)
        let openedAt = cursor.line(at: element.tagStart)
        return cursor.endOfDocumentError(
            "document ends inside <\(name)> opened at line \(openedAt); expected well-formed content and </\(name)> (truncated report?)")
    }
}
